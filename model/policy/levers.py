"""A government's protectionism rules (the levers of DESIGN §4) as data, with their validation.

Per-partner levers accept one number for every partner or a table by partner code; the policy keeps them as
arrays over COUNTRIES so the market phases can index them with firm and buyer codes.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from model.common.countries import C, COUNTRIES, N_COUNTRIES, N_SECTORS, S, SECTORS
from model.common.errors import InputError

# name -> (kind, low, high, meaning). Kinds: "partner" (number per partner), "number", "bool",
# "countries" (list of codes), "sectors" (list of sector names), "adaptation" (table).
LEVERS: dict[str, tuple[str, float, float, str]] = {
    "preference_margin": ("partner", 0.0, 5.0, "share added to the evaluated price of non-qualifying foreign offers"),
    "qualifying": ("countries", 0, 0, "partners treated as domestic for preference and content (RDP MOUs)"),
    "content_min": ("number", 0.0, 1.0, "minimum domestic (+ qualifying) share of contract value"),
    "content_counts_qualifying": ("bool", 0, 0, "qualifying-country components count as domestic content"),
    "tariff_end_items": ("partner", 0.0, 5.0, "ad valorem duty on imported end items, by origin"),
    "tariff_components": ("partner", 0.0, 5.0, "ad valorem duty on imported components, by origin"),
    "tariff_metals": ("partner", 0.0, 5.0, "duty on the metal content of imported components, by origin"),
    "duty_free_entry": ("number", 0.0, 1.0, "share of this government's own defence imports exempted from tariffs"),
    "licence_days": ("partner", 0.0, 3650.0, "export-licence delay toward each destination (days)"),
    "denial_prob": ("partner", 0.0, 1.0, "probability an export licence toward each destination is denied"),
    "exempt": ("partner", 0.0, 1.0, "share of exports to each destination that need no licence (1 = full exemption)"),
    "offset_rate": ("number", 0.0, 3.0, "work foreign winners must place at home, as a share of contract value"),
    "offset_threshold_bn": ("number", 0.0, 1000.0, "contract value (US$bn) above which the offset applies"),
    "offset_exempt": ("countries", 0, 0, "partners whose firms carry no offset obligation"),
    "sovereign_sectors": ("sectors", 0, 0, "sectors closed to foreign primes"),
    "ntib_treatment": ("bool", 0, 0, "treat NTIB members as domestic for preference, content and market access"),
    "codev_support": ("partner", 0.0, 1.0, "share of a joint programme's cost the government co-funds, by partner"),
    "safe_share": ("number", 0.0, 1.0, "share of tenders run under SAFE-like rules (home and EUR firms only)"),
    "adaptation": ("adaptation", 0, 0, "how the policy reacts to partners: static, reciprocal or industrial"),
}

ADAPTATION: dict[str, dict[str, tuple[float, float, float, str]]] = {
    "static": {},
    "reciprocal": {
        "lag": (2, 0, 40, "quarters before a partner's barrier is answered"),
        "response": (0.5, 0.0, 1.0, "share of the barrier gap matched per answer"),
        "threshold": (0.02, 0.0, 5.0, "smallest barrier gap that is answered"),
        "probability": (0.7, 0.0, 1.0, "probability of answering a gap in a quarter"),
        "max_tariff": (1.0, 0.0, 5.0, "highest retaliatory tariff"),
        "contagion": (0.0, 0.0, 1.0, "share of the gap between the other Five Eyes pairs' mean barrier and our "
                                     "own mean barrier on the Five Eyes closed per answer, toward all of them "
                                     "(0: answer each partner only for what it does to us)"),
    },
    "industrial": {
        "lag": (4, 0, 40, "quarters over which the home share is observed"),
        "threshold": (0.05, 0.0, 1.0, "fall in the home share of procurement that triggers protection"),
        "step": (0.05, 0.0, 1.0, "increase in preference margin and content minimum per reaction"),
        "max_margin": (1.0, 0.0, 5.0, "highest preference margin"),
        "max_content": (0.9, 0.0, 1.0, "highest content minimum"),
    },
}


@dataclass
class Adaptation:
    mode: str = "static"
    settings: dict[str, float] = field(default_factory=dict)


@dataclass
class Policy:
    """One government's rules now. Arrays are indexed by partner country code position."""

    preference_margin: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    qualifying: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES, dtype=bool))
    content_min: float = 0.0
    content_counts_qualifying: bool = True
    tariff_end_items: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    tariff_components: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    tariff_metals: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    duty_free_entry: float = 0.0
    licence_days: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    denial_prob: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    exempt: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    offset_rate: float = 0.0
    offset_threshold_bn: float = 0.0
    offset_exempt: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES, dtype=bool))
    sovereign_sectors: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, dtype=bool))
    ntib_treatment: bool = False
    codev_support: np.ndarray = field(default_factory=lambda: np.zeros(N_COUNTRIES))
    safe_share: float = 0.0
    adaptation: Adaptation = field(default_factory=Adaptation)

    def copy(self) -> Policy:
        return copy.deepcopy(self)

    def apply(self, levers: dict, where: str) -> None:
        """Set the given levers (already-parsed TOML values), validating each; `where` names the source."""
        for name, value in levers.items():
            if name not in LEVERS:
                raise InputError(f"{where}: unknown lever '{name}'; allowed: {', '.join(LEVERS)}")
            setattr(self, name, _parse_lever(name, value, f"{where}.{name}", getattr(self, name)))


