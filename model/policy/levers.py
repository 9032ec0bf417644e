"""A government's protectionism rules (the levers of docs/ODD.md §7.1) as data, with their validation.

The `Policy` dataclass is the one lever table: each field declares its kind, range and meaning, and `LEVERS`
is read from it, so adding a lever is one line here (plus its use in `model.policy.rules`). Per-partner
levers accept one number for every partner or a table by partner code; the policy keeps them as arrays over
COUNTRIES so the market phases can index them with firm and buyer codes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np

from model.common.countries import COUNTRIES, N_COUNTRIES, N_SECTORS, SECTORS, C, S
from model.common.errors import InputError
from model.common.validation import codes, number, shown
from model.policy.adaptation import Adaptation, parse_adaptation


class Lever(NamedTuple):
    """Kinds: "partner" (a number per partner), "number", "bool", "countries" (a list of codes),
    "sectors" (a list of sector names), "adaptation" (a table)."""

    kind: str
    low: float
    high: float
    meaning: str
    bool_is_share: bool = False  # true/false stand for 1/0 (a full exemption or none)


_EMPTY: dict[str, Callable[[], object]] = {  # the default of each kind of lever that has no scalar default
    "partner": lambda: np.zeros(N_COUNTRIES),
    "countries": lambda: np.zeros(N_COUNTRIES, dtype=bool),
    "sectors": lambda: np.zeros(N_SECTORS, dtype=bool),
    "adaptation": Adaptation,
}


def lever(kind: str, meaning: str, low: float = 0.0, high: float = 0.0, default: float | bool | None = None,
          bool_is_share: bool = False) -> Any:
    """Declare one lever: a dataclass field whose metadata carries its kind, range and meaning."""
    spec: dict[str, object] = {"lever": Lever(kind, low, high, meaning, bool_is_share)}
    if default is not None:
        return field(default=default, metadata=spec)
    return field(default_factory=_EMPTY[kind], metadata=spec)


@dataclass
class Policy:
    """One government's rules now. Arrays are indexed by partner country code position."""

    preference_margin: np.ndarray = lever(
        "partner", "share added to the evaluated price of non-qualifying foreign offers", 0.0, 5.0)
    qualifying: np.ndarray = lever("countries", "partners treated as domestic for preference and content (RDP MOUs)")
    content_min: float = lever("number", "minimum domestic (+ qualifying) share of contract value", 0.0, 1.0, 0.0)
    content_counts_qualifying: bool = lever(
        "bool", "qualifying-country components count as domestic content", default=True)
    tariff_end_items: np.ndarray = lever("partner", "ad valorem duty on imported end items, by origin", 0.0, 5.0)
    tariff_components: np.ndarray = lever("partner", "ad valorem duty on imported components, by origin", 0.0, 5.0)
    tariff_metals: np.ndarray = lever(
        "partner", "duty on the metal content of imported components, by origin", 0.0, 5.0)
    duty_free_entry: float = lever(
        "number", "share of this government's own defence imports exempted from tariffs", 0.0, 1.0, 0.0)
    licence_days: np.ndarray = lever("partner", "export-licence delay toward each destination (days)", 0.0, 3650.0)
    denial_prob: np.ndarray = lever(
        "partner", "probability an export licence toward each destination is denied", 0.0, 1.0)
    exempt: np.ndarray = lever("partner", "share of exports to each destination that need no licence "
                               "(1 = full exemption)", 0.0, 1.0, bool_is_share=True)
    offset_rate: float = lever(
        "number", "work foreign winners must place at home, as a share of contract value", 0.0, 3.0, 0.0)
    offset_threshold_bn: float = lever(
        "number", "contract value (US$bn) above which the offset applies", 0.0, 1000.0, 0.0)
    offset_exempt: np.ndarray = lever("countries", "partners whose firms carry no offset obligation")
    sovereign_sectors: np.ndarray = lever("sectors", "sectors closed to foreign primes")
    ntib_treatment: bool = lever(
        "bool", "treat NTIB members as domestic for preference, content and market access", default=False)
    codev_support: np.ndarray = lever(
        "partner", "share of a joint programme's cost the government co-funds, by partner", 0.0, 1.0)
    noncompeted_share: float = lever(
        "number", "share of tenders awarded without competition among the buyer's own primes (sustainment, "
        "upgrades, follow-on work) where it has a prime in the sector", 0.0, 1.0, 0.0)
    safe_share: float = lever(
        "number", "share of tenders run under SAFE-like rules (home and EUR firms only)", 0.0, 1.0, 0.0)
    adaptation: Adaptation = lever("adaptation", "how the policy reacts to partners: static, reciprocal or industrial")

    def copy(self) -> Policy:
        return copy.deepcopy(self)

    def apply(self, levers: dict[str, object], where: str) -> None:
        """Set the given levers (parsed TOML values, or arrays from an adaptive reaction), validating each;
        `where` names the source."""
        for name, value in levers.items():
            if name not in LEVERS:
                raise InputError(f"{where}: unknown lever {shown(name)}; allowed: {', '.join(LEVERS)}")
            setattr(self, name, parse_lever(name, value, f"{where}.{name}", getattr(self, name)))


LEVERS: dict[str, Lever] = {f.name: f.metadata["lever"] for f in fields(Policy)}


def parse_lever(name: str, value: object, where: str, current: Any) -> Any:
    """One lever's value in the form the policy keeps, or an InputError naming what is allowed."""
    spec = LEVERS[name]
    if spec.kind == "number":
        return number(value, spec.low, spec.high, where)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {shown(value)}")
        return value
    if spec.kind == "countries":
        mask = np.zeros(N_COUNTRIES, dtype=bool)
        mask[[C[c] for c in codes(value, COUNTRIES, where)]] = True
        return mask
    if spec.kind == "sectors":
        mask = np.zeros(N_SECTORS, dtype=bool)
        mask[[S[s] for s in codes(value, SECTORS, where)]] = True
        return mask
    if spec.kind == "adaptation":
        return parse_adaptation(value, where)
    return _per_partner(spec, value, where, current)


def _per_partner(spec: Lever, value: object, where: str, current: np.ndarray) -> np.ndarray:
    """One number for all partners, a table that changes only the partners it names, or a full array."""
    def one(v: object, at: str) -> float:
        return number(float(v) if isinstance(v, bool) and spec.bool_is_share else v, spec.low, spec.high, at)

    if isinstance(value, dict):
        out = current.copy()
        for code, v in value.items():
            if code not in C:
                raise InputError(f"{where}: unknown country {shown(code)}; allowed: {', '.join(COUNTRIES)}")
            out[C[code]] = one(v, f"{where}.{code}")
        return out
    if isinstance(value, np.ndarray):
        if value.shape != (N_COUNTRIES,):
            raise InputError(f"{where}: expected one value per country ({', '.join(COUNTRIES)}), got shape "
                             f"{value.shape}")
        return np.array([one(float(v), f"{where}.{code}") for code, v in zip(COUNTRIES, value)])
    return np.full(N_COUNTRIES, one(value, where))
