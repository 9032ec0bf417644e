"""Phase 4, trade in components: primes split each new contract's component share into lots and source each
lot from the best of a few candidate suppliers (docs/ODD.md §7.4).

Rules bite here: offset obligations force lots to the buyer's suppliers, the buyer's domestic-content
minimum caps the foreign lots of contracts it binds, component tariffs (less duty-free entry on the buyer's
own contracts) and export licences (with re-export control toward the final buyer) price foreign supply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import N_COUNTRIES, SUPPLIER
from model.common.quarters import DAYS_PER_QUARTER
from model.market.bidding import bid_score, lateness, lead_quarters
from model.market.firms import FirmTable, Groups
from model.market.ledger import Ledger
from model.market.procurement import Awards
from model.policy.params import Params
from model.policy.rules import Rules

SMOOTHING = 0.3


def source(firms: FirmTable, groups: Groups, rules: Rules, awards: Awards, params: Params,
           rng: np.random.Generator, ledger: Ledger) -> None:
    """Place every lot of this quarter's awards and book payments, tariffs, backlogs and flows."""
    n_awards, n_lots, k = len(awards.firm), params.lots, params.candidates
    if n_awards == 0:
        return
    prime, buyer = awards.firm, awards.buyer
    pc = firms.country[prime].astype(np.int64)
    sector = firms.sector[prime].astype(np.int64)
    share = params.component_share
    lot_units = awards.units * share / n_lots

    component_value = share * awards.value
    offset_part = np.divide(awards.offset, component_value, out=np.zeros(n_awards), where=component_value > 1e-300)
    forced = np.minimum(n_lots, np.ceil(offset_part * n_lots - 1e-9)).astype(np.int64)
    forced_lot = np.arange(n_lots)[None, :] < forced[:, None]  # (A, L)
    home = np.where(forced_lot, buyer[:, None], pc[:, None])

    # candidates are found by a search that favours larger suppliers less than in proportion to their size;
    # each then takes what its free capacity allows, so the tail of small suppliers keeps working
    cum = groups.weights(firms, params.search_size_elasticity)
    k_home = k // 2  # primes know their home supply base best: half the candidates are drawn there
    lo, hi = groups.bounds(SUPPLIER, sector)
    anywhere = groups.sample_weighted(lo[:, None, None], hi[:, None, None],
                                         rng.random((n_awards, n_lots, k - k_home)), cum)
    lo_h, hi_h = groups.bounds(SUPPLIER, sector[:, None], home)
    at_home = groups.sample_weighted(lo_h[:, :, None], hi_h[:, :, None], rng.random((n_awards, n_lots, k_home)),
                                        cum)
    cand = np.concatenate([anywhere, at_home], axis=2)  # (A, L, K)
    valid = cand >= 0
    row = np.where(valid, cand, 0)
    sc = firms.country[row].astype(np.int64)
    p3, b3 = pc[:, None, None], buyer[:, None, None]
    reexport = (b3 != p3) & (b3 != sc)
    friction = rules.friction[sc, p3] + np.where(reexport, rules.friction[sc, b3], 0.0)
    denial = 1.0 - (1.0 - rules.denial[sc, p3]) * (1.0 - np.where(reexport, rules.denial[sc, b3], 0.0))
    valid &= rng.random(valid.shape) >= denial
    price = firms.unit_cost[row] * (1.0 + params.markup)  # what the supplier keeps per unit
    charged = price * (1.0 + friction)  # licensing costs are passed on, and spent on licensing
    tariff = rules.tariff_comp[p3, sc] * (1.0 - rules.duty_free[p3] * (b3 == p3))
    landed = charged * (1.0 + tariff)
    delay = np.maximum(rules.licence_days[sc, p3], np.where(reexport, rules.licence_days[sc, b3], 0.0))
    room = np.maximum(firms.capacity[row] * params.target_backlog - firms.backlog[row], 0.0)
    offered = np.minimum(lot_units[:, None, None], np.maximum(room, 1e-12))  # what it would take of the lot
    lead = lead_quarters(firms.backlog[row], offered, np.maximum(firms.capacity[row], 1e-12))
    late = lateness(lead + delay / DAYS_PER_QUARTER, params)  # a licence delays delivery
    score = bid_score(firms.quality[row], landed, params.sourcing_home_bias * (sc != p3), late,
                      rng.standard_normal(valid.shape), params)

    in_buyer = valid & (sc == b3)
    valid &= ~(forced_lot[:, :, None] & in_buyer.any(axis=2, keepdims=True)) | in_buyer
    score = np.where(valid, score, -np.inf)
    content_ok = rules.content_ok[b3, sc]
    switch = _apply_content_rule(score, content_ok, rules, awards, n_lots, share)
    score = np.where(switch[:, :, None] & ~content_ok, -np.inf, score)  # those lots use counting suppliers only

    lots = _fill(score, row, room, price, friction, tariff, lot_units, forced_lot)
    _book_lots(firms, ledger, awards, lots, params)


