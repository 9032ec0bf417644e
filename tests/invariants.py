"""What the model guarantees after every step of any valid run, as checks that raise AssertionError.

Each check's docstring is the guarantee in words (docs/reliability.md lists them). The guarantees are read off
the phases: production never delivers more than the backlog, so backlog stays >= 0; capacity is floored at
1e-9; cash may go negative, but a firm that has lost money for `exit_quarters` and is out of cash exits in
the same quarter; money only moves between governments, firms, tariff revenue and licensing costs.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from model.common.countries import COUNTRIES, N_SECTORS, PRIME, SECTORS, C
from model.market.demography import group_of
from model.market.firms import unit_cost_of
from model.market.ledger import MONEY_TOLERANCE, balanced
from model.metrics.outcomes import integration_index, prime_cost_per_quality
from model.policy.adaptation import ADAPTATION
from model.policy.levers import LEVERS
from model.policy.scenario import load_scenario
from model.simulation.agents import Firm, Government
from model.simulation.model import NTIBModel

REL = MONEY_TOLERANCE  # float rounding allowed on money sums, relative to the money moved
FLOAT_COLUMNS = ("quality", "base_cost", "cum_output", "unit_cost", "capacity", "backlog", "cash", "revenue_ema",
                 "profit_ema", "comp_price", "awards", "receipts", "delivered", "delivery_capacity")
POSITIVE = ("quality", "base_cost", "cum_output", "unit_cost", "capacity", "comp_price")
NON_NEGATIVE = ("backlog", "awards", "delivered", "delivery_capacity")


class RunCase(Protocol):
    """A scenario file's text, --set overrides and the run's seed, length and firm scale."""

    toml: str
    overrides: tuple[str, ...]
    seed: int
    years: int
    firm_scale: float


def run_checked(case: RunCase) -> NTIBModel:
    """Write the case's scenario file, load it with its overrides, and check every invariant after each step."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "drawn.toml"
        path.write_text(case.toml)
        spec = load_scenario(str(path), list(case.overrides))
    model = NTIBModel(spec, seed=case.seed, years=case.years, firm_scale=case.firm_scale)
    checker = Checker(model)
    while model.running:
        model.step()
        checker(model)
    assert checker.steps == case.years * 4
    return model


def _close(a: float, b: float, scale: float) -> bool:
    return balanced(a - b, scale)


class Checker:
    """Runs every check after a step; keeps what it saw last step for the monotone ones."""

    def __init__(self, m: NTIBModel) -> None:
        self.prev: dict[str, object] = {"n": m.firms.n, "awards": m.firms.awards.copy(), "completed": 0,
                                        "entries": 0, "exits": 0, "totals": (0.0, 0.0, 0.0, 0.0)}
        self.sum_last = np.zeros(4)  # sums of the per-quarter money terms, to check the run totals
        self.steps = 0

    def __call__(self, m: NTIBModel) -> None:
        self.steps += 1
        for check in CHECKS.values():
            check(m, self)


CHECKS: dict[str, Callable[[NTIBModel, Checker], None]] = {}


def check(fn: Callable[[NTIBModel, Checker], None]) -> Callable[[NTIBModel, Checker], None]:
    CHECKS[fn.__name__] = fn
    return fn


def descriptions() -> list[tuple[str, str]]:
    """(name, guarantee) for every check, for the reliability report."""
    return [(name, " ".join((fn.__doc__ or "").split())) for name, fn in CHECKS.items()]


@check
def money_each_quarter(m: NTIBModel, ck: Checker) -> None:
    """Each quarter, government payments = firm receipts + tariff revenue + licensing costs (to 1e-9 relative);
    tariffs and licensing costs >= 0; the money_gap reporter is that difference."""
    led = m.ledger
    gap = led.last_gov_paid - led.last_firm_received - led.last_tariffs - led.last_licensing
    assert _close(gap, 0.0, led.last_gov_paid), f"money gap {gap} in a quarter paying {led.last_gov_paid}"
    assert led.last_tariffs >= -REL * max(1.0, led.last_gov_paid), f"negative tariff revenue {led.last_tariffs}"
    assert led.last_licensing >= 0.0, f"negative licensing costs {led.last_licensing}"
    assert m.datacollector.model_vars["money_gap"][-1] == gap