def _number(value, low: float, high: float, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{where}: {value} is out of range; allowed: {low} to {high}")
    return float(value)


def _codes(value, allowed: tuple[str, ...], where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of names from {', '.join(allowed)}, got {value!r}")
    for v in value:
        if v not in allowed:
            raise InputError(f"{where}: unknown name '{v}'; allowed: {', '.join(allowed)}")
    return value


def _parse_lever(name: str, value, where: str, current):
    kind, low, high, _ = LEVERS[name]
    if kind == "number":
        return _number(value, low, high, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind == "countries":
        mask = np.zeros(N_COUNTRIES, dtype=bool)
        mask[[C[c] for c in _codes(value, COUNTRIES, where)]] = True
        return mask
    if kind == "sectors":
        mask = np.zeros(N_SECTORS, dtype=bool)
        mask[[S[s] for s in _codes(value, SECTORS, where)]] = True
        return mask
    if kind == "adaptation":
        return _parse_adaptation(value, where)
    # per partner: one number for all partners, or a table that changes only the partners it names
    if isinstance(value, dict):
        out = current.copy()
        for code, v in value.items():
            if code not in C:
                raise InputError(f"{where}: unknown country '{code}'; allowed: {', '.join(COUNTRIES)}")
            out[C[code]] = _number(float(v) if isinstance(v, bool) and name == "exempt" else v,
                                   low, high, f"{where}.{code}")
        return out
    if isinstance(value, bool) and name == "exempt":
        value = float(value)
    return np.full(N_COUNTRIES, _number(value, low, high, where))


def _parse_adaptation(value, where: str) -> Adaptation:
    if not isinstance(value, dict) or "mode" not in value:
        raise InputError(f"{where}: expected a table with mode = one of {', '.join(ADAPTATION)}, got {value!r}")
    mode = value["mode"]
    if not isinstance(mode, str) or mode not in ADAPTATION:
        raise InputError(f"{where}.mode: unknown mode {mode!r}; allowed: {', '.join(ADAPTATION)}")
    spec = ADAPTATION[mode]
    settings = {key: default for key, (default, *_rest) in spec.items()}
    for key, v in value.items():
        if key == "mode":
            continue
        if key not in spec:
            allowed = ", ".join(spec) or "none"
            raise InputError(f"{where}.{key}: unknown setting for mode '{mode}'; allowed: {allowed}")
        _, low, high, _ = spec[key]
        settings[key] = _number(v, low, high, f"{where}.{key}")
    return Adaptation(mode, settings)
