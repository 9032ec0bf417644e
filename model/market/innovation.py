"""Phase 6, innovation and cross-border co-development (docs/ODD.md §7.6-7.7).

R&D (own funds plus government grants) makes quality rise stochastically. Firms look for foreign partners in
their sector (one partner country, sometimes more); licence delay deters them and denial stops them, exemptions
remove both. A joint programme costs each of its N members sqrt(N)/N of a national programme, succeeds more
often the better the members' technology, and on success lifts the leader to a new frontier (its level plus a
gain) while the others close part of the gap, as their absorptive capacity allows; each member then makes the
joint product with the others' workshare. Government co-funding makes firms more willing to commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.common.countries import N_COUNTRIES, N_SECTORS, PRIME
from model.common.quarters import DAYS_PER_QUARTER
from model.market.firms import FirmTable, Groups
from model.market.ledger import Ledger
from model.policy.params import Params
from model.policy.rules import Rules


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
    ledger.transfer("research", paid.sum(), grant.sum())
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
    """Joint programmes, one row each, with up to one member per country (-1 pads a row); a small table
    (hundreds of rows), grown by concatenation."""

    members: np.ndarray = field(default_factory=lambda: np.zeros((0, N_COUNTRIES), dtype=np.int64))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cost: np.ndarray = field(default_factory=lambda: np.zeros((0, N_COUNTRIES)))  # per member per quarter
    support: np.ndarray = field(default_factory=lambda: np.zeros((0, N_COUNTRIES)))  # government co-funding
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def add(self, members: np.ndarray, end: np.ndarray, cost: np.ndarray, support: np.ndarray) -> None:
        self.members = np.concatenate([self.members, members])
        self.end = np.concatenate([self.end, end])
        self.cost = np.concatenate([self.cost, cost])
        self.support = np.concatenate([self.support, support])
        self.active = np.concatenate([self.active, np.ones(len(members), dtype=bool)])


def member_pairs(members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of members of each programme row: (row, first member, second member) arrays."""
    i, j = np.triu_indices(members.shape[1], 1)
    both = (members[:, i] >= 0) & (members[:, j] >= 0)
    row, pair = np.nonzero(both)
    return row, members[row, i[pair]], members[row, j[pair]]


def codevelop(firms: FirmTable, groups: Groups, programmes: Programmes, rules: Rules, params: Params, t: int,
              rng: np.random.Generator, ledger: Ledger) -> None:
    """Run ongoing programmes (pay, then finish), then match new seekers with foreign partners."""
    _run_programmes(firms, programmes, params, t, rng, ledger)
    _start_programmes(firms, groups, programmes, rules, params, t, rng, ledger)


def count_pairs(firms: FirmTable, members: np.ndarray, counts: np.ndarray) -> None:
    """Add each programme to the count of every country pair among its members, in real firms' programmes
    (the first member's `represents`)."""
    row, first, second = member_pairs(members)
    ca, cb = firms.country[first], firms.country[second]
    np.add.at(counts, (np.minimum(ca, cb), np.maximum(ca, cb)), firms.represents[members[row, 0]])


def _run_programmes(firms, programmes, params, t, rng, ledger) -> None:
    live = np.flatnonzero(programmes.active)
    if len(live) == 0:
        return
    members = programmes.members[live]
    present = members >= 0
    safe = np.where(present, members, 0)
    alive = (firms.active[safe] | ~present).all(axis=1)
    programmes.active[live[~alive]] = False  # a member exited: the programme dies
    firms.in_codev[members[~alive][present[~alive]]] = False
    live, members, present, safe = live[alive], members[alive], present[alive], safe[alive]
    cost = np.where(present, programmes.cost[live], 0.0)
    subsidy = cost * programmes.support[live]
    np.subtract.at(firms.cash, safe[present], (cost - subsidy)[present])
    np.add.at(firms.receipts, safe[present], subsidy[present])
    ledger.transfer("co-development", subsidy.sum(), subsidy[present].sum())
    done = programmes.end[live] <= t
    if not done.any():
        return
    fin, members, present, safe = live[done], members[done], present[done], safe[done]
    q = np.where(present, firms.quality[safe], np.nan)
    alliance_mean = np.average(firms.quality, weights=np.where(firms.active, firms.capacity, 0.0))
    p_success = np.clip(params.codev_success * (np.nanmean(q, axis=1) / alliance_mean) ** 2, 0.0, 1.0)
    success = rng.random(len(fin)) < p_success
    # Spillovers are partial and need absorptive capacity (Cohen & Levinthal 1990): the leader reaches a new
    # frontier, a member closes the share (q / q_leader) ** codev_absorption of its gap to it, so the leader
    # closes all of it and a laggard less the further behind it is.
    won, q_won, in_won = members[success], q[success], present[success]
    leader = np.nanmax(q_won, axis=1, initial=0.0)[:, None]
    frontier = leader * (1.0 + params.codev_gain)
    lifted = q_won + (q_won / leader) ** params.codev_absorption * (frontier - q_won)
    firms.quality[won[in_won]] = lifted[in_won]
    firms.update_unit_cost(params, won[in_won])  # members' new products cost more to make
    _, first, second = member_pairs(won)
    until = t + params.joint_product_quarters
    firms.joint_until[first, firms.country[second]] = until
    firms.joint_until[second, firms.country[first]] = until
    count_pairs(firms, won, ledger.codev_completed)
    programmes.active[fin] = False
    firms.in_codev[members[present]] = False


