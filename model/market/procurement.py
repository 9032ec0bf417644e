"""Phase 3, competition and trade in end items: tenders, eligible bids, best-value awards (docs/ODD.md §7.3).

All tenders of a quarter are scored against all primes at once as a tenders x primes matrix; ineligible
pairs score minus infinity, and each tender goes to its best-scoring bid. An offer that claims domestic or
qualifying status must pass the buyer's content test (as a domestic end product must reach its content
share under Buy American); one that fails is evaluated as foreign, with the margin on non-qualifying offers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import PRIME, C
from model.common.quarters import DAYS_PER_QUARTER
from model.market.bidding import bid_score, lateness, lead_quarters, prime_unit_price
from model.market.firms import NO_PROGRAMME, FirmTable
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
    partner: np.ndarray  # country of the winner's joint-programme partner, whose suppliers get the workshare; -1
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


def offer_content(firms: FirmTable, rows: np.ndarray, rules: Rules, component_share: float) -> np.ndarray:
    """Share of the value of an offer by the primes in `rows` that counts as domestic content for each buyer:
    (rows, buyer). The prime's own work is done where it is, under the status its offer claims; of its
    components, those from origins whose content the buyer counts, in the prime's usual supply chain."""
    counted = firms.comp_origin[rows] @ rules.content_ok.T.astype(np.float64)
    return (1.0 - component_share) + component_share * counted


def _passes_content_test(firms: FirmTable, primes: np.ndarray, buyer: np.ndarray, waived: np.ndarray, rules: Rules,
                         component_share: float) -> np.ndarray:
    """(tenders, primes): the offer reaches the buyer's content minimum, or claims no status that needs it."""
    content = offer_content(firms, primes, rules, component_share)[:, buyer].T
    return ~waived | (content >= rules.content_min[buyer][:, None] - 1e-9)


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
    eligible = (sector[:, None] == firms.sector[primes][None, :])
    eligible &= ~(rules.sovereign[buyer, sector][:, None] & ~domestic)
    eligible &= ~(safe[:, None] & ~((b == xs) | (xs == EUR)))
    has_home = (eligible & ~foreign).any(axis=1)  # the buyer has a prime of its own that can bid
    eligible &= ~((tenders.noncompeted & has_home)[:, None] & foreign)
    eligible &= ~(foreign & (rng.random(eligible.shape) < rules.denial[xs, b]))

    offset = foreign & ~rules.offset_exempt[b, xs] & (value[:, None] >= rules.offset_threshold[buyer][:, None])
    offset_rate = np.where(offset, rules.offset_rate[buyer][:, None], 0.0)
    seller = net[None, :] * (1.0 + params.offset_cost * offset_rate)  # per unit, what the winner keeps
    price = seller * (1.0 + rules.friction[xs, b])  # licensing costs are passed on, and spent on licensing
    gross = price * (1.0 + rules.tariff_end[b, xs])
    waived = rules.margin[b, xs] == 0.0  # the offer claims domestic or qualifying status
    passes = _passes_content_test(firms, primes, buyer, waived, rules, params.component_share)
    margin = np.where(waived & ~passes, rules.foreign_margin[buyer][:, None], rules.margin[b, xs])
    preference = np.where(domestic & passes, 0.0, margin + params.home_bias * foreign)
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
    _book_awards(firms, ledger, win, who, sector[tender], v, units, receipt, units * price[tender, j])
    return Awards(firm=win, buyer=who, value=v, receipt=receipt, units=units, offset=offset_rate[tender, j] * v,
                  partner=joint_partner(firms, win, t, rng), content_bound=(waived & passes)[tender, j])


def joint_partner(firms: FirmTable, rows: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
    """For each prime, a country whose suppliers get the workshare of its joint product, drawn uniformly among
    the countries of the programmes whose product it still makes, or -1: a joint product is made by each
    member for its own and third markets, with the others' workshare (F-35-like), not sold into a partner's
    market by a foreign member."""
    until = firms.joint_until[rows]
    current = (until != NO_PROGRAMME) & (until >= t)
    pick = np.argmax(np.where(current, rng.random(current.shape), -1.0), axis=1)
    return np.where(current.any(axis=1), pick, -1)


def _book_awards(firms: FirmTable, ledger: Ledger, win: np.ndarray, who: np.ndarray, sector: np.ndarray,
                 value: np.ndarray, units: np.ndarray, receipt: np.ndarray, charged: np.ndarray) -> None:
    """Winners' backlogs, cash and awards; the buyer's payment split into the winner's receipt, licensing
    costs and duty."""
    np.add.at(firms.backlog, win, units)
    np.add.at(firms.cash, win, receipt)
    np.add.at(firms.receipts, win, receipt)
    np.add.at(firms.awards, win, value)
    ledger.transfer("procurement", value.sum(), receipt.sum(), (value - charged).sum(), (charged - receipt).sum())
    country = firms.country[win]
    np.add.at(ledger.q_prime, (who, country), value)
    np.add.at(ledger.q_flows, (who, country), receipt)  # industry revenue; sourcing moves the component part
    np.add.at(ledger.q_capability, who, units * firms.quality[win])
    ledger.q_ordered += np.bincount(sector, units, minlength=len(ledger.q_ordered))
