"""Validators shared by scenario files, levers and parameters: each raises one InputError that names where
the value came from, what is wrong and what is allowed."""

from __future__ import annotations

import math

from model.common.errors import InputError


def number(value: object, low: float, high: float, where: str) -> float:
    """A finite number (not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{where}: {value} is out of range; allowed: {low} to {high}")
    return float(value)


def codes(value: object, allowed: tuple[str, ...], where: str) -> list[str]:
    """A list of names, each one of `allowed`."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of names from {', '.join(allowed)}, got {value!r}")
    for v in value:
        if v not in allowed:
            raise InputError(f"{where}: unknown name '{v}'; allowed: {', '.join(allowed)}")
    return value
