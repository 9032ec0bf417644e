"""Outcomes (docs/ODD.md §8): pure functions of the model's state, used as DataCollector reporters and for the
end-of-run summary. Reporters over time read the ledger's four-quarter window; the summary reads run totals.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from model.common.countries import (
    COUNTRIES,
    FIVE_EYES,
    FIVE_EYES_MASK,
    N_COUNTRIES,
    N_SECTORS,
    PRIME,
    PRODUCERS,
    SECTORS,
    C,
    pair_key,
)
from model.common.quarters import START_YEAR, quarter_label
from model.market.bidding import prime_cost
from model.market.firms import FirmTable
from model.market.innovation import Programmes, count_pairs
from model.market.ledger import Ledger
from model.policy.params import Params
from model.policy.rules import Rules
from model.policy.scenario import ScenarioSpec

USA = C["USA"]


class ModelState(Protocol):
    """The state every outcome is a function of (an NTIBModel has it): metrics read the model, never drive it."""

    spec: ScenarioSpec
    seed: int
    years: int
    firm_scale: float
    steps: int
    params: Params
    firms: FirmTable
    ledger: Ledger
    programmes: Programmes
    rules: Rules
    cost_reference: np.ndarray
    entries: int
    exits: int


def integration_of(flows: np.ndarray) -> float:
    """Share of Five Eyes buyers' procurement value that went to firms of another Five Eyes country."""
    fe = flows[np.ix_(FIVE_EYES_MASK, FIVE_EYES_MASK)]
    total = flows[FIVE_EYES_MASK].sum()
    return float((fe.sum() - np.trace(fe)) / total) if total > 0 else 0.0


def foreign_share_of(flows: np.ndarray) -> dict[str, float]:
    """Per buyer: share of its spending that went to firms of other countries (NaN if it bought nothing)."""
    total = flows.sum(axis=1)
    share = np.where(total > 0, 1.0 - np.diag(flows) / np.where(total > 0, total, 1.0), np.nan)
    return {c: float(share[C[c]]) for c in PRODUCERS}


def us_share_of(flows: np.ndarray) -> dict[str, float]:
    """Per buyer other than the US: share of its spending that went to US firms."""
    total = flows.sum(axis=1)
    share = np.where(total > 0, flows[:, USA] / np.where(total > 0, total, 1.0), np.nan)
    return {c: float(share[i]) for i, c in enumerate(COUNTRIES) if c != "USA"}


def us_revenue_share_of(flows: np.ndarray) -> float:
    """US firms' share of US and European firms' revenue (end items and components), as SIPRI's Top 100
    compares them: its European firms include the UK's."""
    revenue = flows.sum(axis=0)
    us, european = revenue[C["USA"]], revenue[C["EUR"]] + revenue[C["GBR"]]
    return float(us / (us + european)) if us + european > 0 else float("nan")


def integration_index(m: ModelState) -> float:
    return integration_of(m.ledger.recent_flows.sum(axis=0))


def foreign_share(m: ModelState) -> dict[str, float]:
    return foreign_share_of(m.ledger.recent_prime.sum(axis=0))


def us_share(m: ModelState) -> dict[str, float]:
    return us_share_of(m.ledger.recent_prime.sum(axis=0))


