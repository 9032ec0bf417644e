"""Firm state as a struct of arrays (docs/architecture.md): every per-firm phase is array arithmetic over these columns.

Rows are never reused: an exited firm keeps its row with `active = False`, so a row number identifies one firm
for the whole run and the thin `Firm` agent views can hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args, get_type_hints

import numpy as np
from numpy.typing import NDArray

from model.common.countries import N_COUNTRIES, N_SECTORS, PRIME, SUPPLIER
from model.data.country_data import CountryData
from model.policy.params import Params

NO_PROGRAMME = -1


class FirmColumns:
    """The firm table's columns, one array each over the firms' rows: the one declaration of their types."""

    country: NDArray[np.int8]
    sector: NDArray[np.int8]
    tier: NDArray[np.int8]  # PRIME or SUPPLIER
    active: NDArray[np.bool_]
    quality: NDArray[np.float64]  # technology level (alliance mean about 1 at start)
    base_cost: NDArray[np.float64]  # unit cost at unit cumulative output and unit quality
    cum_output: NDArray[np.float64]  # units ever produced (learning curve)
    unit_cost: NDArray[np.float64]  # own unit cost now (unit_cost_of)
    capacity: NDArray[np.float64]  # units a quarter
    backlog: NDArray[np.float64]  # units ordered, not yet delivered
    delivered: NDArray[np.float64]  # units delivered last quarter
    delivery_capacity: NDArray[np.float64]  # capacity those units were made with (before the quarter's resizing)
    cash: NDArray[np.float64]  # US$bn
    revenue_ema: NDArray[np.float64]  # smoothed quarterly receipts
    profit_ema: NDArray[np.float64]  # smoothed quarterly change in cash
    loss_streak: NDArray[np.int32]  # consecutive quarters with profit_ema < 0
    comp_price: NDArray[np.float64]  # primes: landed price of a unit of components (smoothed)
    awards: NDArray[np.float64]  # primes: US$bn of end-item awards since the start date
    receipts: NDArray[np.float64]  # this quarter's receipts (for the money ledger)
    in_codev: NDArray[np.bool_]
    born: NDArray[np.int32]  # quarter of entry (negative for the initial population)
    represents: NDArray[np.float64]  # real firms this row stands for: 1 for a prime, real / sampled suppliers


def _dtype(hint: object) -> np.dtype:
    """The scalar type of an NDArray[...] declaration (numpy spells the alias differently across versions)."""
    last = get_args(hint)[-1]
    inner = get_args(last)  # np.dtype[np.int8] in older numpy, np.int8 in newer
    return np.dtype(inner[0] if inner else last)


def _dtypes() -> dict[str, np.dtype]:
    """Each column's dtype, read from its declaration."""
    return {name: _dtype(hint) for name, hint in get_type_hints(FirmColumns).items()}


COLUMNS: dict[str, np.dtype] = _dtypes()
# Columns with one value per firm and country: (dtype, value of a row nobody has set)
WIDE_COLUMNS: dict[str, tuple[np.dtype, float]] = {"joint_until": (np.dtype(np.int32), NO_PROGRAMME),
                                                   "comp_origin": (np.dtype(np.float64), 0.0)}


