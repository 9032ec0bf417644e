"""What the validation suite measures on a run (docs/validation.md): the patterns of model/data/patterns.toml,
in windows of the run, and the outcomes the lever and scale checks compare.

A window is the difference of two snapshots of the model's cumulative totals, so the same measures serve the
first five years, the last five and the whole run: a level that holds only as an average over a drift shows
up as a miss in one of the windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from model.common.countries import ALLIES, FIVE_EYES_MASK, N_SECTORS, SUPPLIER, C
from model.data.country_data import CountryData
from model.metrics.outcomes import (
    ModelState,
    effective_primes,
    foreign_share_of,
    integration_of,
    prime_cost_per_quality,
    prime_unit_cost,
    us_revenue_share_of,
)

USA, GBR, CAN, AUS, NZL, EUR = (C[c] for c in ("USA", "GBR", "CAN", "AUS", "NZL", "EUR"))
ALLY_ROWS = [C[c] for c in ALLIES]
TOP_SHARE = 0.10  # the "top 10 %" of the supplier-tail pattern


class ValidatedModel(ModelState, Protocol):
    """The state the validation measures read beyond the outcomes' (NTIBModel has it)."""

    data: CountryData


@dataclass(frozen=True)
class Snapshot:
    """The model's cumulative totals at the end of quarter `quarter` (0 = the start date, before any step)."""

    quarter: int
    prime_flows: np.ndarray  # buyer x supplier end-item awards since the start date
    flows: np.ndarray  # buyer x supplier value, end items and components
    components: np.ndarray  # prime's country x supplier's country
    tenders: np.ndarray  # (buyer,) value put out to tender
    awards: np.ndarray  # (firm row,) end-item awards
    active: np.ndarray  # (firm row,)
    us_cost: float  # US primes' cost per unit of capability
    us_unit_cost: float  # US primes' cost per product unit
    capacity_bn: float  # all active firms' capacity, valued at unit cost (US$bn a quarter)


def snapshot(m: ValidatedModel, quarter: int) -> Snapshot:
    led = m.ledger
    return Snapshot(quarter, led.prime_flows.copy(), led.flows.copy(), led.components.copy(), led.tenders.copy(),
                    m.firms.awards.copy(), m.firms.active.copy(), float(prime_cost_per_quality(m)[USA]),
                    float(prime_unit_cost(m)[USA]),
                    float(np.sum(m.firms.capacity * m.firms.unit_cost, where=m.firms.active)))


def _share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _padded(values: np.ndarray, n: int) -> np.ndarray:
    """Per-firm values of an earlier snapshot, with zeros for the firms that entered since."""
    return np.concatenate([values, np.zeros(n - len(values), dtype=values.dtype)])


def window_levels(m: ValidatedModel, start: Snapshot, end: Snapshot) -> dict[str, float]:
    """The level patterns over the quarters between two snapshots."""
    prime = end.prime_flows - start.prime_flows
    flows = end.flows - start.flows
    years = (end.quarter - start.quarter) / 4.0
    foreign = foreign_share_of(prime)
    revenue = flows.sum(axis=0) / years  # by supplier country, US$bn a year
    european = revenue[EUR] + revenue[GBR]  # SIPRI's European firms include the UK's
    return {
        "us_foreign_share": foreign["USA"],
        "can_share_to_us": _share(prime[CAN, USA], prime[CAN].sum()),
        "gbr_domestic_share": 1.0 - foreign["GBR"],
        "aus_domestic_value_share": _share(flows[AUS, AUS], flows[AUS].sum()),
        "nzl_domestic_share": 1.0 - foreign["NZL"],
        "us_revenue_share": us_revenue_share_of(flows),
        "us_revenue_bn": float(revenue[USA]),
        "eur_revenue_bn": float(european),
        "aus_revenue_bn": float(revenue[AUS]),
        "us_effective_primes": effective_primes(m, "USA", end.awards - _padded(start.awards, len(end.awards))),
    }


