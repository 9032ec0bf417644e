"""The validation suite's observed patterns (patterns.toml): what each is, its band, and where the band comes
from. Loaded once and refused if any band lacks a tag or a source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from model.data.country_data import check_sources


@dataclass(frozen=True)
class Pattern:
    name: str
    kind: str  # "levels" (checked in several windows of a run) or "dynamics"
    label: str
    unit: str
    value: float
    low: float
    high: float
    tag: str
    source: str

    def holds(self, measured: float) -> bool:
        return self.low <= measured <= self.high


@cache
def patterns() -> dict[str, Pattern]:
    """Every pattern by name, levels first, in file order."""
    raw = tomllib.loads(resources.files("model.data").joinpath("patterns.toml").read_text(encoding="utf-8"))
    check_sources(raw, "patterns.toml")
    return {name: Pattern(name, kind, **entry) for kind in ("levels", "dynamics") for name, entry in raw[kind].items()}
