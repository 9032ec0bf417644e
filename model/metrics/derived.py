"""Outcomes derived from the flat runs table, one definition each, so that every script which reports an outcome
computes, names and states the unit of it the same way.

The flat runs table has one row per run and a column per value of `run_summary` (nested keys joined by dots:
`foreign_share.USA`, `flows.USA.GBR`, `codev.CAN-USA`), as the run engine's store holds it. In that summary the
flows, the shares of procurement and capability per dollar are run totals since the start date; technology and the
unit-cost index are the state at the end of the run; a co-development pair counts the programmes under way at the
end plus those completed during the run. Each unit below says which it is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from model.common.countries import ALLIES, FIVE_EYES, pair_key


@dataclass(frozen=True)
class DerivedOutcome:
    """One outcome of a run, computed from the flat runs table: its human name, what exactly it measures, and how."""

    key: str
    label: str
    unit: str
    compute: Callable[[pd.DataFrame], pd.Series]

    @property
    def heading(self) -> str:
        """'label (unit)': how a table column or a headline names the outcome."""
        return f"{self.label} ({self.unit})"


def _columns(family: str, codes: tuple[str, ...]) -> list[str]:
    return [f"{family}.{code}" for code in codes]


def _integration(runs: pd.DataFrame) -> pd.Series:
    return 100 * runs["integration_index"]


def _us_foreign_share(runs: pd.DataFrame) -> pd.Series:
    return 100 * runs["foreign_share.USA"]


def _allied_foreign_share(runs: pd.DataFrame) -> pd.Series:
    return 100 * runs[_columns("foreign_share", ALLIES)].mean(axis=1)


def _canada_to_us(runs: pd.DataFrame) -> pd.Series:
    return 100 * runs["us_share.CAN"]


# the ten Five Eyes pairs' co-development columns (the pairs with Europe are left out)
FIVE_EYES_CODEV_COLUMNS = [f"codev.{pair_key(a, b)}" for a, b in itertools.combinations(FIVE_EYES, 2)]


def _five_eyes_codev(runs: pd.DataFrame) -> pd.Series:
    return runs[FIVE_EYES_CODEV_COLUMNS].sum(axis=1)


def _allied_tech(runs: pd.DataFrame) -> pd.Series:
    return runs[_columns("tech", ALLIES)].mean(axis=1)


def _us_unit_cost(runs: pd.DataFrame) -> pd.Series:
    return runs["unit_cost_index.USA"]


def _us_capability_per_bn(runs: pd.DataFrame) -> pd.Series:
    return runs["capability_per_bn.USA"]


def _five_eyes_capability_per_bn(runs: pd.DataFrame) -> pd.Series:
    return runs[_columns("capability_per_bn", FIVE_EYES)].mean(axis=1)


def _allied_sales_to_us(runs: pd.DataFrame) -> pd.Series:
    """The run's total flows divided by its own length (the `years` column), so runs of any length compare."""
    return runs[[f"flows.USA.{code}" for code in ALLIES]].sum(axis=1) / runs["years"]


DERIVED: dict[str, DerivedOutcome] = {outcome.key: outcome for outcome in (
    DerivedOutcome(
        "integration", "integration index",
        "% of Five Eyes procurement that went to firms of another Five Eyes country, run total", _integration),
    DerivedOutcome(
        "us_foreign_share", "US foreign share",
        "% of US end-item procurement from foreign primes, run total", _us_foreign_share),
    DerivedOutcome(
        "allied_foreign_share", "allies' foreign share",
        "% of end-item procurement from foreign primes, mean of the four allies, run total", _allied_foreign_share),
    DerivedOutcome(
        "canada_to_us", "Canada's purchases from the US",
        "% of Canadian end-item procurement from US primes, run total", _canada_to_us),
    DerivedOutcome(
        "five_eyes_codev", "Five Eyes co-development",
        "joint programmes between Five Eyes countries, under way at the end or completed during the run",
        _five_eyes_codev),
    DerivedOutcome(
        "allied_tech", "allied technology",
        "capacity-weighted quality of active firms, mean of the four allies, at the end; 2025 US = 1",
        _allied_tech),
    DerivedOutcome(
        "us_unit_cost", "US unit-cost index",
        "cost per unit of capability from US primes, at the end; 2025Q1 = 1", _us_unit_cost),
    DerivedOutcome(
        "us_capability_per_bn", "US capability per dollar",
        "quality-units per US$bn of US end-item procurement, run total", _us_capability_per_bn),
    DerivedOutcome(
        "five_eyes_capability_per_bn", "Five Eyes capability per dollar",
        "quality-units per US$bn of end-item procurement, mean of the five buyers, run total",
        _five_eyes_capability_per_bn),
    DerivedOutcome(
        "allied_sales_to_us", "allied sales to the US",
        "US$bn a year of US procurement that went to the four allies' firms (end items and components), mean "
        "over the run", _allied_sales_to_us),
)}
