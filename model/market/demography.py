"""Phase 7, entry and exit: loss-making idle firms leave with their capacity; profitable country-sectors
attract entrants that start small and below the incumbents' technology, up to the population's limits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import N_COUNTRIES, N_SECTORS, PRIME
from model.market.firms import FirmTable, unit_cost_of
from model.policy.params import Params

GROUPS = 2 * N_SECTORS * N_COUNTRIES
PRIME_ENTRY_FACTOR = 0.1  # primes enter far more rarely than suppliers
GROUP_GROWTH_LIMIT = 4  # a country-sector-tier group holds at most 4 x its starting active firms (assumption)


def group_of(firms: FirmTable) -> np.ndarray:
    """Each row's country-sector-tier group, 0 .. GROUPS - 1."""
    return (firms.tier.astype(np.int64) * N_SECTORS + firms.sector) * N_COUNTRIES + firms.country


@dataclass(frozen=True)
class PopulationLimits:
    """How far entry may grow the population: a market of a given size supports only so many firms (the group
    limit; a century at the highest entry rate otherwise grows 1,500 firms to millions), and the firm table
    keeps a row for every firm that ever lived, so its length is bounded too (the memory a run can need).

    Rows: start + entrants, where entrants per quarter are Poisson(entry_rate x active) and active stays under
    GROUP_GROWTH_LIMIT x start, so `rows` = start x (1 + GROUP_GROWTH_LIMIT x (1 + entry_rate x quarters))
    leaves room for the expected entrants and their spread; entrants beyond it are not added."""

    group: np.ndarray  # (GROUPS,) most active firms per group
    rows: int

    @classmethod
    def of(cls, firms: FirmTable, params: Params, quarters: int) -> PopulationLimits:
        start = np.bincount(group_of(firms), firms.active, minlength=GROUPS)
        rows = firms.n * (1 + GROUP_GROWTH_LIMIT * (1 + params.entry_rate * quarters))
        return cls(GROUP_GROWTH_LIMIT * start, int(np.ceil(rows)))


def exits(firms: FirmTable, params: Params) -> np.ndarray:
    """Rows of firms that leave now: loss-making for `exit_quarters` and out of cash."""
    leaving = firms.active & (firms.loss_streak >= params.exit_quarters) & (firms.cash < 0)
    rows = np.flatnonzero(leaving)
    firms.active[rows] = False
    firms.capacity[rows] = 0.0
    firms.backlog[rows] = 0.0
    firms.in_codev[rows] = False
    return rows


def entrants(firms: FirmTable, params: Params, t: int, rng: np.random.Generator,
             limits: PopulationLimits) -> np.ndarray:
    """Add entrants to attractive country-sector-tier groups, within the population's limits; return their rows."""
    active = firms.active
    key = group_of(firms)
    count = np.bincount(key, active, minlength=GROUPS)
    revenue = np.bincount(key, np.where(active, firms.revenue_ema, 0.0), minlength=GROUPS)
    profit = np.bincount(key, np.where(active, firms.profit_ema, 0.0), minlength=GROUPS)
    with np.errstate(over="ignore"):  # a revenue of almost nothing gives a margin of +-inf: attractive or not
        margin = np.where(revenue > 0, profit / np.maximum(revenue, 1e-300), -np.inf)
    tier_of_group = np.arange(GROUPS) // (N_SECTORS * N_COUNTRIES)
    rate = params.entry_rate * np.where(tier_of_group == PRIME, PRIME_ENTRY_FACTOR, 1.0)
    n_new = np.where((count > 0) & (margin > params.entry_margin), rng.poisson(rate * count), 0)
    n_new = np.minimum(n_new, np.maximum(limits.group - count, 0).astype(np.int64))
    n_new = np.diff(np.minimum(np.cumsum(n_new), max(limits.rows - firms.n, 0)), prepend=0)  # first groups first
    if n_new.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    group = np.repeat(np.arange(GROUPS), n_new)
    weight = np.where(active, 1.0, 0.0)
    mean_q = np.bincount(key, weight * firms.quality, minlength=GROUPS) / np.maximum(count, 1)
    mean_base = np.bincount(key, weight * firms.base_cost, minlength=GROUPS) / np.maximum(count, 1)
    small_cap = np.bincount(key, weight * firms.capacity, minlength=GROUPS) / np.maximum(count, 1) * 0.2
    represents = np.bincount(key, weight * firms.represents, minlength=GROUPS) / np.maximum(count, 1)
    k = len(group)
    capacity = small_cap[group]
    cum = capacity * params.experience_quarters * 0.1
    base = mean_base[group]
    quality = mean_q[group] * rng.uniform(0.85, 0.95, k)
    unit_cost = unit_cost_of(base, cum, quality, params)
    country = group % N_COUNTRIES
    return firms.add(
        country=country, sector=(group // N_COUNTRIES) % N_SECTORS, tier=group // (N_SECTORS * N_COUNTRIES),
        active=np.ones(k, dtype=bool), quality=quality, base_cost=base,
        cum_output=cum, unit_cost=unit_cost, capacity=capacity, cash=4.0 * capacity * unit_cost,
        revenue_ema=capacity * unit_cost, comp_price=unit_cost * (1 + params.markup), born=np.full(k, t),
        represents=represents[group],
    )