class FirmTable(FirmColumns):
    """Columns of equal length n with spare capacity behind them; `add` grows them in amortised O(1)."""

    joint_until: NDArray[np.int32]  # (firm, country): last quarter its product is joint with a partner there
    comp_origin: NDArray[np.float64]  # (firm, country): primes' usual supply chain, share of component value

    def __init__(self, reserve: int = 1024) -> None:
        self._buf = {name: np.zeros(reserve, dtype=dtype) for name, dtype in COLUMNS.items()}
        self._wide: dict[str, np.ndarray] = {name: np.full((reserve, N_COUNTRIES), fill, dtype=dtype)
                      for name, (dtype, fill) in WIDE_COLUMNS.items()}
        self.n = 0
        self._views()

    def _views(self) -> None:
        for name in COLUMNS:
            setattr(self, name, self._buf[name][: self.n])
        for name in WIDE_COLUMNS:
            setattr(self, name, self._wide[name][: self.n])

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows and return their row numbers. Unset columns are zero, joint products none, and a
        new firm's supply chain is at home."""
        k = len(next(iter(columns.values())))
        if self.n + k > len(self._buf["active"]):
            size = max(2 * len(self._buf["active"]), self.n + k)
            for name, arr in self._buf.items():
                grown = np.zeros(size, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self._buf[name] = grown
            for name, (dtype, fill) in WIDE_COLUMNS.items():
                wide: np.ndarray = np.full((size, N_COUNTRIES), fill, dtype=dtype)
                wide[: self.n] = self._wide[name][: self.n]
                self._wide[name] = wide
        rows = np.arange(self.n, self.n + k)
        for name, values in columns.items():
            self._buf[name][rows] = values
        self._wide["comp_origin"][rows, self._buf["country"][rows]] = 1.0  # new rows are zero elsewhere
        self.n += k
        self._views()
        return rows

    def anchor_learning(self, params: Params) -> None:
        """Set experience to `experience_quarters` of current capacity, keeping today's unit costs."""
        cum = np.maximum(self.capacity * params.experience_quarters, 1e-12)
        self.base_cost[:] = base_cost_for(self.unit_cost, cum, self.quality, params)
        self.cum_output[:] = cum

    def update_unit_cost(self, params: Params, rows: np.ndarray | slice = slice(None)) -> None:
        """Unit costs after a change of experience or quality (of all firms, or of `rows`)."""
        self.unit_cost[rows] = unit_cost_of(self.base_cost[rows], self.cum_output[rows], self.quality[rows], params)


def unit_cost_of(base_cost: np.ndarray, cum_output: np.ndarray, quality: np.ndarray, params: Params) -> np.ndarray:
    """Unit cost: learning lowers the cost of a given product with cumulative output (Wright's law), and a
    more capable product costs more to make (quality ** quality_cost_elasticity; Kirkpatrick 1995)."""
    return base_cost * np.power(cum_output, params.learning_exponent) * np.power(quality,
                                                                                 params.quality_cost_elasticity)


def base_cost_for(unit_cost: np.ndarray, cum_output: np.ndarray, quality: np.ndarray, params: Params) -> np.ndarray:
    """The base cost that gives `unit_cost` at this experience and quality (the inverse of unit_cost_of)."""
    return unit_cost / unit_cost_of(np.ones_like(unit_cost), cum_output, quality, params)


@dataclass
class Groups:
    """Active firms sorted by (tier, sector, country), with segment bounds.

    Built once a quarter; co-development draws partners from a country-sector-tier segment.
    """

    order: np.ndarray  # rows of active firms in key order
    start: np.ndarray  # (tier, sector, country + 1) -> first position; segment g is start[g]:start[g+1]

    @staticmethod
    def key(tier, sector, country):
        return (tier * N_SECTORS + sector) * N_COUNTRIES + country

    @classmethod
    def build(cls, firms: FirmTable) -> Groups:
        rows = np.flatnonzero(firms.active)
        keys = cls.key(firms.tier[rows].astype(np.int64), firms.sector[rows], firms.country[rows])
        idx = np.argsort(keys, kind="stable")
        order = rows[idx]
        start = np.searchsorted(keys[idx], np.arange(2 * N_SECTORS * N_COUNTRIES + 1))
        return cls(order, start)


def initial_population(data: CountryData, params: Params, firm_scale: float, rng: np.random.Generator,
                       table: FirmTable) -> None:
    """Create the starting firms: the real handful of primes and a `firm_scale` sample of suppliers.

    Each country-sector's capacity starts at its home sector budget (plus a share of the export market for
    producers); the spin-up quarters then let capacity meet the demand the rules actually produce.
    """
    producers = data.firms_real > 0
    export_bn = data.procurement_bn[~producers].sum()
    home_bn = np.where(producers, data.procurement_bn, 0.0)
    market_bn = home_bn + export_bn * home_bn / home_bn.sum()  # (country,) a year
    n_present = data.supplier_sectors.sum(axis=1)
    cols: dict[str, list] = {k: [] for k in ("country", "sector", "tier", "capacity_bn", "represents")}
    for c in np.flatnonzero(producers):
        suppliers_real = max(data.firms_real[c] - data.primes[c].sum(), 0)
        present = max(int(n_present[c]), 1)
        per_sector = max(2, int(np.rint(suppliers_real * firm_scale / present)))  # sampled, where present
        represents = suppliers_real / (per_sector * present)
        for s in range(N_SECTORS):
            sector_bn = market_bn[c] * data.sector_demand[s] / 4.0
            n_primes = int(data.primes[c, s])
            n_sup = per_sector if data.supplier_sectors[c, s] else 0
            for tier, n, share in ((PRIME, n_primes, 1 - params.component_share),
                                   (SUPPLIER, n_sup, params.component_share)):
                if n == 0:
                    continue
                sizes = rng.lognormal(0.0, params.size_sigma, n)
                cols["country"].append(np.full(n, c))
                cols["sector"].append(np.full(n, s))
                cols["tier"].append(np.full(n, tier))
                cols["capacity_bn"].append(sector_bn * share * sizes / sizes.sum())
                cols["represents"].append(np.full(n, 1.0 if tier == PRIME else represents))
    country = np.concatenate(cols["country"])
    capacity_bn = np.concatenate(cols["capacity_bn"])
    n = len(country)
    # Costs start level across countries (differences come from quality and the rules, not from a guessed
    # productivity gap); learning then lowers each firm's cost as its own output accumulates.
    unit_cost = rng.lognormal(0.0, 0.05, n)
    capacity = capacity_bn / unit_cost
    cum_output = params.experience_quarters * capacity
    quality = np.where(country == 0, 1.0, 1.0 - params.tech_gap) * rng.lognormal(0.0, 0.05, n)
    base_cost = base_cost_for(unit_cost, cum_output, quality, params)
    table.add(
        country=country, sector=np.concatenate(cols["sector"]), tier=np.concatenate(cols["tier"]),
        active=np.ones(n, dtype=bool), quality=quality, base_cost=base_cost,
        cum_output=cum_output, unit_cost=unit_cost, capacity=capacity,
        backlog=capacity * params.target_backlog, cash=capacity_bn * 4.0,
        revenue_ema=capacity_bn * (1 + params.markup), comp_price=unit_cost * (1 + params.markup),
        born=np.full(n, -1), represents=np.concatenate(cols["represents"]),
    )
    _start_joint_products(table, data, params, rng)


def _start_joint_products(table: FirmTable, data: CountryData, params: Params, rng: np.random.Generator) -> None:
    """Give `initial_joint_share` of the primes a joint product already in production, with a partner country
    drawn as a seeker draws one (another country with primes in the sector) and a uniformly drawn remaining
    life, so that workshare starts at its steady state instead of ramping up from no programmes."""
    primes = np.flatnonzero(table.tier == PRIME)
    for row in primes[rng.random(len(primes)) < params.initial_joint_share]:
        own, sector = table.country[row], table.sector[row]
        others = np.flatnonzero((data.primes[:, sector] > 0) & (np.arange(N_COUNTRIES) != own))
        if len(others):
            table.joint_until[row, rng.choice(others)] = rng.integers(0, max(params.joint_product_quarters, 1))