@check
def money_run_totals(m: NTIBModel, ck: Checker) -> None:
    """Run totals obey the same identity and equal the sum of the quarters; they never fall (by more than
    rounding on the money moved: budgets compounding to 1e20 leave rounding larger than a small total)."""
    led = m.ledger
    ck.sum_last += (led.last_gov_paid, led.last_firm_received, led.last_tariffs, led.last_licensing)
    totals = (led.gov_paid, led.firm_received, led.tariff_revenue, led.licensing_costs)
    assert _close(totals[0], totals[1] + totals[2] + totals[3], totals[0]), f"run totals {totals} do not balance"
    for total, summed in zip(totals, ck.sum_last):
        assert _close(total, summed, total), f"run total {total} != sum of quarters {summed}"
    fallen = [name for name, now, before in zip(("paid", "received", "tariffs", "licensing"), totals,
                                                 ck.prev["totals"]) if now < before - REL * max(1.0, totals[0])]
    assert not fallen, f"run totals fell: {fallen}"
    ck.prev["totals"] = totals


@check
def flows_account(m: NTIBModel, ck: Checker) -> None:
    """End-item awards are >= 0 and never exceed what was tendered; all-value flows are industry revenue, so
    they sum to the awards less at most the duties and licensing costs paid, and none is negative (in the run
    totals and in the four-quarter window the reporters read)."""
    led = m.ledger
    assert (led.prime_flows >= 0).all()
    for name in ("flows", "recent_flows"):
        low = getattr(led, name).min()
        assert low >= -REL * max(1.0, led.prime_flows.sum()), f"ledger.{name} has a negative flow {low}"
    assert led.prime_flows.sum() <= led.tenders.sum() * (1 + REL) + REL
    awards, revenue = led.prime_flows.sum(), led.flows.sum()
    taken = led.tariff_revenue + led.licensing_costs
    assert revenue <= awards * (1 + REL) + REL, f"flows {revenue} exceed awards {awards}"
    assert revenue >= (awards - taken) - REL * max(1.0, awards), f"flows {revenue} below {awards - taken}"


@check
def population_within_limits(m: NTIBModel, ck: Checker) -> None:
    """The firm table stays within its row limit, and no country-sector-tier group holds more active firms than
    GROUP_GROWTH_LIMIT x its start (model.market.demography.PopulationLimits)."""
    assert m.firms.n <= m.limits.rows, f"{m.firms.n} rows, limit {m.limits.rows}"
    active = np.bincount(group_of(m.firms), m.firms.active, minlength=len(m.limits.group))
    assert (active <= m.limits.group).all(), "a group holds more active firms than its limit"


@check
def active_firm_state(m: NTIBModel, ck: Checker) -> None:
    """Active firms: every money and quantity column finite; quality, costs, capacity, experience and
    component price > 0; backlog, awards and deliveries >= 0; unit cost on its learning curve."""
    f = m.firms
    rows = np.flatnonzero(f.active)
    for name in FLOAT_COLUMNS:
        values = getattr(f, name)[rows]
        assert np.isfinite(values).all(), f"{name} not finite in rows {rows[~np.isfinite(values)][:5]}"
    for name in POSITIVE:
        assert (getattr(f, name)[rows] > 0).all(), f"{name} <= 0 for an active firm"
    for name in NON_NEGATIVE:
        assert (getattr(f, name)[rows] >= 0).all(), f"{name} < 0 for an active firm"
    assert (f.loss_streak[rows] >= 0).all()
    curve = unit_cost_of(f.base_cost[rows], f.cum_output[rows], f.quality[rows], m.params)
    assert np.allclose(f.unit_cost[rows], curve, rtol=1e-9, atol=0), "unit cost off its learning curve"


