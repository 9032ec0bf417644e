"""Phase 4, trade in components: primes split each new contract's component share into lots and place each lot
with the supply segment that offers it the best value (docs/ODD.md §7.4).

A segment is one country's suppliers in the sector. The work a segment wins is shared among its suppliers by
their free capacity and a logit in their own bid scores, so its offer (their share-weighted price and quality)
and the work each supplier gets are the same in distribution whether the model samples a hundred of the real
suppliers or all of them: results do not depend on `firm_scale`.

Rules bite here: offset obligations force lots to the buyer's suppliers, the buyer's domestic-content minimum
caps the foreign lots of contracts it binds, component tariffs (less duty-free entry on the buyer's own
contracts) and export licences (with re-export control toward the final buyer) price foreign supply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import N_COUNTRIES, N_SECTORS, SUPPLIER
from model.common.quarters import DAYS_PER_QUARTER
from model.market.bidding import bid_score, lateness, lead_quarters
from model.market.firms import FirmTable
from model.market.ledger import Ledger
from model.market.procurement import Awards
from model.policy.params import Params
from model.policy.rules import Rules

SMOOTHING = 0.3
REQUOTE = 2.0  # a component bill above this multiple of the expected price is priced in at once (assumption)
AFFORDABLE = 4.0  # no lot is bought at more than this multiple of the component price the bid assumed (assumption)
ROOM_FLOOR = 0.01  # share of its capacity a supplier with no free capacity still takes of its segment's work
SEGMENTS = N_COUNTRIES * N_SECTORS
ARRIVAL_BATCHES = 8  # a quarter's lots arrive in this many batches, each placed behind the earlier ones


@dataclass(frozen=True)
class Segments:
    """Active suppliers by segment (country * N_SECTORS + sector): each one's share of its segment's work, and
    each segment's offer, capacity and backlog as (country, sector) arrays."""

    rows: np.ndarray  # active supplier rows
    key: np.ndarray  # their segment
    share: np.ndarray  # of their segment's work this quarter
    supplier_price: np.ndarray  # what each of them keeps per unit
    price: np.ndarray  # share-weighted price per unit the suppliers keep
    quality: np.ndarray  # share-weighted quality
    capacity: np.ndarray
    backlog: np.ndarray