@dataclass(frozen=True)
class Lots:
    """Every lot of the quarter's awards: award x lot x candidate arrays, candidates in order of score."""

    suppliers: np.ndarray  # (A, L, K) supplier rows
    take: np.ndarray  # (A, L, K) units each candidate supplies
    filled: np.ndarray  # (A, L) some candidate could supply the lot
    price: np.ndarray  # (A, L, K) price per unit the supplier keeps
    friction: np.ndarray  # (A, L, K) licensing cost, as a share of that price, passed on to the prime
    tariff: np.ndarray  # (A, L, K) duty rate on the price charged
    units: np.ndarray  # (A,) units per lot
    forced: np.ndarray  # (A, L) lots an offset obligation places in the buyer's country


def _fill(score: np.ndarray, row: np.ndarray, room: np.ndarray, price: np.ndarray, friction: np.ndarray,
          tariff: np.ndarray, lot_units: np.ndarray, forced_lot: np.ndarray) -> Lots:
    """Each lot goes to its candidates in order of score, each taking what its free capacity (`room`, up to
    target_backlog quarters of work in hand) allows; what none can take goes to the best of them."""
    order = np.argsort(-score, axis=2, kind="stable")

    def ranked_by(values: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, order, axis=2)

    usable = np.isfinite(ranked_by(score))
    free = np.where(usable, ranked_by(room), 0.0)
    before = np.cumsum(free, axis=2) - free
    take = np.clip(lot_units[:, None, None] - before, 0.0, free)
    take[:, :, 0] += np.where(usable[:, :, 0], lot_units[:, None] - take.sum(axis=2), 0.0)
    return Lots(ranked_by(row), take, usable[:, :, 0], ranked_by(price), ranked_by(friction), ranked_by(tariff),
                lot_units, forced_lot)


