"""Phase 3, competition and trade in end items: tenders, eligible bids, best-value awards (docs/ODD.md §7.3).

All tenders of a quarter are scored against all primes at once as a tenders x primes matrix; ineligible
pairs score minus infinity, and each tender goes to its best-scoring bid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import PRIME, C
from model.market.bidding import bid_score, lateness, lead_quarters, prime_unit_price
from model.market.firms import FirmTable
from model.market.ledger import Ledger
from model.policy.params import Params
from model.policy.rules import Rules

EUR = C["EUR"]


@dataclass
class Awards:
    """One row per awarded tender."""

    firm: np.ndarray  # winning prime's row
    buyer: np.ndarray
    value: np.ndarray  # US$bn the buyer pays, duty included
    units: np.ndarray  # product units bought
    offset: np.ndarray  # US$bn of work the winner must place in the buyer's country
    content_bound: np.ndarray  # the buyer's domestic-content minimum applies to this contract


def issue_tenders(sector_budget: np.ndarray, safe_share: np.ndarray, params: Params,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split each buyer-sector budget into tenders of random size; some are run under SAFE-like rules."""
    buyer, sector = np.nonzero(sector_budget > 0)
    budget = sector_budget[buyer, sector]
    count = np.clip(np.rint(budget * params.tenders_per_bn), 1, params.max_tenders).astype(np.int64)
    group = np.repeat(np.arange(len(budget)), count)
    weight = rng.gamma(2.0, 1.0, len(group))
    value = budget[group] * weight / np.bincount(group, weight)[group]
    t_buyer = buyer[group]
    safe = rng.random(len(group)) < safe_share[t_buyer]
    return t_buyer, sector[group], value, safe


def procure(firms: FirmTable, rules: Rules, sector_budget: np.ndarray, supply_factor: np.ndarray, params: Params,
            t: int, rng: np.random.Generator, ledger: Ledger) -> Awards:
    """Run the quarter's tenders, book awards into backlogs, cash and the ledger, and return them.

    Lead time is judged on usable capacity (`supply_factor`, country x sector), so a disrupted firm quotes
    longer delivery and buyers can turn to others."""
    buyer, sector, value, safe = issue_tenders(sector_budget, rules.safe_share, params, rng)
    ledger.q_tenders += np.bincount(buyer, value, minlength=len(ledger.q_tenders))
    primes = np.flatnonzero(firms.active & (firms.tier == PRIME))
    x = firms.country[primes].astype(np.int64)
    net = prime_unit_price(firms, primes, params)
    cap = np.maximum(firms.capacity[primes] * supply_factor[x, firms.sector[primes]], 1e-12)

    b = buyer[:, None]
    xs = x[None, :]
    foreign = b != xs
    domestic = rules.domestic[b, xs]
    joint = t <= firms.access_until[primes][:, buyer].T  # a joint product: qualifying, and let into sovereign sectors
    eligible = (sector[:, None] == firms.sector[primes][None, :])
    eligible &= ~(rules.sovereign[buyer, sector][:, None] & ~(domestic | joint))
    eligible &= ~(safe[:, None] & ~((b == xs) | (xs == EUR)))
    eligible &= ~(foreign & (rng.random(eligible.shape) < rules.denial[xs, b]))

    offset = foreign & ~rules.offset_exempt[b, xs] & (value[:, None] >= rules.offset_threshold[buyer][:, None])
    offset_rate = np.where(offset, rules.offset_rate[buyer][:, None], 0.0)
    seller = net[None, :] * (1.0 + rules.friction[xs, b]) * (1.0 + params.offset_cost * offset_rate)
    tariff = rules.tariff_end[b, xs]
    gross = seller * (1.0 + tariff)
    preference = np.where(domestic, 0.0, rules.margin[b, xs] * ~joint + params.home_bias * foreign)
    late = lateness(lead_quarters(firms.backlog[primes][None, :], value[:, None] / gross, cap[None, :]), params)
    score = bid_score(firms.quality[primes][None, :], gross, preference, late, rng.standard_normal(eligible.shape),
                      params)
    score[~eligible] = -np.inf

    if not len(primes):  # every prime has exited (possible under extreme parameters): no bids, no awards
        score = np.full((len(value), 1), -np.inf)
    best = np.argmax(score, axis=1)
    tender = np.flatnonzero(np.isfinite(score[np.arange(len(value)), best]))
    j = best[tender]
    win, who, v = primes[j], buyer[tender], value[tender]
    units = v / gross[tender, j]
    receipt = units * seller[tender, j]
    np.add.at(firms.backlog, win, units)
    np.add.at(firms.cash, win, receipt)
    np.add.at(firms.receipts, win, receipt)
    np.add.at(firms.awards, win, v)
    ledger.q_gov_paid += v.sum()
    ledger.q_tariffs += (v - receipt).sum()
    np.add.at(ledger.q_prime, (who, x[j]), v)
    np.add.at(ledger.q_flows, (who, x[j]), v)  # sourcing moves the component part to the suppliers
    np.add.at(ledger.q_capability, who, units * firms.quality[win])
    ledger.q_ordered += np.bincount(sector[tender], units, minlength=len(ledger.q_ordered))
    return Awards(firm=win, buyer=who, value=v, units=units, offset=offset_rate[tender, j] * v,
                  content_bound=domestic[tender, j])