@check
def exit_and_dividend_rules(m: NTIBModel, ck: Checker) -> None:
    """No active firm is both out of cash and loss-making for exit_quarters (it would have exited); firms
    older than this quarter hold at most cash_buffer quarters of revenue (the rest is paid out)."""
    f, p = m.firms, m.params
    t = m.steps - 1
    broke = f.active & (f.cash < 0) & (f.loss_streak >= p.exit_quarters)
    assert not broke.any(), f"{broke.sum()} insolvent firms past exit_quarters still active"
    old = f.active & (f.born < t)
    buffer = p.cash_buffer * np.maximum(f.revenue_ema, 0.0)
    over = old & (f.cash > buffer + REL * np.maximum(1.0, np.abs(buffer)))
    assert not over.any(), f"{over.sum()} firms hold cash above their buffer"


@check
def exited_rows(m: NTIBModel, ck: Checker) -> None:
    """Exited rows keep no capacity (at most the 1e-9 floor), no backlog, no programme; nobody carries
    receipts between quarters; rows are never reused (the table only grows, award totals never fall)."""
    f = m.firms
    gone = ~f.active
    assert (f.capacity[gone] <= 1e-9).all() and (f.backlog[gone] == 0).all() and not f.in_codev[gone].any()
    assert (f.receipts == 0).all()
    assert f.n >= ck.prev["n"]
    before = ck.prev["awards"]
    assert (f.awards[: len(before)] >= before).all()
    ck.prev["n"], ck.prev["awards"] = f.n, f.awards.copy()


@check
def codev_consistent(m: NTIBModel, ck: Checker) -> None:
    """A firm is flagged in co-development exactly when it is active and a member of a live programme, and it
    is in at most one; a programme has two or more members, from different countries; completed programmes
    never fall; the reporter counts live programmes, weighted by the real firms the first member stands for."""
    f, p = m.firms, m.programmes
    live = np.flatnonzero(p.active)
    members = p.members[live]
    present = members >= 0
    assert (present.sum(axis=1) >= 2).all() and present[:, 0].all(), "a programme without two members"
    countries = np.where(present, f.country[np.maximum(members, 0)], -1 - np.arange(members.shape[1]))
    assert all(len(set(row)) == len(row) for row in countries.tolist()), "two members from one country"
    partners = members[present]
    count = np.bincount(partners, minlength=f.n)
    expected = (count > 0) & f.active
    assert (f.in_codev == expected).all(), "in_codev flags differ from live programmes"
    assert (count[f.active] <= 1).all(), "an active firm is in two programmes"
    completed = int(m.ledger.codev_completed.sum())
    assert completed >= ck.prev["completed"]
    ck.prev["completed"] = completed
    # the reporter counts live programmes in real firms' programmes (a sampled supplier's stands for many)
    assert m.datacollector.model_vars["codev_active"][-1] == round(f.represents[members[:, 0]].sum())


@check
def agent_registry(m: NTIBModel, ck: Checker) -> None:
    """Mesa's agents are exactly the governments plus one Firm view per active row, and the firm_agents
    map is keyed by those rows; entries and exits only count up."""
    rows = set(np.flatnonzero(m.firms.active).tolist())
    assert set(m.firm_agents) == rows
    assert all(agent.row == row for row, agent in m.firm_agents.items())
    agents = list(m.agents)
    assert len(agents) == len(rows) + len(m.governments)
    firms = [a for a in agents if isinstance(a, Firm)]
    assert {a.row for a in firms} == rows and len(firms) == len(rows)
    assert {a.code for a in agents if isinstance(a, Government)} == set(COUNTRIES)
    assert m.entries >= ck.prev["entries"] and m.exits >= ck.prev["exits"]
    ck.prev["entries"], ck.prev["exits"] = m.entries, m.exits


