"""Hypothesis strategies for VALID scenarios (every lever, schedule, shock, alliance, budget and parameter the
loader accepts), and a dict -> TOML writer, so property tests and scripts/reliability.py draw the same cases.

Values are drawn from each lever's whole allowed range (including its edges). A few parameters that only
bound the work per quarter (tenders, lots, spin-up length) are drawn from the lower part of their
range so that sixty examples fit in a CI minute; their validation is exercised by the bad-input tests.
entry_rate is drawn over its whole range: the range was narrowed to 0-0.05 after a draw at 1 (then allowed)
doubled the population every quarter and used 16 GB within a few simulated years.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields

from hypothesis import strategies as st

from model.common.countries import COUNTRIES, SECTORS
from model.common.quarters import MAX_YEARS
from model.policy.adaptation import ADAPTATION, WHOLE_SETTINGS
from model.policy.levers import LEVERS
from model.policy.params import Params
from model.policy.scenario import START_YEAR, scenario_names

SPEED_CAPS = {"max_tenders": 40, "tenders_per_bn": 5.0, "lots": 10, "spinup_quarters": 20}
PARAM_RANGES = {f.name: f.metadata["range"] for f in fields(Params)}
SMALLEST_SCALE = 1e-6  # below about 1e-4 only the real primes remain: the smallest population a run can have
INT_PARAMS = {f.name for f in fields(Params) if isinstance(f.default, int)}


# -- TOML writing ---------------------------------------------------------------------------------------

def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def toml_value(v) -> str:
    """One TOML value (inline tables for dicts), as --set and scenario files spell it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML spelling for {v!r}")


def _tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def to_toml(doc: dict) -> str:
    """A scenario dict as a TOML file: [sections], [[arrays of tables]] (shocks, schedules), inline the rest."""
    lines = [f"{_key(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict) and not _tables(v)]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{_key(k)}]")
            lines += [f"{_key(a)} = {toml_value(b)}" for a, b in v.items() if not _tables(b)]
            for a, entries in ((a, b) for a, b in v.items() if _tables(b)):
                for entry in entries:
                    lines.append(f"[[{_key(k)}.{_key(a)}]]")
                    lines += [f"{_key(x)} = {toml_value(y)}" for x, y in entry.items()]
        elif _tables(v):
            for entry in v:
                lines.append(f"[[{_key(k)}]]")
                lines += [f"{_key(x)} = {toml_value(y)}" for x, y in entry.items()]
    return "\n".join(lines) + "\n"


# -- valid values -----------------------------------------------------------------------------------------

def number(low: float, high: float) -> st.SearchStrategy:
    """Anywhere in [low, high], its edges, or a whole number in it (TOML integers are numbers too)."""
    options = [st.floats(low, high, allow_nan=False, allow_infinity=False), st.sampled_from([low, high])]
    if math.ceil(low) <= math.floor(high):
        options.append(st.integers(math.ceil(low), math.floor(high)))
    return st.one_of(options)


def adaptation() -> st.SearchStrategy:
    def settings(mode: str) -> st.SearchStrategy:
        optional = {k: st.integers(int(low), int(high)) if k in WHOLE_SETTINGS else number(low, high)
                    for k, (_, low, high, _) in ADAPTATION[mode].items()}
        return st.fixed_dictionaries({"mode": st.just(mode)}, optional=optional)
    return st.sampled_from(list(ADAPTATION)).flatmap(settings)


def lever_value(name: str) -> st.SearchStrategy:
    kind, low, high = LEVERS[name][:3]
    if kind == "number":
        return number(low, high)
    if kind == "bool":
        return st.booleans()
    if kind == "countries":
        return st.lists(st.sampled_from(COUNTRIES), unique=True)
    if kind == "sectors":
        return st.lists(st.sampled_from(SECTORS), unique=True)
    if kind == "adaptation":
        return adaptation()
    one = number(low, high) | st.booleans() if name == "exempt" else number(low, high)  # exempt = true is 1
    return one | st.dictionaries(st.sampled_from(COUNTRIES), one, max_size=4)


def levers(min_size: int = 0, max_size: int = 5) -> st.SearchStrategy:
    names = st.lists(st.sampled_from(list(LEVERS)), unique=True, min_size=min_size, max_size=max_size)
    return names.flatmap(lambda ns: st.fixed_dictionaries({n: lever_value(n) for n in ns}))