def supply_segments(firms: FirmTable, params: Params) -> Segments:
    """Share each segment's work among its suppliers in proportion to free capacity (up to target_backlog
    quarters of work in hand; a full supplier still takes ROOM_FLOOR of its capacity) times exp(score /
    supplier_choice_noise), a logit in the bid rule's score; with no noise the best-scoring suppliers share
    it."""
    rows = np.flatnonzero(firms.active & (firms.tier == SUPPLIER))
    key = firms.country[rows].astype(np.int64) * N_SECTORS + firms.sector[rows]
    capacity, backlog = firms.capacity[rows], firms.backlog[rows]
    price = firms.unit_cost[rows] * (1.0 + params.markup)
    quality = firms.quality[rows]
    score = bid_score(quality, price, 0.0, 0.0, 0.0, params)  # the bid rule without penalties or noise
    best = np.full(SEGMENTS, -np.inf)
    np.maximum.at(best, key, score)
    gap = score - best[key]
    noise = params.supplier_choice_noise
    with np.errstate(over="ignore"):  # a tiny noise sends the gaps to -inf: their weight is then 0
        fit = np.exp(gap / noise) if noise > 0 else (gap >= 0).astype(np.float64)
    weight = np.maximum(capacity * params.target_backlog - backlog, ROOM_FLOOR * capacity) * fit
    total = np.bincount(key, weight, minlength=SEGMENTS)[key]
    share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)  # a segment of no capacity: none

    def per_segment(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(key, values if weights is None else weights * values,
                           minlength=SEGMENTS).reshape(N_COUNTRIES, N_SECTORS)

    return Segments(rows, key, share, price, per_segment(price, share), per_segment(quality, share),
                    per_segment(capacity), per_segment(backlog))


def source(firms: FirmTable, rules: Rules, awards: Awards, params: Params, rng: np.random.Generator,
           ledger: Ledger) -> None:
    """Place every lot of this quarter's awards and book payments, tariffs, backlogs and flows."""
    n_awards, n_lots = len(awards.firm), params.lots
    if n_awards == 0:
        return
    segments = supply_segments(firms, params)
    share = params.component_share
    lot_units = awards.units * share / n_lots
    component_value = share * awards.value
    offset_part = np.divide(awards.offset, component_value, out=np.zeros(n_awards), where=component_value > 1e-300)
    n_offset = np.minimum(n_lots, np.ceil(offset_part * n_lots - 1e-9)).astype(np.int64)
    n_workshare = np.where(awards.partner >= 0, np.rint(params.codev_workshare * n_lots), 0).astype(np.int64)
    lot = np.arange(n_lots)[None, :]
    forced_lot = lot < n_offset[:, None]  # (A, L)
    # the lots after the offset's go to the joint-programme partner's suppliers (its workshare)
    workshare_lot = ~forced_lot & (lot < (n_offset + n_workshare)[:, None])
    directed = np.where(forced_lot, awards.buyer[:, None], np.where(workshare_lot, awards.partner[:, None], -1))

    offers = _offers(firms, segments, rules, awards, directed, params, rng)
    # The content rule is planned per contract on the lots' first scores; the lots it switches use counting
    # suppliers only.
    n_all = n_awards * n_lots
    first = _scores(offers, segments, lot_units, np.arange(n_all), np.zeros_like(segments.backlog), params, n_lots)
    content_ok = offers.content_ok.reshape(n_awards, n_lots, N_COUNTRIES)
    switch = _apply_content_rule(first.reshape(content_ok.shape), content_ok, rules, awards, n_lots, share)
    offers.valid &= ~(switch.reshape(-1, 1) & ~offers.content_ok)

    # A quarter's lots arrive in ARRIVAL_BATCHES batches in random order; each batch is placed behind the work
    # the earlier ones placed, so lots spread over segments instead of all piling on the one that looked free.
    batch = rng.integers(0, ARRIVAL_BATCHES, n_all)
    queue = np.zeros_like(segments.backlog)
    choice = np.zeros(n_all, dtype=np.int64)
    filled = np.zeros(n_all, dtype=bool)
    for turn in range(ARRIVAL_BATCHES):
        now = np.flatnonzero(batch == turn)  # lots, as award * n_lots + lot
        score = _scores(offers, segments, lot_units, now, queue, params, n_lots)
        best = np.argmax(score, axis=1)
        ok = np.isfinite(score[np.arange(len(best)), best])
        choice[now], filled[now] = best, ok
        np.add.at(queue, (best[ok], offers.sector[now[ok] // n_lots]), lot_units[now[ok] // n_lots])
    every = np.arange(n_all)
    lots = Lots(choice.reshape(forced_lot.shape), filled.reshape(forced_lot.shape),
                offers.friction[every, choice].reshape(forced_lot.shape),
                offers.tariff[every, choice].reshape(forced_lot.shape), lot_units, forced_lot)
    _book_lots(firms, ledger, awards, segments, lots, params)


@dataclass
class Offers:
    """What each supplier country offers each lot: (lot, country) arrays, a lot's row being award * lots + lot
    (sector per award)."""

    sector: np.ndarray  # (A,) the prime's sector
    quality: np.ndarray
    landed: np.ndarray  # price with licensing cost and duty
    friction: np.ndarray  # licensing cost, as a share of the suppliers' price
    tariff: np.ndarray  # duty rate on the price charged
    penalty: np.ndarray  # home preference and switching cost
    wait: np.ndarray  # licence delay, quarters
    noise: np.ndarray  # standard normal fit to the requirement
    valid: np.ndarray  # the country has suppliers, its licence is not denied, offsets and the content rule allow
    content_ok: np.ndarray  # the buyer counts its content


def _offers(firms: FirmTable, segments: Segments, rules: Rules, awards: Awards, directed: np.ndarray,
            params: Params, rng: np.random.Generator) -> Offers:
    """Price, penalties, licences and validity of every country's offer for every lot; a lot directed to a
    country (`directed`, -1 for none) takes only that country's offer, if it has a valid one."""
    prime, buyer = awards.firm, awards.buyer
    pc = firms.country[prime].astype(np.int64)
    sector = firms.sector[prime].astype(np.int64)
    shape = (*directed.shape, N_COUNTRIES)  # award x lot x supplier country
    sc = np.arange(N_COUNTRIES)[None, None, :]
    p3, b3, s3 = pc[:, None, None], buyer[:, None, None], sector[:, None, None]
    reexport = (b3 != p3) & (b3 != sc)
    friction = np.broadcast_to(rules.friction[sc, p3] + np.where(reexport, rules.friction[sc, b3], 0.0), shape)
    denial = 1.0 - (1.0 - rules.denial[sc, p3]) * (1.0 - np.where(reexport, rules.denial[sc, b3], 0.0))
    valid = (segments.capacity[sc, s3] > 0) & (rng.random(shape) >= denial)
    tariff = np.broadcast_to(rules.tariff_comp[p3, sc] * (1.0 - rules.duty_free[p3] * (b3 == p3)), shape)
    landed = np.maximum(segments.price[sc, s3], 1e-12) * (1.0 + friction) * (1.0 + tariff)  # empty segments: no price
    # A prime that priced its contract on `comp_price` does not buy a lot at many times that (a better but dearer
    # supplier, a licence-laden one): it makes the lot itself. Without this, a contract's components could cost
    # hundreds of times its value when supplier prices drift far from the primes' under extreme parameters.
    valid &= landed <= AFFORDABLE * firms.comp_price[prime][:, None, None]
    delay = np.maximum(rules.licence_days[sc, p3], np.where(reexport, rules.licence_days[sc, b3], 0.0))
    unqualified = 1.0 - firms.comp_origin[prime][:, None, :]  # share of its supply chain not bought there yet
    penalty = np.broadcast_to((params.sourcing_home_bias + params.switching_cost * unqualified) * (sc != p3), shape)
    noise = rng.standard_normal(shape)
    in_target = valid & (sc == directed[:, :, None])
    valid &= ~in_target.any(axis=2, keepdims=True) | in_target
    def by_lot(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(values, shape)).reshape(-1, N_COUNTRIES)

    return Offers(sector, by_lot(np.maximum(segments.quality[sc, s3], 1e-12)), by_lot(landed), by_lot(friction),
                  by_lot(tariff), by_lot(penalty), by_lot(delay / DAYS_PER_QUARTER), by_lot(noise),
                  valid.reshape(-1, N_COUNTRIES), by_lot(rules.content_ok[b3, sc]))


def _scores(offers: Offers, segments: Segments, lot_units: np.ndarray, lots: np.ndarray, queue: np.ndarray,
            params: Params, n_lots: int) -> np.ndarray:
    """(lots, country) scores of the given lots, behind the segments' backlog and `queue` (country, sector); a
    licence delays delivery."""
    award = lots // n_lots
    sector = offers.sector[award]
    lead = lead_quarters((segments.backlog + queue)[:, sector].T, lot_units[award][:, None],
                         np.maximum(segments.capacity[:, sector].T, 1e-12))
    late = lateness(lead + offers.wait[lots], params)
    score = bid_score(offers.quality[lots], offers.landed[lots], offers.penalty[lots], late, offers.noise[lots],
                      params, params.sourcing_noise)
    return np.where(offers.valid[lots], score, -np.inf)


@dataclass(frozen=True)
class Lots:
    """Every lot of the quarter's awards: award x lot arrays."""

    country: np.ndarray  # (A, L) the supplier country whose segment won the lot
    filled: np.ndarray  # (A, L) some segment could supply the lot
    friction: np.ndarray  # (A, L) licensing cost, as a share of the suppliers' price, passed on to the prime
    tariff: np.ndarray  # (A, L) duty rate on the price charged
    units: np.ndarray  # (A,) units per lot
    forced: np.ndarray  # (A, L) lots an offset obligation places in the buyer's country


def _book_lots(firms: FirmTable, ledger: Ledger, awards: Awards, segments: Segments, lots: Lots,
               params: Params) -> None:
    """Pay the suppliers, book duties, backlogs and flows, and make unfilled lots in-house."""
    lot_units, forced_lot, filled = lots.units, lots.forced, lots.filled
    n_awards, n_lots = lot_units.shape[0], forced_lot.shape[1]
    prime, buyer = awards.firm, awards.buyer
    pc = firms.country[prime].astype(np.int64)
    sector = firms.sector[prime].astype(np.int64)
    a_idx, l_idx = np.nonzero(filled)
    country = lots.country[a_idx, l_idx]
    units = lot_units[a_idx]
    net = units * segments.price[country, sector[a_idx]]  # the suppliers' receipts
    licensing = net * lots.friction[a_idx, l_idx]
    duty = (net + licensing) * lots.tariff[a_idx, l_idx]
    paid = net + licensing + duty

    # each segment's work this quarter, shared among its suppliers: their receipts add up to the lots' `net`
    work = np.bincount(country * N_SECTORS + sector[a_idx], units, minlength=SEGMENTS)[segments.key] * segments.share
    rows = segments.rows
    receipt = work * segments.supplier_price
    firms.backlog[rows] += work
    firms.cash[rows] += receipt
    firms.receipts[rows] += receipt
    np.subtract.at(firms.cash, prime[a_idx], paid)
    np.subtract.at(firms.receipts, prime[a_idx], paid)
    ledger.transfer("sourcing", 0.0, receipt.sum() - paid.sum(), duty.sum(), licensing.sum(), paid.sum())
    # The buyer's money moves from the prime's country to its suppliers' countries: the suppliers' receipt is
    # revenue there; the duty (paid to the prime's government) and the licensing cost leave the prime's
    # country's revenue too. Never more than the prime received moves: components that cost it more than
    # the contract paid are its loss, not value the buyer bought abroad.
    spent = np.bincount(a_idx, paid, minlength=n_awards)
    scale = np.divide(awards.receipt, spent, out=np.ones(n_awards), where=spent > awards.receipt)[a_idx]  # <= 1
    np.add.at(ledger.q_components, (pc[a_idx], country), net + licensing)  # customs value
    np.add.at(ledger.q_flows, (buyer[a_idx], country), net * scale)
    np.subtract.at(ledger.q_flows, (buyer[a_idx], pc[a_idx]), paid * scale)
    ledger.q_offsets += net[forced_lot[a_idx, l_idx] & (country == buyer[a_idx])].sum()  # work placed

    # lots nobody could supply are made in-house at the prime's own cost
    in_house = lot_units[:, None] * (~filled)
    np.subtract.at(firms.cash, prime, in_house.sum(axis=1) * firms.unit_cost[prime])
    landed_paid = spent + in_house.sum(axis=1) * firms.unit_cost[prime] * (1 + params.markup)
    per_unit = np.bincount(prime, landed_paid, minlength=firms.n)[prime] / np.maximum(
        np.bincount(prime, lot_units * n_lots, minlength=firms.n)[prime], 1e-300)
    # Primes price components at a smoothed expectation, through normal price moves; a bill more than REQUOTE
    # times that is a collapse of supply, priced into the next bids at once: a lagging price would let
    # contracts whose components cost thousands of times their value go on being signed.
    expected = firms.comp_price[prime]
    firms.comp_price[prime] = np.where(per_unit > REQUOTE * expected, per_unit,
                                       (1 - SMOOTHING) * expected + SMOOTHING * per_unit)
    usual = ~forced_lot[a_idx, l_idx]  # offset lots are the contract's obligation, not the prime's supply chain
    _record_supply_chain(firms, prime, a_idx[usual], country[usual], (net + licensing)[usual],
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
    """The lots that must go to segments whose content counts, to meet the buyer's content minimum on the
    contracts it binds: (A, L) bool.

    A contract may hold at most floor((1 - content_min) * lots / share) lots whose best segment does not
    count as domestic content; the excess lots switch to counting segments, cheapest switches first.
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