@check
def policies_in_range(m: NTIBModel, ck: Checker) -> None:
    """Every government's levers (after schedules and adaptation) stay inside their allowed ranges, and
    the compiled rules' probabilities and shares stay in [0, 1]."""
    for g in m.governments:
        for name, (kind, low, high, *_) in LEVERS.items():
            value = getattr(g.policy, name)
            if kind in ("partner", "number"):
                assert np.all((np.asarray(value) >= low) & (np.asarray(value) <= high)), f"{g.code}.{name}={value}"
        for key, value in g.policy.adaptation.settings.items():
            _, low, high, _ = ADAPTATION[g.policy.adaptation.mode][key]
            assert low <= value <= high
    r = m.rules
    for name in ("denial", "content_min", "duty_free", "safe_share", "codev_support"):
        values = getattr(r, name)
        assert ((values >= 0) & (values <= 1)).all(), f"rules.{name} outside [0, 1]"
    assert (r.barrier >= 0).all() and np.isfinite(r.barrier).all()


def _row(m: NTIBModel) -> dict[str, object]:
    return {name: series[-1] for name, series in m.datacollector.model_vars.items()}


@check
def shares_in_unit_interval(m: NTIBModel, ck: Checker) -> None:
    """Integration index, foreign and US shares, co-development density and capacity utilisation lie in
    [0, 1] up to float rounding (1e-9); a buyer's shares are NaN exactly when it bought nothing in the window."""
    row = _row(m)
    assert -REL <= row["integration_index"] <= 1 + REL, f"integration index {row['integration_index']}"
    assert row["integration_index"] == integration_index(m)
    assert 0 <= row["codev_density"] <= 1, f"codev density {row['codev_density']}"
    bought = m.ledger.recent_prime.sum(axis=0).sum(axis=1)
    for reporter in ("foreign_share", "us_share"):
        for code, value in row[reporter].items():
            if bought[C[code]] > 0:
                assert -REL <= value <= 1 + REL, f"{reporter}.{code} = {value}"
            else:
                assert math.isnan(value), f"{reporter}.{code} = {value} for a buyer that bought nothing"
    if "utilisation" in row and not math.isnan(row["utilisation"]):
        assert 0 <= row["utilisation"] <= 1 + REL, f"utilisation {row['utilisation']}"


def _nan_allowed(m: NTIBModel) -> dict[str, Callable[[str], bool]]:
    """Where a reporter is NaN by design: the quantity it divides by is zero."""
    f = m.firms
    bought = m.ledger.recent_prime.sum(axis=0).sum(axis=1)
    firms_in = np.bincount(f.country, f.active, minlength=len(COUNTRIES))
    primes_now = np.bincount(f.country, f.active & (f.tier == PRIME), minlength=len(COUNTRIES))
    prime_cap = np.bincount(f.sector, np.where(f.active & (f.tier == PRIME), f.capacity, 0.0), minlength=N_SECTORS)
    no_reference = np.isnan(m.cost_reference)
    no_purchase = lambda code: bought[C[code]] == 0  # noqa: E731
    return {
        "foreign_share": no_purchase, "us_share": no_purchase, "capability_per_dollar": no_purchase,
        "tech": lambda code: firms_in[C[code]] == 0,
        "unit_cost_index": lambda code: primes_now[C[code]] == 0 or no_reference[C[code]],
        "lead_time": lambda sector: prime_cap[SECTORS.index(sector)] == 0,
        "utilisation": lambda _: not (f.delivery_capacity[f.active] > 0).any(),
    }


@check
def reporters_finite(m: NTIBModel, ck: Checker) -> None:
    """Every reporter value is finite, except the documented NaNs (a share or ratio whose denominator is
    zero: no purchases, no active firms or primes, no capacity); counts match the firm arrays."""
    allowed = _nan_allowed(m)
    for name, value in _row(m).items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, entry in items:
            v = entry["active"] + entry["completed"] if isinstance(entry, dict) else entry
            if isinstance(v, float) and math.isnan(v):
                assert name in allowed and allowed[name](key), f"{name}[{key}] is NaN"
            else:
                assert math.isfinite(v), f"{name}[{key}] = {v}"
    row = _row(m)
    assert sum(row["firms_active"].values()) == int(m.firms.active[m.firms.country != C["ROW"]].sum())
    assert all(v >= 0 for v in row["barrier"].values())
    cost = prime_cost_per_quality(m)
    assert np.isfinite(cost[~np.isnan(cost)]).all()