def _book_lots(firms: FirmTable, ledger: Ledger, awards: Awards, lots: Lots, params: Params) -> None:
    """Pay the suppliers, book duties, backlogs and flows, and make unfilled lots in-house."""
    lot_units, forced_lot, filled = lots.units, lots.forced, lots.filled
    n_awards, n_lots = lot_units.shape[0], forced_lot.shape[1]
    prime, buyer = awards.firm, awards.buyer
    pc = firms.country[prime].astype(np.int64)
    a_idx, l_idx, k_idx = np.nonzero(lots.take > 0.0)
    supplier = lots.suppliers[a_idx, l_idx, k_idx]
    units = lots.take[a_idx, l_idx, k_idx]
    net = units * lots.price[a_idx, l_idx, k_idx]  # the supplier's receipt
    licensing = net * lots.friction[a_idx, l_idx, k_idx]
    duty = (net + licensing) * lots.tariff[a_idx, l_idx, k_idx]
    paid = net + licensing + duty
    np.add.at(firms.backlog, supplier, units)
    np.add.at(firms.cash, supplier, net)
    np.add.at(firms.receipts, supplier, net)
    np.subtract.at(firms.cash, prime[a_idx], paid)
    np.subtract.at(firms.receipts, prime[a_idx], paid)
    ledger.q_tariffs += duty.sum()
    ledger.q_licensing += licensing.sum()
    # The buyer's money moves from the prime's country to its suppliers' countries: the supplier's receipt is
    # revenue there; the duty (paid to the prime's government) and the licensing cost leave the prime's
    # country's revenue too. Never more than the prime received moves: components that cost it more than
    # the contract paid are its loss, not value the buyer bought abroad.
    spent = np.bincount(a_idx, paid, minlength=n_awards)
    scale = np.minimum(1.0, awards.receipt / np.maximum(spent, 1e-300))[a_idx]
    np.add.at(ledger.q_components, (pc[a_idx], firms.country[supplier]), net + licensing)  # customs value
    np.add.at(ledger.q_flows, (buyer[a_idx], firms.country[supplier]), net * scale)
    np.subtract.at(ledger.q_flows, (buyer[a_idx], pc[a_idx]), paid * scale)
    ledger.q_offsets += net[forced_lot[a_idx, l_idx] & (firms.country[supplier] == buyer[a_idx])].sum()  # work placed

    # lots nobody could supply are made in-house at the prime's own cost
    in_house = lot_units[:, None] * (~filled)
    np.subtract.at(firms.cash, prime, in_house.sum(axis=1) * firms.unit_cost[prime])
    landed_paid = np.bincount(a_idx, paid, minlength=n_awards) + in_house.sum(axis=1) * firms.unit_cost[prime] * (
        1 + params.markup)
    per_unit = np.bincount(prime, landed_paid, minlength=firms.n)[prime] / np.maximum(
        np.bincount(prime, lot_units * n_lots, minlength=firms.n)[prime], 1e-300)
    firms.comp_price[prime] = (1 - SMOOTHING) * firms.comp_price[prime] + SMOOTHING * per_unit
    usual = ~forced_lot[a_idx, l_idx]  # offset lots are the contract's obligation, not the prime's supply chain
    _record_supply_chain(firms, prime, a_idx[usual], firms.country[supplier[usual]], (net + licensing)[usual],
                         in_house.sum(axis=1) * firms.unit_cost[prime])


def _record_supply_chain(firms: FirmTable, prime: np.ndarray, award: np.ndarray, origin: np.ndarray,
                         value: np.ndarray, in_house: np.ndarray) -> None:
    """Smooth each prime's usual supply chain (share of component value by country of origin, work made
    in-house counted at home) toward this quarter's; the content test of its next bids reads it."""
    rows, which = np.unique(prime, return_inverse=True)
    mix = np.zeros((len(rows), N_COUNTRIES))
    np.add.at(mix, (which[award], origin), value)
    np.add.at(mix, (which, firms.country[prime]), in_house)
    total = mix.sum(axis=1)
    seen = total > 0
    rows, share = rows[seen], mix[seen] / total[seen, None]
    firms.comp_origin[rows] = (1 - SMOOTHING) * firms.comp_origin[rows] + SMOOTHING * share


def _apply_content_rule(score: np.ndarray, content_ok: np.ndarray, rules: Rules, awards: Awards,
                        n_lots: int, share: float) -> np.ndarray:
    """The lots that must go to suppliers whose content counts, to meet the buyer's content minimum on the
    contracts it binds: (A, L) bool.

    A contract may hold at most floor((1 - content_min) * lots / share) lots whose best candidate does not
    count as domestic content; the excess lots switch to counting candidates, cheapest switches first.
    """
    best = np.argmax(score, axis=2)
    ok_score = np.where(content_ok, score, -np.inf)
    best_ok = np.argmax(ok_score, axis=2)
    s_best = np.take_along_axis(score, best[:, :, None], axis=2)[:, :, 0]
    s_ok = np.take_along_axis(ok_score, best_ok[:, :, None], axis=2)[:, :, 0]
    bad = np.isfinite(s_best) & ~np.take_along_axis(content_ok, best[:, :, None], axis=2)[:, :, 0]
    allowed = np.floor((1.0 - rules.content_min[awards.buyer]) * n_lots / share + 1e-9)
    excess = np.where(awards.content_bound, bad.sum(axis=1) - allowed, 0)
    if not (excess > 0).any():
        return np.zeros(best.shape, dtype=bool)
    switchable = bad & np.isfinite(s_ok)  # subtract only there: -inf - -inf would warn on the user's terminal
    loss = np.full(s_best.shape, np.inf)
    loss[switchable] = s_best[switchable] - s_ok[switchable]
    rank = np.argsort(np.argsort(loss, axis=1, kind="stable"), axis=1, kind="stable")
    return (rank < excess[:, None]) & np.isfinite(loss)
