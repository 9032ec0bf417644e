"""Phase 6, innovation and cross-border co-development (docs/ODD.md §7.6-7.7).

R&D (own funds plus government grants) makes quality rise stochastically. Firms look for a foreign partner
in their sector; licence delay deters them and denial stops them, exemptions remove both. A joint
programme costs each of its N = 2 partners sqrt(N)/N of a national programme, succeeds more often the
better the partners' technology, and on success lifts the leader to a new frontier (its level plus a gain)
while the laggard closes part of the gap, as its absorptive capacity allows; each partner's government
tenders open to the joint product. Government co-funding makes firms more willing to commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from model.common.countries import N_COUNTRIES, N_SECTORS, PRIME
from model.common.quarters import DAYS_PER_QUARTER
from model.market.firms import FirmTable, Groups
from model.market.ledger import Ledger
from model.policy.params import Params
from model.policy.rules import Rules

N_PARTNERS = 2


def research(firms: FirmTable, grants_by_country: np.ndarray, params: Params, rng: np.random.Generator,
             ledger: Ledger) -> None:
    """Grants go to domestic firms in proportion to revenue; R&D intensity sets the chance of a quality step."""
    active = firms.active
    revenue = np.where(active, np.maximum(firms.revenue_ema, 0.0), 0.0)
    by_country = np.bincount(firms.country, revenue, minlength=N_COUNTRIES)
    paid = np.where(by_country > 0, grants_by_country, 0.0)
    home_revenue = by_country[firms.country]
    grant = np.where(home_revenue > 0, paid[firms.country] * revenue / np.maximum(home_revenue, 1e-300), 0.0)
    own = params.rd_share * revenue
    firms.cash -= own  # the grant pays for R&D the firm performs: received, and spent on it
    firms.receipts += grant
    ledger.q_gov_paid += paid.sum()
    intensity = (own + grant) / np.maximum(revenue, 1e-12)
    success = active & (rng.random(firms.n) < 1.0 - np.exp(-params.innovation_rate * np.minimum(intensity, 1.0)))
    firms.quality *= np.where(success, 1.0 + params.innovation_step * rng.exponential(1.0, firms.n), 1.0)
    # catch-up toward the national sector mean (domestic diffusion only; cross-border needs co-development)
    key = firms.country.astype(np.int64) * N_SECTORS + firms.sector
    weight = np.where(active, firms.capacity, 0.0)
    groups = N_COUNTRIES * N_SECTORS
    mean = np.bincount(key, weight * firms.quality, minlength=groups) / np.maximum(
        np.bincount(key, weight, minlength=groups), 1e-300)
    behind = active & (firms.quality < mean[key])
    firms.quality += np.where(behind, params.diffusion * (mean[key] - firms.quality), 0.0)
    firms.update_unit_cost(params)  # a more capable product costs more to make


@dataclass
class Programmes:
    """Joint programmes, one row each; a small table (hundreds of rows), grown by concatenation."""

    a: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    b: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cost: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # per partner per quarter, before support
    support: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # government co-funding shares
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def add(self, a, b, end, cost, support) -> None:
        self.a, self.b = np.concatenate([self.a, a]), np.concatenate([self.b, b])
        self.end = np.concatenate([self.end, end])
        self.cost = np.concatenate([self.cost, cost])
        self.support = np.concatenate([self.support, support])
        self.active = np.concatenate([self.active, np.ones(len(a), dtype=bool)])


def codevelop(firms: FirmTable, groups: Groups, programmes: Programmes, rules: Rules, params: Params, t: int,
              rng: np.random.Generator, ledger: Ledger) -> None:
    """Run ongoing programmes (pay, then finish), then match new seekers with foreign partners."""
    _run_programmes(firms, programmes, params, t, rng, ledger)
    _start_programmes(firms, groups, programmes, rules, params, t, rng, ledger)


def _run_programmes(firms, programmes, params, t, rng, ledger) -> None:
    live = np.flatnonzero(programmes.active)
    if len(live) == 0:
        return
    both = np.stack([programmes.a[live], programmes.b[live]], axis=1)
    alive = firms.active[both].all(axis=1)
    programmes.active[live[~alive]] = False  # a partner exited: the programme dies
    firms.in_codev[both[~alive].ravel()] = False
    live, both = live[alive], both[alive]
    cost, support = programmes.cost[live], programmes.support[live]
    subsidy = cost * support
    np.subtract.at(firms.cash, both.ravel(), (cost - subsidy).ravel())
    np.add.at(firms.receipts, both.ravel(), subsidy.ravel())
    ledger.q_gov_paid += subsidy.sum()
    done = programmes.end[live] <= t
    if not done.any():
        return
    fin, pair = live[done], both[done]
    q = firms.quality[pair]
    alliance_mean = np.average(firms.quality, weights=np.where(firms.active, firms.capacity, 0.0))
    p_success = np.clip(params.codev_success * (q.mean(axis=1) / alliance_mean) ** 2, 0.0, 1.0)
    success = rng.random(len(fin)) < p_success
    # Spillovers are partial and need absorptive capacity (Cohen & Levinthal 1990): the leader reaches a new
    # frontier, a partner closes the share (q / q_leader) ** codev_absorption of its gap to it, so the leader
    # closes all of it and a laggard less the further behind it is.
    leader = q.max(axis=1)[success]
    frontier = leader * (1.0 + params.codev_gain)
    win = pair[success]
    for side in (0, 1):
        own = q[success, side]
        firms.quality[win[:, side]] = own + (own / leader) ** params.codev_absorption * (frontier - own)
    firms.update_unit_cost(params, win.ravel())  # partners' new products cost more to make
    ca, cb = firms.country[win[:, 0]], firms.country[win[:, 1]]
    until = t + params.joint_product_quarters
    firms.joint_until[win[:, 0], cb] = until
    firms.joint_until[win[:, 1], ca] = until
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    np.add.at(ledger.codev_completed, (lo, hi), firms.represents[win[:, 0]])
    programmes.active[fin] = False
    firms.in_codev[pair.ravel()] = False


def _start_programmes(firms, groups, programmes, rules, params, t, rng, ledger) -> None:
    seek_p = np.where(firms.tier == PRIME, params.seek_prime, params.seek_supplier)
    seekers = np.flatnonzero(firms.active & ~firms.in_codev & (rng.random(firms.n) < seek_p))
    if len(seekers) == 0:
        return
    c, s, tier = (firms.country[seekers].astype(np.int64), firms.sector[seekers].astype(np.int64),
                  firms.tier[seekers].astype(np.int64))
    # a partner country among the other producers with firms in the same sector and tier
    lo_all = groups.start[groups.key(tier[:, None], s[:, None], np.arange(N_COUNTRIES)[None, :])]
    hi_all = groups.start[groups.key(tier[:, None], s[:, None], np.arange(N_COUNTRIES)[None, :]) + 1]
    present = (hi_all > lo_all) & (np.arange(N_COUNTRIES)[None, :] != c[:, None])
    has = present.any(axis=1)
    pick = np.argmax(np.where(present, rng.random(present.shape), -1.0), axis=1)
    lo, hi = lo_all[np.arange(len(seekers)), pick], hi_all[np.arange(len(seekers)), pick]
    pos = lo + np.floor(rng.random(len(seekers)) * np.maximum(hi - lo, 1)).astype(np.int64)
    partner = np.where(has, groups.order[np.minimum(pos, len(groups.order) - 1)], -1)
    pc = pick
    days = np.maximum(rules.licence_days[c, pc], rules.licence_days[pc, c]) * params.taa_factor
    denial = 1.0 - (1.0 - rules.denial[c, pc]) * (1.0 - rules.denial[pc, c])
    funded = 0.5 * (rules.codev_support[c, pc] + rules.codev_support[pc, c])  # mean co-funding share
    willing = np.exp(-days / params.deterrence_days) * (1.0 - params.codev_cost_weight * (1.0 - funded))
    go = has & (rng.random(len(seekers)) < willing)
    go &= partner >= 0
    go[go] &= firms.active[partner[go]] & ~firms.in_codev[partner[go]]
    denied = go & (rng.random(len(seekers)) < denial)
    np.add.at(ledger.codev_denied, (np.minimum(c, pc)[denied], np.maximum(c, pc)[denied]),
              firms.represents[seekers[denied]])
    go &= ~denied
    taken: set[int] = set()
    chosen = []
    for i in np.flatnonzero(go):  # at most a few hundred a quarter: one firm, one programme
        first, second = int(seekers[i]), int(partner[i])
        if first not in taken and second not in taken:
            taken.update((first, second))
            chosen.append(i)
    if not chosen:
        return
    keep = np.array(chosen)
    a, b = seekers[keep], partner[keep]
    quarters = params.codev_quarters + np.ceil(days[keep] / DAYS_PER_QUARTER).astype(np.int64)
    share = math.sqrt(N_PARTNERS) / N_PARTNERS
    rev = np.maximum(firms.revenue_ema[np.stack([a, b], axis=1)], 0.0)
    cost = params.codev_cost * rev * share / quarters[:, None]
    support = np.stack([rules.codev_support[c[keep], pc[keep]], rules.codev_support[pc[keep], c[keep]]], axis=1)
    programmes.add(a, b, t + quarters, cost, support)
    firms.in_codev[a] = True
    firms.in_codev[b] = True
    np.add.at(ledger.codev_started, (np.minimum(c, pc)[keep], np.maximum(c, pc)[keep]), firms.represents[a])