def when(years: int) -> st.SearchStrategy:
    """A schedule or shock date: mostly inside the run (so it fires), sometimes anywhere in 2025-2124."""
    inside = st.integers(START_YEAR, START_YEAR + min(years, MAX_YEARS - 1))
    anywhere = st.integers(START_YEAR, START_YEAR + 99)
    quarter = st.builds(lambda y, q: f"{y}Q{q}", inside | anywhere, st.integers(1, 4))
    return inside | quarter | anywhere


def schedule(years: int) -> st.SearchStrategy:
    entry = st.tuples(when(years), levers(1, 3)).map(lambda tl: {"at": tl[0], **tl[1]})
    return st.lists(entry, max_size=3)


def shock(years: int) -> st.SearchStrategy:
    def of_kind(kind: str) -> st.SearchStrategy:
        high = 10.0 if kind == "demand" else 1.0
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "at": when(years), "factor": number(0.0, high)},
            optional={"quarters": st.integers(1, 400) | st.just(2.0),
                      "countries": st.lists(st.sampled_from(COUNTRIES), unique=True),
                      "sectors": st.lists(st.sampled_from(SECTORS), unique=True)})
    return st.sampled_from(["demand", "supply"]).flatmap(of_kind)


def param_value(name: str, full: bool = False) -> st.SearchStrategy:
    low, high = PARAM_RANGES[name]
    high = high if full else min(high, SPEED_CAPS.get(name, high))
    if name in INT_PARAMS:
        return st.integers(int(low), int(high)) | st.integers(int(low), int(high)).map(float)  # 5.0 is whole
    return number(low, high)


def params(max_size: int = 4, full: bool = False) -> st.SearchStrategy:
    names = st.lists(st.sampled_from(sorted(PARAM_RANGES)), unique=True, max_size=max_size)
    return names.flatmap(lambda ns: st.fixed_dictionaries({n: param_value(n, full) for n in ns}))


@dataclass(frozen=True)
class Case:
    """One valid scenario file plus --set overrides and the run's seed, length and firm scale."""

    doc: dict
    overrides: tuple[str, ...]
    years: int
    seed: int
    firm_scale: float

    @property
    def toml(self) -> str:
        return to_toml(self.doc)


@st.composite
def cases(draw, max_years: int = 4, full: bool = False) -> Case:
    """A valid case of 2 to `max_years` years; `full` draws the speed-bound parameters over their whole range
    and firm scales down to SMALLEST_SCALE (long runs, for scripts/reliability.py and the long property test)."""
    years = draw(st.integers(2, max_years))
    doc: dict = {"name": "drawn", "description": "a drawn valid scenario"}
    base = draw(st.sampled_from([None, *scenario_names()]))
    if base:
        doc["extends"] = base
    for code in draw(st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=5)):
        table = draw(levers())
        if entries := draw(schedule(years)):
            table["schedule"] = entries
        doc[code] = table
    if draw(st.booleans()):
        doc["alliance"] = {"ntib_members": draw(st.lists(st.sampled_from(COUNTRIES), unique=True))}
    if draw(st.booleans()):
        doc["budgets"] = {"growth": draw(st.dictionaries(st.sampled_from(COUNTRIES), number(-0.5, 1.0)))}
    if shocks := draw(st.lists(shock(years), max_size=2)):
        doc["shocks"] = shocks
    if p := draw(params(full=full)):
        doc["params"] = p
    overrides = [f"{code}.{name}={toml_value(value)}"
                 for code, lv in draw(st.lists(st.tuples(st.sampled_from(COUNTRIES), levers(1, 2)), max_size=3))
                 for name, value in lv.items()]
    # a lever moved for every government at once, as a knob does: systemic extremes, not one country's
    overrides += [f"{code}.{name}={toml_value(value)}" for name, value in draw(levers(0, 2)).items()
                  for code in COUNTRIES]
    overrides += [f"params.{n}={toml_value(v)}" for n, v in draw(params(max_size=2, full=full)).items()]
    scale = st.floats(SMALLEST_SCALE, 0.012) | st.just(SMALLEST_SCALE) if full else st.floats(0.004, 0.012)
    return Case(doc, tuple(overrides), years, draw(st.integers(0, 2**32 - 1)), draw(scale))
