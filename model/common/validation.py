"""Validators shared by scenario files, levers and parameters: each raises one InputError that names where
the value came from, what is wrong and what is allowed."""

from __future__ import annotations

import math
import numbers
import operator
import tomllib
from pathlib import Path
from typing import TypeGuard

from model.common.errors import InputError


def finite(value: object) -> TypeGuard[int | float]:
    """A number (not a bool) that is not nan or infinite; an integer of any size counts, without conversion to a
    float (which overflows for a few hundred digits)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or math.isfinite(value)


def shown(value: object) -> str:
    """A value for an error message, cut short: a 400-digit number is not worth repeating in full."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def number(value: object, low: float, high: float, where: str) -> float:
    """A finite number (not a bool) within [low, high]."""
    if not finite(value):
        raise InputError(f"{where}: expected a number from {low} to {high}, got {shown(value)}")
    if not low <= value <= high:
        raise InputError(f"{where}: {shown(value)} is out of range; allowed: {low} to {high}")
    return float(value)


def whole_number(value: object, low: int, high: int, where: str) -> int:
    """A whole number (an integer type, numpy's included, not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{where}: expected a whole number from {low} to {high}, got {shown(value)}")
    whole = operator.index(value)
    if not low <= whole <= high:
        raise InputError(f"{where}: {shown(value)} is out of range; allowed: {low} to {high}")
    return whole


def share_of_population(value: object, high: float, where: str) -> float:
    """A share of the real firm population: above 0, up to `high`."""
    if not finite(value) or not 0 < value <= high:
        raise InputError(f"{where}: expected a number above 0 up to {high} (1 = the full population), "
                         f"got {shown(value)}")
    return float(value)


def codes(value: object, allowed: tuple[str, ...], where: str) -> list[str]:
    """A list of names, each one of `allowed`."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of names from {', '.join(allowed)}, got {value!r}")
    for v in value:
        if v not in allowed:
            raise InputError(f"{where}: unknown name '{v}'; allowed: {', '.join(allowed)}")
    return value


def read_toml(path: Path, example: str) -> dict:
    """A user's TOML file (scenario or study) as a table; an InputError if it cannot be read or parsed, naming
    `example`, a file to start from."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected a UTF-8 TOML "
                         "file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc}); expected a readable TOML file") from None
    return parse_toml(text, str(path), example)


def parse_toml(text: str, where: str, example: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc}); expected TOML syntax (https://toml.io), e.g. a copy "
                         f"of {example}") from None
