"""Phase 3, competition and trade in end items: tenders, eligible bids, best-value awards (docs/ODD.md §7.3).

All tenders of a quarter are scored against all primes at once as a tenders x primes matrix; ineligible
pairs score minus infinity, and each tender goes to its best-scoring bid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import PRIME, C
from model.common.quarters import DAYS_PER_QUARTER
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
    receipt: np.ndarray  # US$bn the winner keeps: the value less duty and licensing costs
    units: np.ndarray  # product units bought
    offset: np.ndarray  # US$bn of work the winner must place in the buyer's country
    content_bound: np.ndarray  # the buyer's domestic-content minimum applies to this contract


@dataclass(frozen=True)
class Tenders:
    """One row per tender of the quarter."""

    buyer: np.ndarray
    sector: np.ndarray
    value: np.ndarray  # US$bn
    safe: np.ndarray  # run under SAFE-like rules: home and European primes only
    noncompeted: np.ndarray  # awarded among the buyer's own primes, if it has one in the sector


def issue_tenders(sector_budget: np.ndarray, rules: Rules, params: Params,
                  rng: np.random.Generator) -> Tenders:
    """Split each buyer-sector budget into tenders of random size; some are run under SAFE-like rules, and some
    are not competed: sustainment, upgrade and follow-on work for the buyer's own primes (even under NTIB
    treatment, which opens competed tenders only)."""
    buyer, sector = np.nonzero(sector_budget > 0)
    budget = sector_budget[buyer, sector]
    count = np.clip(np.rint(budget * params.tenders_per_bn), 1, params.max_tenders).astype(np.int64)
    group = np.repeat(np.arange(len(budget)), count)
    weight = rng.gamma(2.0, 1.0, len(group))
    value = budget[group] * weight / np.bincount(group, weight)[group]
    t_buyer = buyer[group]
    safe = rng.random(len(group)) < rules.safe_share[t_buyer]
    noncompeted = rng.random(len(group)) < rules.noncompeted_share[t_buyer]
    return Tenders(t_buyer, sector[group], value, safe, noncompeted)


def procure(firms: FirmTable, rules: Rules, sector_budget: np.ndarray, supply_factor: np.ndarray, params: Params,
            t: int, rng: np.random.Generator, ledger: Ledger) -> Awards:
    """Run the quarter's tenders, book awards into backlogs, cash and the ledger, and return them.

    Lead time is judged on usable capacity (`supply_factor`, country x sector), so a disrupted firm quotes
    longer delivery and buyers can turn to others."""
    tenders = issue_tenders(sector_budget, rules, params, rng)
    buyer, sector, value, safe = tenders.buyer, tenders.sector, tenders.value, tenders.safe
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
    has_home = (eligible & ~foreign).any(axis=1)  # the buyer has a prime of its own that can bid
    eligible &= ~((tenders.noncompeted & has_home)[:, None] & foreign)
    eligible &= ~(foreign & (rng.random(eligible.shape) < rules.denial[xs, b]))

    offset = foreign & ~rules.offset_exempt[b, xs] & (value[:, None] >= rules.offset_threshold[buyer][:, None])
    offset_rate = np.where(offset, rules.offset_rate[buyer][:, None], 0.0)
    seller = net[None, :] * (1.0 + params.offset_cost * offset_rate)  # per unit, what the winner keeps
    price = seller * (1.0 + rules.friction[xs, b])  # licensing costs are passed on, and spent on licensing
    gross = price * (1.0 + rules.tariff_end[b, xs])
    preference = np.where(domestic, 0.0, rules.margin[b, xs] * ~joint + params.home_bias * foreign)
    lead = lead_quarters(firms.backlog[primes][None, :], value[:, None] / gross, cap[None, :])
    late = lateness(lead + rules.licence_days[xs, b] / DAYS_PER_QUARTER, params)  # a licence delays delivery
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
    charged = units * price[tender, j]
    np.add.at(firms.backlog, win, units)
    np.add.at(firms.cash, win, receipt)
    np.add.at(firms.receipts, win, receipt)
    np.add.at(firms.awards, win, v)
    ledger.q_gov_paid += v.sum()
    ledger.q_tariffs += (v - charged).sum()
    ledger.q_licensing += (charged - receipt).sum()
    np.add.at(ledger.q_prime, (who, x[j]), v)
    np.add.at(ledger.q_flows, (who, x[j]), receipt)  # industry revenue; sourcing moves the component part
    np.add.at(ledger.q_capability, who, units * firms.quality[win])
    ledger.q_ordered += np.bincount(sector[tender], units, minlength=len(ledger.q_ordered))
    return Awards(firm=win, buyer=who, value=v, receipt=receipt, units=units, offset=offset_rate[tender, j] * v,
                  content_bound=domestic[tender, j])
