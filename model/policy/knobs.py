"""Knobs: one number (or choice) standing for a family of levers, as the sweeps and the visualization move them.

A study of "tariff level" or "export-control friction" moves several raw levers at once. Each knob turns its
value into `--set` assignments, so a knob setting is an ordinary scenario override: validated the same way,
recorded the same way in a manifest, and reproducible from the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model.common.countries import FIVE_EYES
from model.common.errors import InputError
from model.policy.adaptation import ADAPTATION_MODES

ITAR_DAYS = 60.0  # NSPD-56 60-day target for licence decisions (docs/sources.md §2.3)


@dataclass(frozen=True)
class Knob:
    low: float
    high: float
    unit: str
    meaning: str
    to_set: Callable[[float, str], list[str]]  # (value, government) -> assignments
    per_government: bool = True  # False: the knob sets every Five Eyes government at once


def partners(code: str) -> tuple[str, ...]:
    """A Five Eyes government's Five Eyes partners (for the US, ALLIES, in the same order)."""
    return tuple(partner for partner in FIVE_EYES if partner != code)


def _friction(x: float, code: str) -> list[str]:
    """0: every export of `code` to a Five Eyes partner is licence-free; 1: every one needs a licence at the
    60-day target. Set per partner, so the scenario's delays toward EUR and ROW stay."""
    return [f"{code}.{lever}.{partner}={value:.6g}"
            for lever, value in (("exempt", 1.0 - x), ("licence_days", ITAR_DAYS * x)) for partner in partners(code)]


KNOBS: dict[str, Knob] = {
    "us_preference": Knob(0.0, 1.0, "share of price",
                          "a government's preference margin on every foreign offer (US Buy American by default)",
                          lambda x, code: [f"{code}.preference_margin={x:.6g}"]),
    "tariff_level": Knob(0.0, 1.0, "ad valorem",
                         "a government's tariff on end items and components from every partner (US by default)",
                         lambda x, code: [f"{code}.tariff_end_items={x:.6g}", f"{code}.tariff_components={x:.6g}"]),
    "export_friction": Knob(0.0, 1.0, "0 = licence-free, 1 = all licensed",
                            "a government's export-control friction toward its Five Eyes partners (1 - exemption "
                            "share, licence delay; US by default)", _friction),
    "ntib_treatment": Knob(0.0, 1.0, "off/on", "every Five Eyes government treats NTIB members as domestic",
                           lambda x, _code: [f"{c}.ntib_treatment={'true' if x >= 0.5 else 'false'}"
                                             for c in FIVE_EYES], per_government=False),
}


def knob_overrides(name: str, value: float, government: str = "USA") -> list[str]:
    """The `--set` assignments for one knob setting, for `government` (a Five Eyes code; the US unless given) when
    the knob is one government's; an InputError names the knob, range or government if it is wrong."""
    if name not in KNOBS:
        raise InputError(f"unknown knob '{name}'; allowed: {', '.join(KNOBS)}")
    knob = KNOBS[name]
    if not knob.low <= value <= knob.high:
        raise InputError(f"knob {name}={value} is out of range; allowed: {knob.low} to {knob.high}")
    if government not in FIVE_EYES or (not knob.per_government and government != "USA"):
        allowed = ", ".join(FIVE_EYES) if knob.per_government else "none (it sets every Five Eyes government)"
        raise InputError(f"knob {name} for government '{government}'; allowed: {allowed}")
    return knob.to_set(float(value), government)


def adaptation_overrides(mode: str, countries: tuple[str, ...] = FIVE_EYES) -> list[str]:
    """Make the given governments adapt in `mode` with that mode's default settings."""
    if mode not in ADAPTATION_MODES:
        raise InputError(f"unknown adaptation mode '{mode}'; allowed: {', '.join(ADAPTATION_MODES)}")
    return [f'{c}.adaptation={{ mode = "{mode}" }}' for c in countries]
