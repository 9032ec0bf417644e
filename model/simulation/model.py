"""The Five Eyes defence-industrial-base model: one step is one quarter through the phases of docs/ODD.md §3."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict, Unpack

import mesa
import numpy as np
import pandas as pd

from model.common.countries import COUNTRIES
from model.common.errors import InputError, warn_once
from model.common.quarters import MAX_YEARS, quarter_label
from model.common.validation import share_of_population, shown, whole_number
from model.data.country_data import country_data
from model.market.demography import PopulationLimits, entrants, exits
from model.market.firms import FirmTable, Groups, initial_population
from model.market.innovation import Programmes, codevelop, research
from model.market.ledger import Ledger
from model.market.procurement import Awards, procure
from model.market.production import close_accounts, produce
from model.market.sourcing import source
from model.metrics.outcomes import REPORTERS, prime_cost_per_quality
from model.policy.adaptation import BarrierHistory, Observation
from model.policy.rules import compile_rules
from model.policy.scenario import ScenarioSpec, load_scenario, shock_factor
from model.simulation.agents import Firm, Government
from model.simulation.memory import check_fits

DEFAULT_FIRM_SCALE = 0.012  # about 1,600 firms; 1.0 is the full population of about 124,000
MAX_FIRM_SCALE = 2.0  # twice the real population, about 250,000 firms: room for scale tests, within memory
DEFAULT_SEED = 1


def run_seed(rng: object, seed: object) -> int:
    """The one seed of a run from NTIBModel's `rng` and `seed` keywords, two names for it (either, or both if
    equal); DEFAULT_SEED when neither is given. A whole number from 0, so a run can be recorded and repeated."""
    given: set[int] = set()
    for value in (rng, seed):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise InputError(f"seed: expected a whole number from 0, got {value!r}")
        given.add(int(value))
    if len(given) > 1:
        raise InputError(f"seed {seed} and rng {rng}: two names for the one seed; expected one of them, or the same "
                         "value in both")
    return given.pop() if given else DEFAULT_SEED


class SeedKeyword(TypedDict, total=False):
    """NTIBModel's `seed`, a keyword kept out of its signature on purpose: mesa.batch_run gives its own `rng`
    values (None unless set) to a parameter named `seed` when a model's signature has one, replacing the seeds
    a user lists in `parameters`."""

    seed: int


class NTIBModel(mesa.Model):
    """Governments buy, firms bid, source, produce, innovate and co-develop under a scenario's rules.

    Args:
        scenario: a shipped scenario name, a TOML path, or a loaded ScenarioSpec.
        years: run length; the run starts in 2025Q1.
        firm_scale: share of the real firm population to simulate (primes are always the real handful).
        overrides: --set style 'key=value' assignments applied to the scenario before validation.
        rng: the seed under Mesa's name for it, as mesa.batch_run(..., rng=[1, 2]) passes it.
        seed: seed of the model's one random generator (one seed, one history; 1 unless seed or rng is given).
    """

    # The methods `quarter` calls, one per phase: the supported hook for timing them (benchmarks/run.py wraps
    # these names on an instance; tests/test_model.py checks that every step calls each of them).
    PHASES = ("update_policies", "budgets", "group_firms", "procure", "source", "produce", "research", "codevelop",
              "close_accounts", "renew_population")

    def __init__(self, scenario: str | ScenarioSpec = "status_quo", *, years: int = 20,
                 firm_scale: float = DEFAULT_FIRM_SCALE, overrides: Sequence[str] = (), rng: int | None = None,
                 **options: Unpack[SeedKeyword]) -> None:
        unknown = sorted(set(options) - {"seed"})  # `**options` takes any keyword: a misspelt one stops here
        if unknown:
            raise TypeError(f"NTIBModel() got an unexpected keyword argument '{unknown[0]}'")
        seed = run_seed(rng, options.get("seed"))
        years = whole_number(years, 1, MAX_YEARS, "years")
        firm_scale = share_of_population(firm_scale, MAX_FIRM_SCALE, "firm_scale")
        if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
            raise InputError(f"overrides: expected a list of 'key=value' strings, got {shown(overrides)}")
        spec = scenario if isinstance(scenario, ScenarioSpec) else load_scenario(scenario, list(overrides))
        for i, shock in enumerate(spec.shocks):
            if shock.start >= 4 * years:
                warn_once(f"{spec.source}: shocks[{i}] starts in {quarter_label(shock.start)}, after the run's last "
                          f"quarter ({quarter_label(4 * years - 1)}), so it never happens")
        super().__init__(rng=seed)
        self.spec, self.seed, self.years, self.firm_scale = spec, seed, years, firm_scale
        self.quarters = 4 * years  # the run's length in steps, one a quarter
        self.params = spec.params
        self.data = country_data()
        self.firms = FirmTable()
        initial_population(self.data, self.params, firm_scale, self.rng, self.firms)
        self.limits = PopulationLimits.of(self.firms, self.params, self.params.spinup_quarters + self.quarters)
        check_fits(self.limits.rows, f"{spec.name}, {years} years at firm_scale {firm_scale:g}")
        self.firm_agents = {row: Firm(self, row) for row in range(self.firms.n)}
        self.governments = [Government(self, c, spec.policies[c], spec.schedules[c]) for c in COUNTRIES]
        self.rules = compile_rules([g.policy for g in self.governments], spec.ntib_members, self.params)
        self.barrier_history = BarrierHistory()
        self.programmes = Programmes()
        self.ledger = Ledger()
        self.entries = self.exits = 0
        self._spin_up()
        self.cost_reference = prime_cost_per_quality(self)
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.running = True

    def step(self) -> None:
        """One quarter: the eight phases of docs/ODD.md §3."""
        t = self.steps - 1
        self.quarter(t)
        self.datacollector.collect(self)  # 8. record
        self.running = self.steps < self.quarters

    def _advance_time(self, until: float) -> None:
        """Mesa's clock (one step per time unit), under `step()`, `run_for` and `run_until` alike, held at the run's
        last quarter: stepping a finished run changes nothing, so the page's Step and play, which call `step`
        Render Interval times a go, cannot run past the end. Mesa's own clock ignores `running` (this overrides
        its private method; tests/test_run_end.py notices if Mesa changes it)."""
        if self.running:
            super()._advance_time(min(until, self.quarters))

    def quarter(self, t: int) -> None:
        """Phases 1-7 of quarter t (t < 0 during spin-up)."""
        cash_before = self.firms.cash.copy()
        self.ledger.open_quarter(t)
        self.update_policies(t)  # 1. policy
        procurement, grants = self.budgets(t)  # 2. budgets
        groups = self.group_firms()
        supply = self.supply_factor(t)
        awards = self.procure(procurement, supply, t)  # 3. competition and trade in end items
        self.source(awards)  # 4. supply chain
        self.produce(supply)  # 5. production
        self.research(grants)  # 6. innovation
        self.codevelop(groups, t)
        received = float(self.firms.receipts.sum())
        self.close_accounts(cash_before)
        self.renew_population(t)  # 7. entry and exit
        self.ledger.close_quarter(received)

    def run(self) -> NTIBModel:
        """Run to the end (`years`), honouring `running`."""
        while self.running:
            self.step()
        return self

    # -- the phases: the market's own (model.market) on this model's state, and those of the model as a whole --

    def update_policies(self, t: int) -> None:
        """Scheduled changes, then adaptive reactions to what partners did `lag` quarters ago."""
        where = f"{self.spec.source}: schedule"
        changed = [g.apply_schedule(t, where) for g in self.governments]
        if t >= 0:
            home = self.home_share()
            for g in self.governments:
                if not g.adaptive:
                    continue
                lag = int(g.policy.adaptation.settings["lag"])
                seen = Observation(t, self.barrier_history.seen(lag, self.rules.barrier), self.rules.barrier,
                                   home[g.index], self.home_share_ref[g.index])
                changed.append(g.adapt(seen, self.rng))
        if any(changed):
            self.rules = compile_rules([g.policy for g in self.governments], self.spec.ntib_members, self.params)
        self.barrier_history.record(self.rules.barrier)

    def budgets(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """This quarter's (buyer x sector) procurement budget and R&D grants by country, US$bn.

        A government funds defence R&D in proportion to what it buys from its own industry (its home share of
        end-item awards over the last four quarters): R&D follows the design authorities it procures from, so
        an importer does not pour its whole R&D budget into a small home industry."""
        years = max(t, 0) / 4.0
        annual = self.data.procurement_bn * (1.0 + self.spec.growth) ** years
        rd = self.params.rd_budget_share
        demand = shock_factor(self.spec.shocks, "demand", t)
        sector = (annual * (1 - rd) / 4.0)[:, None] * self.data.sector_demand[None, :] * demand
        return sector, annual * rd / 4.0 * self.home_share()

    def supply_factor(self, t: int) -> np.ndarray:
        """Usable share of capacity by (country, sector): below 1 during a supply disruption."""
        return shock_factor(self.spec.shocks, "supply", t)

    def group_firms(self) -> Groups:
        return Groups.build(self.firms)

    def procure(self, sector_budget: np.ndarray, supply: np.ndarray, t: int) -> Awards:
        return procure(self.firms, self.rules, sector_budget, supply, self.params, t, self.rng, self.ledger)

    def source(self, awards: Awards) -> None:
        source(self.firms, self.rules, awards, self.params, self.rng, self.ledger)

    def produce(self, supply: np.ndarray) -> None:
        produce(self.firms, self.params, supply)

    def research(self, grants: np.ndarray) -> None:
        research(self.firms, grants, self.params, self.rng, self.ledger)

    def codevelop(self, groups: Groups, t: int) -> None:
        codevelop(self.firms, groups, self.programmes, self.rules, self.params, t, self.rng, self.ledger)

    def close_accounts(self, cash_before: np.ndarray) -> None:
        close_accounts(self.firms, cash_before, self.params)

    def renew_population(self, t: int) -> None:
        """Exits leave the agent registry; entrants join it, so agents and active rows always match."""
        gone = exits(self.firms, self.params)
        for row in gone:
            self.firm_agents.pop(int(row)).remove()
        new = entrants(self.firms, self.params, t, self.rng, self.limits)
        for row in new:
            self.firm_agents[int(row)] = Firm(self, int(row))
        if t >= 0:
            self.entries += len(new)
            self.exits += len(gone)

    def home_share(self) -> np.ndarray:
        """Each buyer's share of end-item awards won by its own firms over the last four quarters."""
        flows = self.ledger.recent_prime.sum(axis=0)
        total = flows.sum(axis=1)
        return np.where(total > 0, np.diag(flows) / np.where(total > 0, total, 1.0), 0.0)

    def _spin_up(self) -> None:
        """Run the rules in force at the start for a few unrecorded quarters, so capacity meets demand, then
        put every firm's experience at the steady state of its capacity so costs do not drift by construction."""
        for t in range(-self.params.spinup_quarters, 0):
            self.quarter(t)
        self.home_share_ref = self.home_share()
        self.firms.anchor_learning(self.params)
        self.ledger.reset()
        self.firms.awards[:] = 0.0

    def timeseries(self) -> pd.DataFrame:
        """One row per recorded quarter; per-country reporters become columns such as 'tech.USA'."""
        raw = self.datacollector.get_model_vars_dataframe()
        flat = pd.json_normalize(raw.to_dict(orient="records"))
        flat.insert(0, "quarter", [quarter_label(t) for t in range(len(flat))])
        return flat
