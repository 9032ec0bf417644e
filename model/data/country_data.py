"""The sourced country figures (data/countries.toml), loaded once and checked for a source on every number."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from model.common.countries import COUNTRIES, N_SECTORS

TAGS = {"S", "S2", "D", "U", "A"}


@dataclass(frozen=True)
class CountryData:
    """Arrays over COUNTRIES (and SECTORS) built from the data file; `raw` keeps the sourced entries."""

    procurement_bn: np.ndarray  # (country,) US$bn a year
    firms_real: np.ndarray  # (country,) firms at full scale; ROW has none
    primes: np.ndarray  # (country, sector) prime counts
    supplier_sectors: np.ndarray  # (country, sector) bool
    sector_demand: np.ndarray  # (sector,) shares summing to 1
    targets: dict[str, dict]
    checks: dict[str, dict]
    raw: dict


def check_sources(table: dict, file: str, where: str = "") -> None:
    """Every entry with a value must carry a tag from TAGS and a source, or the data file is refused."""
    for key, entry in table.items():
        path = f"{where}.{key}" if where else key
        if isinstance(entry, dict) and "value" in entry:
            if entry.get("tag") not in TAGS or not entry.get("source"):
                raise ValueError(f"{file}: {path} needs a tag in {sorted(TAGS)} and a source")
        elif isinstance(entry, dict):
            check_sources(entry, file, path)


def _by_country(table: dict, default=0.0) -> list:
    return [table[c]["value"] if c in table else default for c in COUNTRIES]


@cache
def country_data() -> CountryData:
    """Load and validate the packaged data file (cached: it never changes during a process)."""
    raw = tomllib.loads(resources.files("model.data").joinpath("countries.toml").read_text())
    check_sources(raw, "countries.toml")
    zero_row = [0] * N_SECTORS
    demand = np.array(raw["sector_demand"]["all"]["value"], dtype=float)
    return CountryData(
        procurement_bn=np.array(_by_country(raw["procurement_bn"]), dtype=float),
        firms_real=np.array(_by_country(raw["firms_real"], 0), dtype=float),
        primes=np.array(_by_country(raw["primes"], zero_row), dtype=np.int64),
        supplier_sectors=np.array(_by_country(raw["supplier_sectors"], zero_row), dtype=bool),
        sector_demand=demand / demand.sum(),
        targets=raw["targets"],
        checks=raw.get("checks", {}),
        raw=raw,
    )


def sourced_rows() -> list[tuple[str, str, object, str, str]]:
    """Every sourced number as (table, key, value, tag, source), for the calibration report."""
    rows = []
    for table, entries in country_data().raw.items():
        for key, entry in entries.items():
            rows.append((table, key, entry["value"], entry["tag"], entry["source"]))
    return rows


if __name__ == "__main__":
    for row in sourced_rows():
        print(" | ".join(str(x) for x in row))