def _by_country(m: ModelState, values: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    w = np.where(mask, weights, 0.0)
    num = np.bincount(m.firms.country, w * values, minlength=N_COUNTRIES)
    den = np.bincount(m.firms.country, w, minlength=N_COUNTRIES)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def tech(m: ModelState) -> dict[str, float]:
    """Capacity-weighted mean quality of each country's active firms."""
    f = m.firms
    q = _by_country(m, f.quality, f.capacity, f.active)
    return {c: float(q[C[c]]) for c in PRODUCERS}


def _primes(m: ModelState) -> np.ndarray:
    """Rows of the active primes: a few hundred among up to 100,000 firms, so prime reporters stay cheap."""
    f = m.firms
    return np.flatnonzero((f.tier == PRIME) & f.active)


def _by_country_of_primes(m: ModelState, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Capacity-weighted mean of a value of the primes in `rows`, per country (nan where none)."""
    country, w = m.firms.country[rows], m.firms.capacity[rows]
    num = np.bincount(country, w * values, minlength=N_COUNTRIES)
    den = np.bincount(country, w, minlength=N_COUNTRIES)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def prime_unit_cost(m: ModelState) -> np.ndarray:
    """Capacity-weighted cost of one product unit from each country's primes (components landed): what the
    cost-escalation studies measure, a unit of equipment in constant money whatever its capability."""
    rows = _primes(m)
    return _by_country_of_primes(m, rows, prime_cost(m.firms, rows, m.params.component_share))


def prime_cost_per_quality(m: ModelState) -> np.ndarray:
    """Capacity-weighted cost of a unit of capability from each country's primes (components landed)."""
    f, rows = m.firms, _primes(m)
    return _by_country_of_primes(m, rows, prime_cost(f, rows, m.params.component_share) / f.quality[rows])


def unit_cost_index(m: ModelState) -> dict[str, float]:
    """Cost of capability from each country's primes, relative to the start date (= 1)."""
    index = prime_cost_per_quality(m) / m.cost_reference
    return {c: float(index[C[c]]) for c in PRODUCERS}


def firms_active(m: ModelState) -> dict[str, int]:
    counts = np.bincount(m.firms.country[m.firms.active], minlength=N_COUNTRIES)
    return {c: int(counts[C[c]]) for c in PRODUCERS}


def hhi(m: ModelState) -> dict[str, float]:
    """Per country: Herfindahl index of its primes' shares of end-item awards within each sector since the
    start date, averaged over sectors weighted by award value (1 = one prime takes everything)."""
    f = m.firms
    primes = np.flatnonzero(f.tier == PRIME)
    key = f.country[primes].astype(np.int64) * N_SECTORS + f.sector[primes]
    awards = f.awards[primes]
    total = np.bincount(key, awards, minlength=N_COUNTRIES * N_SECTORS)
    share = awards / np.where(total[key] > 0, total[key], 1.0)
    group_hhi = np.bincount(key, share**2, minlength=N_COUNTRIES * N_SECTORS)
    by_country = total.reshape(N_COUNTRIES, N_SECTORS)
    h = (group_hhi.reshape(N_COUNTRIES, N_SECTORS) * by_country).sum(axis=1)
    out = np.where(by_country.sum(axis=1) > 0, h / np.maximum(by_country.sum(axis=1), 1e-300), np.nan)
    return {c: float(out[C[c]]) for c in PRODUCERS}


def effective_primes(m: ModelState, country: str = "USA", awards: np.ndarray | None = None) -> float:
    """Mean over sectors of 1/HHI of a country's prime award shares: the 'handful' in numbers. `awards` (per
    firm row, as long as the table was when they were counted) defaults to the awards since the start date."""
    f = m.firms
    awards = f.awards if awards is None else awards
    n = len(awards)
    rows = np.flatnonzero((f.tier[:n] == PRIME) & (f.country[:n] == C[country]))
    total = np.bincount(f.sector[rows], awards[rows], minlength=N_SECTORS)
    share = awards[rows] / np.where(total[f.sector[rows]] > 0, total[f.sector[rows]], 1.0)
    h = np.bincount(f.sector[rows], share**2, minlength=N_SECTORS)
    return float(np.mean(1.0 / h[total > 0])) if (total > 0).any() else float("nan")


def codev_pairs(m: ModelState) -> dict[str, dict[str, int]]:
    """Active and completed joint programmes by country pair (pairs with none are left out)."""
    f, p = m.firms, m.programmes
    active = np.zeros((N_COUNTRIES, N_COUNTRIES))
    count_pairs(f, p.members[p.active], active)
    out = {}
    done = m.ledger.codev_completed
    for i in range(N_COUNTRIES):
        for j in range(i + 1, N_COUNTRIES):
            if active[i, j] or done[i, j]:
                out[pair_key(COUNTRIES[i], COUNTRIES[j])] = {"active": round(active[i, j]),
                                                             "completed": round(done[i, j])}
    return out


def codev_active(m: ModelState) -> int:
    """Joint programmes under way, in real firms' programmes (ledger.py)."""
    return round(m.firms.represents[m.programmes.members[m.programmes.active, 0]].sum())


def codev_completed(m: ModelState) -> int:
    return round(m.ledger.codev_completed.sum())


def codev_density(m: ModelState) -> float:
    """Share of the ten Five Eyes pairs that have an active or completed joint programme."""
    fe = [C[c] for c in FIVE_EYES]
    linked = {tuple(sorted(k.split("-"))) for k in codev_pairs(m)}
    pairs = [(COUNTRIES[i], COUNTRIES[j]) for a, i in enumerate(fe) for j in fe[a + 1:]]
    return sum(tuple(sorted(p)) in linked for p in pairs) / len(pairs)


def capability_per_dollar(m: ModelState) -> dict[str, float]:
    """Per buyer over the last four quarters: units x quality bought per US$bn paid."""
    cap = m.ledger.recent_capability.sum(axis=0)
    paid = m.ledger.recent_prime.sum(axis=0).sum(axis=1)
    return {c: float(cap[i] / paid[i]) if paid[i] > 0 else float("nan") for i, c in enumerate(COUNTRIES)}


def _prime_sums(m: ModelState, values: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    rows = _primes(m) if rows is None else rows
    return np.bincount(m.firms.sector[rows], values[rows], minlength=N_SECTORS)


def ordered(m: ModelState) -> dict[str, float]:
    """End-item units ordered last quarter, by sector: the demand a surge raises."""
    return {s: float(v) for s, v in zip(SECTORS, m.ledger.last_ordered)}


def delivered(m: ModelState) -> dict[str, float]:
    """End-item units the primes delivered last quarter, by sector: the demand met."""
    return {s: float(v) for s, v in zip(SECTORS, _prime_sums(m, m.firms.delivered))}


def lead_time(m: ModelState) -> dict[str, float]:
    """Quarters of work in hand (prime backlog / capacity) by sector: how far behind orders the base runs."""
    rows = _primes(m)
    cap = _prime_sums(m, m.firms.capacity, rows)
    backlog = _prime_sums(m, m.firms.backlog, rows)
    return {s: float(b / c) if c > 0 else float("nan") for s, b, c in zip(SECTORS, backlog, cap)}


def utilisation(m: ModelState) -> float:
    """Share of all active firms' capacity (valued at unit cost) used last quarter; 1 - this is surge headroom."""
    f = m.firms
    cap = float(np.sum(f.delivery_capacity * f.unit_cost, where=f.active))  # capacity before resizing
    return float(np.sum(f.delivered * f.unit_cost, where=f.active)) / cap if cap > 0 else float("nan")


def money_gap(m: ModelState) -> float:
    """Last quarter's government payments less firm receipts, tariff revenue and licensing costs: zero up to
    rounding."""
    led = m.ledger
    return led.last_gov_paid - led.last_firm_received - led.last_tariffs - led.last_licensing


def effective_barrier(m: ModelState) -> dict[str, float]:
    """Tariff + preference + licence cost each Five Eyes government imposes on each partner (imposer>target)."""
    b = m.rules.barrier
    return {f"{i}>{j}": float(b[C[i], C[j]]) for i in FIVE_EYES for j in (*FIVE_EYES, "EUR") if i != j}


REPORTERS = {
    "integration_index": integration_index,
    "foreign_share": foreign_share,
    "us_share": us_share,
    "tech": tech,
    "unit_cost_index": unit_cost_index,
    "firms_active": firms_active,
    "codev_active": codev_active,
    "codev_completed": codev_completed,
    "codev_density": codev_density,
    "capability_per_dollar": capability_per_dollar,
    "barrier": effective_barrier,
    "ordered": ordered,
    "delivered": delivered,
    "lead_time": lead_time,
    "utilisation": utilisation,
    "money_gap": money_gap,
}


def _matrix(flows: np.ndarray) -> dict[str, dict[str, float]]:
    return {b: {s: round(float(flows[i, C[s]]), 6) for s in PRODUCERS}
            for i, b in enumerate(COUNTRIES)}


def _rounded(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and np.isnan(v) else round(v, 6) if isinstance(v, float) else v)
            for k, v in d.items()}


def run_summary(m: ModelState) -> dict:
    """The end-of-run outcomes `ntib run --json` prints: run totals since the start date plus final state."""
    led = m.ledger
    foreign = foreign_share_of(led.prime_flows)
    return {
        "scenario": m.spec.name,
        "seed": m.seed,
        "years": m.years,
        "firm_scale": m.firm_scale,
        "start": f"{START_YEAR}Q1",
        "end": quarter_label(m.steps - 1) if m.steps else None,
        "integration_index": round(integration_of(led.flows), 6),
        "flows": _matrix(led.flows),
        "prime_flows": _matrix(led.prime_flows),
        "domestic_share": _rounded({c: (1.0 - v) for c, v in foreign.items()}),
        "foreign_share": _rounded(foreign),
        "us_share": _rounded(us_share_of(led.prime_flows)),
        "codev_pairs": codev_pairs(m),
        "codev_denied": round(led.codev_denied.sum()),
        "tech": _rounded(tech(m)),
        "unit_cost_index": _rounded(unit_cost_index(m)),
        "firms_active": firms_active(m),
        "hhi": _rounded(hhi(m)),
        "us_effective_primes": round(effective_primes(m), 6),
        "capability_per_bn": _rounded({c: float(led.capability[i] / led.prime_flows[i].sum())
                                       if led.prime_flows[i].sum() > 0 else float("nan")
                                       for i, c in enumerate(COUNTRIES)}),
        "entries": int(m.entries),
        "exits": int(m.exits),
        "money": {"government_paid": round(led.gov_paid, 6), "firms_received": round(led.firm_received, 6),
                  "tariff_revenue": round(led.tariff_revenue, 6),
                  "licensing_costs": round(led.licensing_costs, 6),
                  "offsets_discharged": round(led.offsets_discharged, 6)},
    }
