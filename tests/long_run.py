"""A century at the default firm scale under adaptive policies: what must stay bounded, and why.

A blow-up would be geometric: anything compounding 2 % a quarter multiplies by 2,750 over 400 quarters. The
bounds below sit far inside that and outside what the model's mechanisms can do without one:

* quality: a firm's innovation gain per quarter has expected log ≤ innovation_step (log(1 + x) ≤ x, the step
  is innovation_step times an Exp(1) draw), and a joint programme of ≥ codev_quarters adds at most
  log(1 + codev_gain); so a country's mean quality may not pass start × exp(Q (step + log(1 + gain) / codev_q)).
  Quality never falls for a firm (only the capacity mix moves the mean), so the mean stays above start / 2.
* unit-cost index (cost of capability relative to 2025): learning (progress ratio 0.85: a firm ten times
  bigger is 42 % cheaper) and quality growth pull it down, duties (reciprocal tariffs are capped at
  max_tariff = 1) push it up; [0.02, 20] leaves an order of magnitude beyond both.
* capacity valued at unit cost: firms size capacity to backlog / target_backlog, and budgets are flat in
  these scenarios, so the total stays within [1/4, 4] of its start.
* firms: entry is limited to profitable groups at entry_rate a quarter, so the count stays below twice its
  start; every producing country keeps a firm and every sector a prime.
Money and every other per-step invariant (tests/invariants.py) are checked each quarter as well.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from invariants import Checker

from model.common.countries import N_SECTORS, PRIME
from model.policy.knobs import adaptation_overrides
from model.policy.scenario import load_scenario
from model.simulation.model import NTIBModel

YEARS = 100
CASES = {"america_first (reciprocal)": ("america_first", ()),
         "status_quo + industrial": ("status_quo", tuple(adaptation_overrides("industrial")))}


@dataclass
class Extremes:
    """The extreme values one run reached, relative to its first recorded quarter."""

    quarters: int = 0
    seconds: float = 0.0
    quality_bound: float = 0.0
    tech: list[float] = field(default_factory=lambda: [math.inf, 0.0])
    unit_cost_index: list[float] = field(default_factory=lambda: [math.inf, 0.0])
    capacity_value: list[float] = field(default_factory=lambda: [math.inf, 0.0])
    firms: list[float] = field(default_factory=lambda: [math.inf, 0.0])
    fewest_primes_in_a_sector: int = 10**9
    countries_without_firms: set[str] = field(default_factory=set)

    def update(self, low_high: list[float], values) -> None:
        values = np.asarray(values, dtype=float)
        low_high[0] = min(low_high[0], float(np.nanmin(values)))
        low_high[1] = max(low_high[1], float(np.nanmax(values)))


def run(scenario: str, overrides: tuple[str, ...], seed: int = 1, years: int = YEARS) -> Extremes:
    """Run with every invariant checked each quarter; return the extremes of the bounded quantities."""
    started = time.perf_counter()
    m = NTIBModel(load_scenario(scenario, list(overrides)), seed=seed, years=years)
    p, checker, out = m.params, Checker(m), Extremes()
    out.quality_bound = math.exp((4 * years + p.spinup_quarters)
                                 * (p.innovation_step + math.log1p(p.codev_gain) / p.codev_quarters))
    f = m.firms
    firms0, capacity0, tech0 = f.active.sum(), (f.capacity * f.unit_cost)[f.active].sum(), None
    while m.running:
        m.step()
        checker(m)
        f, row = m.firms, {k: v[-1] for k, v in m.datacollector.model_vars.items()}
        tech = np.array(list(row["tech"].values()))
        tech0 = tech if tech0 is None else tech0
        out.update(out.tech, tech / tech0)
        out.update(out.unit_cost_index, list(row["unit_cost_index"].values()))
        out.update(out.capacity_value, (f.capacity * f.unit_cost)[f.active].sum() / capacity0)
        out.update(out.firms, f.active.sum() / firms0)
        primes = np.bincount(f.sector[f.active & (f.tier == PRIME)], minlength=N_SECTORS)
        out.fewest_primes_in_a_sector = min(out.fewest_primes_in_a_sector, int(primes.min()))
        out.countries_without_firms |= {c for c, n in row["firms_active"].items() if n == 0}
    out.quarters, out.seconds = checker.steps, time.perf_counter() - started
    return out


def violations(x: Extremes) -> list[str]:
    """The bounds of the module docstring that a run broke (empty when it stayed bounded)."""
    found = []
    if not (x.tech[0] >= 0.5 and x.tech[1] <= x.quality_bound):
        found.append(f"mean quality / start in {x.tech}, allowed [0.5, {x.quality_bound:.0f}]")
    if not (x.unit_cost_index[0] >= 0.02 and x.unit_cost_index[1] <= 20):
        found.append(f"unit-cost index in {x.unit_cost_index}, allowed [0.02, 20]")
    if not (x.capacity_value[0] >= 0.25 and x.capacity_value[1] <= 4):
        found.append(f"capacity value / start in {x.capacity_value}, allowed [0.25, 4]")
    if x.firms[1] > 2:
        found.append(f"active firms reached {x.firms[1]:.2f} x the start, allowed 2")
    if x.fewest_primes_in_a_sector < 1 or x.countries_without_firms:
        found.append(f"a sector lost its last prime ({x.fewest_primes_in_a_sector}) or a country its last firm "
                     f"({sorted(x.countries_without_firms)})")
    return found
