"""Knobs: one number (or choice) standing for a family of levers, as the sweeps and the visualization move them.

A study of "tariff level" or "export-control friction" moves several raw levers at once. Each knob turns its
value into `--set` assignments, so a knob setting is an ordinary scenario override: validated the same way,
recorded the same way in a manifest, and reproducible from the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model.common.countries import ALLIES, FIVE_EYES
from model.common.errors import InputError
from model.policy.adaptation import ADAPTATION_MODES

ITAR_DAYS = 60.0  # NSPD-56 60-day target for licence decisions (docs/sources.md §2.3)


@dataclass(frozen=True)
class Knob:
    low: float
    high: float
    unit: str
    meaning: str
    to_set: Callable[[float], list[str]]


def _friction(x: float) -> list[str]:
    """0: every US export to an ally is licence-free; 1: every one needs a licence at the 60-day target. Set
    per ally, so the scenario's delays toward EUR and ROW stay."""
    return [f"USA.{lever}.{code}={value:.6g}" for lever, value in (("exempt", 1.0 - x), ("licence_days", ITAR_DAYS * x))
            for code in ALLIES]


KNOBS: dict[str, Knob] = {
    "us_preference": Knob(0.0, 1.0, "share of price", "US Buy American preference margin on every foreign offer",
                          lambda x: [f"USA.preference_margin={x:.6g}"]),
    "tariff_level": Knob(0.0, 1.0, "ad valorem", "US tariff on end items and components from every partner",
                         lambda x: [f"USA.tariff_end_items={x:.6g}", f"USA.tariff_components={x:.6g}"]),
    "export_friction": Knob(0.0, 1.0, "0 = licence-free, 1 = all licensed",
                            "US export-control friction toward the allies (1 - exemption share, licence delay)",
                            _friction),
    "ntib_treatment": Knob(0.0, 1.0, "off/on", "every Five Eyes government treats NTIB members as domestic",
                           lambda x: [f"{c}.ntib_treatment={'true' if x >= 0.5 else 'false'}" for c in FIVE_EYES]),
}


def knob_overrides(name: str, value: float) -> list[str]:
    """The `--set` assignments for one knob setting; an InputError names the knob or range if it is wrong."""
    if name not in KNOBS:
        raise InputError(f"unknown knob '{name}'; allowed: {', '.join(KNOBS)}")
    knob = KNOBS[name]
    if not knob.low <= value <= knob.high:
        raise InputError(f"knob {name}={value} is out of range; allowed: {knob.low} to {knob.high}")
    return knob.to_set(float(value))


def adaptation_overrides(mode: str, countries: tuple[str, ...] = FIVE_EYES) -> list[str]:
    """Make the given governments adapt in `mode` with that mode's default settings."""
    if mode not in ADAPTATION_MODES:
        raise InputError(f"unknown adaptation mode '{mode}'; allowed: {', '.join(ADAPTATION_MODES)}")
    return [f'{c}.adaptation={{ mode = "{mode}" }}' for c in countries]