def supplier_tail(m: ValidatedModel) -> dict[str, float]:
    """How broad the US supplier tier is now: the top tenth's share of capacity, and the effective number of
    suppliers per sector (1/HHI of capacity) as a share of the real suppliers per sector it stands for."""
    f = m.firms
    us = f.active & (f.tier == SUPPLIER) & (f.country == USA)
    value = f.capacity * f.unit_cost
    top, effective = [], []
    for s in range(N_SECTORS):
        rows = us & (f.sector == s)
        cap = np.sort(value[rows])[::-1]
        if len(cap) == 0 or cap.sum() <= 0:
            continue
        k = max(1, int(np.ceil(TOP_SHARE * len(cap))))
        top.append(cap[:k].sum() / cap.sum())
        # each sampled supplier stands for `represents` real ones of 1/represents its size
        effective.append(f.represents[rows].mean() / np.sum((cap / cap.sum()) ** 2))
    data = m.data
    sectors = max(int(data.supplier_sectors[USA].sum()), 1)
    real_per_sector = (data.firms_real[USA] - data.primes[USA].sum()) / sectors
    return {
        "us_supplier_top10_share": float(np.mean(top)) if top else float("nan"),
        "us_effective_suppliers_share": float(np.mean(effective)) / real_per_sector if effective else float("nan"),
    }


def survival(m: ValidatedModel, start: Snapshot, end: Snapshot) -> float:
    """Share of the US suppliers active at `start` that are still active at `end`."""
    f = m.firms
    n = len(start.active)
    cohort = start.active & (f.tier[:n] == SUPPLIER) & (f.country[:n] == USA)
    return _share(float((cohort & end.active[:n]).sum()), float(cohort.sum()))


def dynamics(m: ValidatedModel, first: Snapshot, early: Snapshot, late: Snapshot, mid: Snapshot,
             last: Snapshot) -> dict[str, float]:
    """The dynamic patterns of a run: `first` is the start, `early` the end of the first window, `late` the
    start of the last window, `mid` the middle and `last` the end."""
    years = (last.quarter - first.quarter) / 4.0
    span = (late.quarter + last.quarter - first.quarter - early.quarter) / 8.0  # years between window centres
    capacity_growth = _growth(first.capacity_bn, last.capacity_bn, years)
    budget_growth = _growth(float((early.tenders - first.tenders).sum()), float((last.tenders - late.tenders).sum()),
                            span)
    first_half, second_half = survival(m, first, mid), survival(m, mid, last)
    return {
        "us_real_unit_cost_growth": _growth(first.us_unit_cost, last.us_unit_cost, years),
        "us_capability_cost_growth": _growth(first.us_cost, last.us_cost, years),
        "capacity_budget_elasticity": _share(capacity_growth, budget_growth) if abs(budget_growth) > 1e-6
        else float("nan"),
        "us_supplier_survival_decade": first_half,
        "us_supplier_hazard_ratio": _share(1.0 - second_half, 1.0 - first_half),
        "capacity_growth": capacity_growth,
        "budget_growth": budget_growth,
    }


def _growth(before: float, after: float, years: float) -> float:
    return (after / before) ** (1.0 / years) - 1.0 if before > 0 and after > 0 else float("nan")


def outcomes(m: ValidatedModel, first: Snapshot, last: Snapshot) -> dict[str, float]:
    """The whole-run outcomes the lever and scale checks compare (beyond the level patterns)."""
    flows = last.flows - first.flows
    prime = last.prime_flows - first.prime_flows
    components = last.components - first.components
    years = (last.quarter - first.quarter) / 4.0
    foreign = foreign_share_of(prime)
    led = m.ledger
    five_eyes = np.ix_(FIVE_EYES_MASK, FIVE_EYES_MASK)
    return {
        "integration_index": integration_of(flows),
        "us_foreign_component_share": 1.0 - _share(components[USA, USA], components[USA].sum()),
        "allied_purchases_from_us_bn": float(flows[ALLY_ROWS, USA].sum() / years),
        "allied_purchases_from_eur_bn": float(flows[ALLY_ROWS, EUR].sum() / years),
        "can_domestic_value_share": _share(flows[CAN, CAN], flows[CAN].sum()),
        "aus_foreign_share": foreign["AUS"],
        "codev_started_five_eyes": float(np.triu(led.codev_started[five_eyes], 1).sum()),
        "allied_barrier_on_us": float(m.rules.barrier[ALLY_ROWS, USA].mean()),
        "us_home_share": 1.0 - foreign["USA"],
        "firms_active": float(m.firms.represents[m.firms.active].sum()),
        "us_unit_cost_index": last.us_cost / first.us_cost,
    }