def _start_programmes(firms, groups, programmes, rules, params, t, rng, ledger) -> None:
    seek_p = np.where(firms.tier == PRIME, params.seek_prime, params.seek_supplier)
    seekers = np.flatnonzero(firms.active & ~firms.in_codev & (rng.random(firms.n) < seek_p))
    if len(seekers) == 0:
        return
    c, s, tier = (firms.country[seekers].astype(np.int64), firms.sector[seekers].astype(np.int64),
                  firms.tier[seekers].astype(np.int64))
    countries = np.arange(N_COUNTRIES)
    # each other country with firms in the seeker's sector and tier offers one firm, drawn uniformly from it
    lo_all = groups.start[groups.key(tier[:, None], s[:, None], countries[None, :])]
    hi_all = groups.start[groups.key(tier[:, None], s[:, None], countries[None, :]) + 1]
    present = (hi_all > lo_all) & (countries[None, :] != c[:, None])
    pos = lo_all + np.floor(rng.random(present.shape) * np.maximum(hi_all - lo_all, 1)).astype(np.int64)
    candidate = np.where(present, groups.order[np.minimum(pos, len(groups.order) - 1)], -1)
    # the first partner's country is drawn uniformly among them; each other one joins with probability
    # codev_join; every member's commitment is deterred by licence delay toward the seeker and the unfunded
    # cost, and the pair may be denied
    first = np.argmax(np.where(present, rng.random(present.shape), -1.0), axis=1)
    invited = present & ((countries[None, :] == first[:, None]) | (rng.random(present.shape) < params.codev_join))
    days = np.maximum(rules.licence_days[c[:, None], countries[None, :]],
                      rules.licence_days[countries[None, :], c[:, None]]) * params.taa_factor
    denial = 1.0 - (1.0 - rules.denial[c[:, None], countries[None, :]]) * (
        1.0 - rules.denial[countries[None, :], c[:, None]])
    support_out = rules.codev_support[c[:, None], countries[None, :]]  # the seeker's government toward each
    support_in = rules.codev_support[countries[None, :], c[:, None]]  # each one's government toward the seeker
    funded = 0.5 * (support_out + support_in)
    willing = np.exp(-days / params.deterrence_days) * (1.0 - params.codev_cost_weight * (1.0 - funded))
    joins = invited & (rng.random(present.shape) < willing)
    joins &= firms.active[np.maximum(candidate, 0)] & ~firms.in_codev[np.maximum(candidate, 0)] & (candidate >= 0)
    denied = joins & (rng.random(present.shape) < denial)
    d_seeker, d_country = np.nonzero(denied)
    np.add.at(ledger.codev_denied, (np.minimum(c[d_seeker], d_country), np.maximum(c[d_seeker], d_country)),
              firms.represents[seekers[d_seeker]])
    joins &= ~denied
    taken: set[int] = set()
    rows, member_rows = [], []
    for i in np.flatnonzero(joins[np.arange(len(seekers)), first]):  # a few hundred a quarter at most
        group = [int(seekers[i]), *(int(candidate[i, k]) for k in np.flatnonzero(joins[i]))]
        if taken.isdisjoint(group):  # one firm, one programme
            taken.update(group)
            rows.append(i)
            member_rows.append(group + [-1] * (N_COUNTRIES - len(group)))
    if not rows:
        return
    keep = np.array(rows)
    members = np.array(member_rows, dtype=np.int64)
    in_programme = members >= 0
    size = in_programme.sum(axis=1)
    member_country = np.where(in_programme, firms.country[np.maximum(members, 0)], -1)
    member_days = np.where(joins[keep], days[keep], 0.0).max(axis=1)
    quarters = params.codev_quarters + np.ceil(member_days / DAYS_PER_QUARTER).astype(np.int64)
    share = np.sqrt(size) / size  # the sqrt(N) rule: N members pay sqrt(N) national programmes between them
    revenue = np.where(in_programme, np.maximum(firms.revenue_ema[np.maximum(members, 0)], 0.0), 0.0)
    cost = params.codev_cost * revenue * (share / quarters)[:, None]
    # a member's government co-funds it at its mean support toward the other members' countries
    pairs = in_programme[:, :, None] & in_programme[:, None, :] & ~np.eye(N_COUNTRIES, dtype=bool)
    toward = np.where(pairs, rules.codev_support[member_country[:, :, None], member_country[:, None, :]], 0.0)
    support = np.where(in_programme, toward.sum(axis=2) / np.maximum(size - 1, 1)[:, None], 0.0)
    programmes.add(members, t + quarters, cost, support)
    firms.in_codev[members[in_programme]] = True
    count_pairs(firms, members, ledger.codev_started)
