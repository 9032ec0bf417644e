"""Scenario files: load a named or user TOML file, apply --set overrides, validate, and resolve schedules;
warn about an override that changes nothing (model.policy.no_effect).

A scenario may `extends` another (deep merge: tables merge, everything else is replaced), so a user copies a
shipped file, or writes three lines on top of one. Every error names the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import json
import numbers
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import TypeGuard

import numpy as np

from model.common.countries import COUNTRIES, FIVE_EYES, N_COUNTRIES, N_SECTORS, SECTORS, C
from model.common.errors import InputError, collected_warnings, warn
from model.common.quarters import MAX_YEARS, START_YEAR, quarter_label
from model.common.validation import codes, load_toml, number, parse_toml, read_toml, shown
from model.policy.levers import LEVERS, Policy
from model.policy.no_effect import OWN_ENTRY_UNUSED, why_no_effect
from model.policy.params import Params

TOP_KEYS = {"name", "description", "extends", "alliance", "budgets", "shocks", "params", *COUNTRIES}
SCENARIO_EXAMPLE = "model/scenarios/status_quo.toml"  # the file an error about a scenario file points to
UPLOAD_NAME = re.compile(r"[\w.-]{1,100}\.toml", re.ASCII)
MAX_DEMAND_FACTOR = 10.0  # a demand surge multiplies budgets by at most this
SHOCK_KINDS = {"demand": (0.0, MAX_DEMAND_FACTOR), "supply": (0.0, 1.0)}
SHOWN_SET = 200  # characters of a --set an error line repeats


@dataclass(frozen=True)
class Shock:
    """A demand surge (budget multiplier) or a supply disruption (capacity multiplier) for some quarters."""

    kind: str
    start: int  # quarter index from 2025Q1
    quarters: int
    countries: np.ndarray  # bool mask over COUNTRIES
    sectors: np.ndarray  # bool mask over SECTORS
    factor: float


def shock_factor(shocks: Sequence[Shock], kind: str, t: int) -> np.ndarray:
    """The (country x sector) multiplier that the `kind` shocks under way in quarter t give together: overlapping
    shocks multiply."""
    factor = np.ones((N_COUNTRIES, N_SECTORS))
    for shock in shocks:
        if shock.kind == kind and shock.start <= t < shock.start + shock.quarters:
            factor = np.where(np.outer(shock.countries, shock.sectors), factor * shock.factor, factor)
    return factor


@dataclass
class ScenarioSpec:
    """A validated scenario: initial policies, their schedules, budgets, shocks and parameter overrides."""

    name: str
    description: str
    source: str
    policies: dict[str, Policy]
    schedules: dict[str, list[tuple[int, dict]]]  # code -> [(quarter, levers)] sorted by quarter
    ntib_members: np.ndarray
    growth: np.ndarray
    shocks: list[Shock] = field(default_factory=list)
    params: Params = field(default_factory=Params)
    raw: dict = field(default_factory=dict)


def scenario_names() -> list[str]:
    """Named scenarios shipped with the package."""
    files = resources.files("model.scenarios").iterdir()
    return sorted(p.name[:-5] for p in files if p.name.endswith(".toml"))


def _read(name_or_path: str) -> tuple[dict, str]:
    if name_or_path in scenario_names():
        text = resources.files("model.scenarios").joinpath(f"{name_or_path}.toml").read_text()
        return parse_toml(text, f"{name_or_path}.toml", SCENARIO_EXAMPLE), f"{name_or_path}.toml"
    path = Path(name_or_path)
    if path.suffix != ".toml" or _missing(path):
        raise InputError(f"scenario '{name_or_path}' not found; allowed: a TOML file path or one of "
                         f"{', '.join(scenario_names())}")
    return read_toml(path, SCENARIO_EXAMPLE), str(path)


def _missing(path: Path) -> bool:
    """Whether nothing is at `path` (a path with a NUL, which none has, included); whatever else is there, even
    a name too long to look up or a link to nothing, read_toml describes."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return True
    except OSError:
        return False
    return False


def _is_tables(value: object) -> TypeGuard[list[dict]]:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _whole(key: str) -> bool:
    """A table that is one value, replaced whole: an adaptation (a mode and its settings; the settings of one
    mode are not the next one's)."""
    return key in LEVERS and LEVERS[key].kind == "adaptation"


def _merge(base: dict, top: dict, append_tables: bool = True) -> dict:
    """`top` over `base`: tables merge key by key and other values replace, except that arrays of tables
    (schedules, shocks) are appended to the base's when `append_tables` (as `extends` merges; --set replaces
    them, so that `USA.schedule=[]` clears a schedule)."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict) and not _whole(key):
            out[key] = _merge(below, value, append_tables)
        elif append_tables and _is_tables(value) and _is_tables(below):
            out[key] = [*below, *value]
        else:
            out[key] = value
    return out


def _identity(name_or_path: str) -> str:
    """What a scenario is, however it is spelled: a shipped name, or the real path of a file (`./a.toml`,
    `../in/a.toml` and a link to it are one file)."""
    if name_or_path in scenario_names():
        return name_or_path
    try:
        return os.path.realpath(name_or_path)
    except ValueError:  # a NUL in the path: _read will say it is not found
        return name_or_path


def _resolve(name_or_path: str, seen: tuple[str, ...] = ()) -> tuple[dict, str]:
    """A scenario merged over the chain of files it extends; `seen` holds the identities of the files that
    extend it."""
    raw, where = _read(name_or_path)
    parent = raw.get("extends")
    if parent is None:
        return raw, where
    if not isinstance(parent, str) or not parent:
        raise InputError(f"{where}: extends: expected a scenario name or path, got {shown(parent)}")
    if parent not in scenario_names() and name_or_path not in scenario_names() and not Path(parent).is_absolute():
        parent = str(Path(name_or_path).parent / parent)  # a relative path is relative to the extending file
    chain = (*seen, _identity(name_or_path))
    if _identity(parent) in chain:
        raise InputError(f"{where}: extends: '{parent}' leads back to a file of this chain, a cycle; expected a "
                         "chain of scenarios that ends in one without extends")
    base, _ = _resolve(parent, chain)
    body = {k: v for k, v in raw.items() if k != "extends"}
    return _merge(base, body), where


def parse_set(assignment: str) -> tuple[list[str], object]:
    """Parse one --set 'path.to.key=value' (value in TOML syntax; a bare word is a string)."""
    where = f"--set {shown(assignment, SHOWN_SET)}"
    if "=" not in assignment:
        raise InputError(f"{where}: expected KEY=VALUE, e.g. USA.preference_margin=0.2")
    key, text = (part.strip() for part in assignment.split("=", 1))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
        raise InputError(f"{where}: bad key {shown(key, SHOWN_SET)}; expected dotted names, e.g. "
                         "USA.tariff_end_items.CAN")
    try:
        document = load_toml(f"v = {text}", where)
    except tomllib.TOMLDecodeError:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", text):
            raise InputError(f"{where}: cannot read value {shown(text, SHOWN_SET)}; expected a number, true/false, "
                             "a word, or a TOML list such as [\"USA\", \"CAN\"]") from None
        return key.split("."), text
    if list(document) != ["v"]:  # `0.5\nUSA = 1`: the rest would be dropped without a word
        raise InputError(f"{where}: a line break in the value starts another TOML statement; expected one value")
    return key.split("."), document["v"]


def inline_toml(value: object) -> str:
    """A value as inline TOML, the form a --set value takes, so a whole table or schedule fits in one --set;
    parse_set reads back the same value (numpy numbers become plain ones)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {inline_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline_toml(v) for v in value) + "]"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    raise TypeError(f"inline_toml: {type(value).__name__} has no TOML form")


def _set_path(raw: dict, path: list[str], value, assignment: str) -> None:
    node = raw
    for part in path[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise InputError(f"--set {shown(assignment, SHOWN_SET)}: '{part}' is not a table and cannot take "
                             "sub-keys; expected a lever or a partner under it, e.g. USA.tariff_end_items.CAN=0")
        node = child
    node[path[-1]] = _merge(node, {path[-1]: value}, append_tables=False)[path[-1]]  # a table key by key


def _quarter(at, where: str) -> int:
    if isinstance(at, int) and not isinstance(at, bool):
        year, q = at, 1
    elif isinstance(at, str) and (m := re.fullmatch(r"([0-9]{4})Q([1-4])", at)):  # not \d: no other digits
        year, q = int(m.group(1)), int(m.group(2))
    else:
        raise InputError(f"{where}: expected a year such as 2029 or a quarter such as \"2029Q1\", got {shown(at)}")
    t = (year - START_YEAR) * 4 + q - 1
    if not 0 <= t < MAX_YEARS * 4:
        raise InputError(f"{where}: {at} is outside the model's time; allowed: {START_YEAR}Q1 to "
                         f"{START_YEAR + MAX_YEARS - 1}Q4")
    return t


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a table, got {shown(value)}")
    return value


def _check_keys(table: dict, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise InputError(f"{where}: unknown key {shown(key)}; allowed: {', '.join(sorted(allowed))}")


def _shock(entry, where: str, notes: list[str]) -> Shock:
    entry = _table(entry, where)
    _check_keys(entry, {"kind", "at", "quarters", "countries", "sectors", "factor"}, where)
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in SHOCK_KINDS:
        raise InputError(f"{where}.kind: expected one of {', '.join(SHOCK_KINDS)}, got {shown(kind)}")
    for key in ("at", "factor"):
        if key not in entry:
            raise InputError(f"{where}: missing '{key}'; expected kind, at and factor (quarters, countries and "
                             "sectors are optional)")
    low, high = SHOCK_KINDS[kind]
    countries = np.zeros(N_COUNTRIES, dtype=bool)
    countries[[C[c] for c in codes(entry.get("countries", list(COUNTRIES)), COUNTRIES, f"{where}.countries")]] = True
    sectors = np.zeros(len(SECTORS), dtype=bool)
    sectors[[SECTORS.index(s) for s in codes(entry.get("sectors", list(SECTORS)), SECTORS, f"{where}.sectors")]] = True
    notes.extend(f"{where}.{key} is empty, so the shock hits nothing; leave {key} out to mean all of them"
                 for key in ("countries", "sectors") if entry.get(key) == [])
    quarters = number(entry.get("quarters", 4), 1, MAX_YEARS * 4, f"{where}.quarters")
    if quarters != int(quarters):
        raise InputError(f"{where}.quarters: expected a whole number of quarters, got {quarters}")
    return Shock(kind, _quarter(entry["at"], f"{where}.at"), int(quarters), countries, sectors,
                 number(entry["factor"], low, high, f"{where}.factor"))


def _params(table, where: str) -> Params:
    table = _table(table, where)
    allowed = {f.name for f in fields(Params)}
    _check_keys(table, allowed, where)
    try:
        return Params(**table)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


def load_scenario(name_or_path: str, overrides: Sequence[str] = (), warn_unchanged: bool = True) -> ScenarioSpec:
    """Read, merge, override and validate a scenario; raise InputError naming the file and key on any fault.

    Unless `warn_unchanged` is false, warn (one line each) about an override that changes nothing
    (model.policy.no_effect). A sweep turns that off: its grid puts the base value among its points on purpose.
    """
    raw, where = _resolve(name_or_path)
    assignments = [_assignment(text) for text in overrides]
    notes = _toward_itself(raw, where)
    spec = _build(_overridden(raw, assignments), f"{where} (with --set)" if assignments else where, name_or_path,
                  notes)
    for message in dict.fromkeys(notes):  # each once, in order
        warn(message)
    if warn_unchanged:
        for text, why in _without_effect(raw, where, name_or_path, assignments, spec):
            warn(f"--set {text} changes nothing: {why}")
    return spec


def load_uploaded_scenario(data: bytes, file_name: str, overrides: Sequence[str] = ()) -> ScenarioSpec:
    """A scenario file's bytes sent by a user who is not on this machine (the page's upload), read as
    `load_scenario` reads a file, with two rules more: the name must be a plain `*.toml` file name, and `extends`
    may name only a shipped scenario, since the sender's other files are not here and this machine's must not be
    readable through it. Errors and warnings name the file as the user called it."""
    if not UPLOAD_NAME.fullmatch(file_name):
        raise InputError(f"file name {shown(file_name)}; allowed: a name ending in .toml, of letters, digits, "
                         "'_', '-' and '.'")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        path.write_bytes(data)
        try:
            parent = read_toml(path, SCENARIO_EXAMPLE).get("extends")
            if parent is not None and parent not in scenario_names():
                raise InputError(f"{file_name}: extends: {shown(parent)}; allowed in an uploaded file: one of "
                                 f"{', '.join(scenario_names())} (the page cannot read the files beside yours)")
            with collected_warnings() as notes:
                spec = load_scenario(str(path), overrides)
        except InputError as exc:
            raise InputError(str(exc).replace(f"{folder}/", "")) from None
    for note in notes:
        warn(note.replace(f"{folder}/", ""))
    return replace(spec, source=file_name)


def _assignment(text: str) -> tuple[str, list[str], object]:
    """One --set, parsed: its text, key path and value."""
    path, value = parse_set(text)
    if path[0] == "extends":
        raise InputError(f"--set {text}: extends cannot be set on the command line; expected a lever, "
                         "table or parameter (choose the base scenario with --scenario)")
    return text, path, value


def _overridden(raw: dict, assignments: Sequence[tuple[str, list[str], object]]) -> dict:
    """A copy of the resolved scenario with the assignments applied in order."""
    out = copy.deepcopy(raw)
    for text, path, value in assignments:
        _set_path(out, path, copy.deepcopy(value), text)
    return out


def _without_effect(raw: dict, where: str, name_or_path: str, assignments: list[tuple[str, list[str], object]],
                    spec: ScenarioSpec) -> list[tuple[str, str]]:
    """(override, why) for each override that changes nothing, judged against the scenario with the overrides
    before it. Overrides are checked one at a time, so an intermediate scenario may not validate (an override
    that needs a later one); those overrides are not judged."""
    stages: list[ScenarioSpec | None] = []
    for k in range(len(assignments)):
        try:
            stages.append(_build(_overridden(raw, assignments[:k]), where, name_or_path))
        except InputError:
            stages.append(None)
    stages.append(spec)
    out = []
    for (text, _, _), before, after in zip(assignments, stages, stages[1:]):
        if before is not None and after is not None and (why := why_no_effect(before, after)):
            out.append((text, why))
    return out


def _build(raw: dict, where: str, name_or_path: str, notes: list[str] | None = None) -> ScenarioSpec:
    """Validate a resolved scenario and turn it into a ScenarioSpec; what is valid but almost surely a mistake
    goes to `notes` as warning lines (dropped when None: the intermediate scenarios no_effect builds)."""
    notes = [] if notes is None else notes
    _check_keys(raw, TOP_KEYS, where)
    name = raw.get("name", Path(name_or_path).stem)
    description = raw.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            raise InputError(f"{where}: {key}: expected text, got {shown(value)}")

    alliance = _table(raw.get("alliance", {}), f"{where}: alliance")
    _check_keys(alliance, {"ntib_members"}, f"{where}: alliance")
    members = np.zeros(N_COUNTRIES, dtype=bool)
    listed = codes(alliance.get("ntib_members", list(FIVE_EYES)), COUNTRIES, f"{where}: alliance.ntib_members")
    members[[C[c] for c in listed]] = True
    if not listed:
        notes.append(f"{where}: alliance.ntib_members is empty, so NTIB treatment treats no partner as domestic")
    elif "ROW" in listed:
        notes.append(f"{where}: alliance.ntib_members lists ROW, which has no firms and no policy of its own")
    elif len(set(listed)) < len(listed):
        notes.append(f"{where}: alliance.ntib_members lists a country twice: {listed}")

    budgets = _table(raw.get("budgets", {}), f"{where}: budgets")
    _check_keys(budgets, {"growth"}, f"{where}: budgets")
    growth = np.zeros(N_COUNTRIES)
    for code, g in _table(budgets.get("growth", {}), f"{where}: budgets.growth").items():
        if code not in C:
            raise InputError(f"{where}: budgets.growth: unknown country {shown(code)}; allowed: {', '.join(COUNTRIES)}")
        growth[C[code]] = number(g, -0.5, 1.0, f"{where}: budgets.growth.{code}")

    shocks_raw = raw.get("shocks", [])
    if not isinstance(shocks_raw, list):
        raise InputError(f"{where}: shocks: expected a list of [[shocks]] tables")
    shocks = [_shock(s, f"{where}: shocks[{i}]", notes) for i, s in enumerate(shocks_raw)]
    notes += _stacked_demand(shocks, where)
    params = _params(raw.get("params", {}), f"{where}: params")

    policies, schedules = {}, {}
    for code in COUNTRIES:
        table = dict(_table(raw.get(code, {}), f"{where}: {code}"))
        entries = table.pop("schedule", [])
        policy = Policy()
        policy.apply(table, f"{where}: {code}")
        policies[code] = policy
        schedules[code] = _schedule(code, entries, policy, f"{where}: {code}.schedule", notes)
    if policies["ROW"].adaptation.mode != "static":
        notes.append(f"{where}: ROW.adaptation: ROW is the rest of the world taken as one buyer, not a government "
                     "that answers barriers; an adaptive mode is almost surely meant for another country")
    if not any(value != {} for key, value in raw.items() if key not in ("name", "description")):
        notes.append(f"{where}: sets nothing (no extends, lever, schedule, shock or parameter), so it runs free "
                     "trade under the default parameters; to start from today's rules, add extends = "
                     "\"status_quo\"")
    return ScenarioSpec(name, description, where, policies, schedules, members, growth, shocks, params, raw)


def _toward_itself(raw: dict, where: str) -> list[str]:
    """A scenario file's levers that name their own country as a partner (`USA.qualifying = ["USA"]`, licence
    days from CAN to CAN), never used: a country's own firms are domestic. (A --set that does so is reported by
    no_effect instead.)"""
    notes = []
    for code in COUNTRIES:
        table = raw.get(code)
        entries = table.get("schedule", []) if isinstance(table, dict) else []
        entries = entries if isinstance(entries, list) else []  # not a list: _build refuses it
        for at, levers in [(code, table), *((f"{code}.schedule[{i}]", e) for i, e in enumerate(entries))]:
            notes += [f"{where}: {at}.{name} names {code} itself, toward which it is never used"
                      for name, value in (levers.items() if isinstance(levers, dict) else ())
                      if name in OWN_ENTRY_UNUSED and isinstance(value, dict | list) and code in value]
    return notes


def _stacked_demand(shocks: list[Shock], where: str) -> list[str]:
    """Overlapping demand shocks multiply; past MAX_DEMAND_FACTOR together, almost surely not meant."""
    for start in sorted({shock.start for shock in shocks if shock.kind == "demand"}):
        factor = shock_factor(shocks, "demand", start)
        if factor.max() > MAX_DEMAND_FACTOR:
            c, s = np.unravel_index(int(np.argmax(factor)), factor.shape)
            return [f"{where}: shocks overlap in {quarter_label(start)} and multiply demand for {COUNTRIES[c]} "
                    f"{SECTORS[s]} by {factor.max():.3g}, past the {MAX_DEMAND_FACTOR:g} one shock may give"]
    return []


def _schedule(code: str, entries, policy: Policy, where: str, notes: list[str]) -> list[tuple[int, dict]]:
    if not isinstance(entries, list):
        raise InputError(f"{where}: expected a list of [[{code}.schedule]] tables")
    out: list[tuple[int, dict]] = []
    trial = policy.copy()
    for i, raw_entry in enumerate(entries):
        entry = dict(_table(raw_entry, f"{where}[{i}]"))
        if "at" not in entry:
            raise InputError(f"{where}[{i}]: missing 'at'; expected a year such as 2029 or a quarter such as "
                             "\"2029Q1\"")
        t = _quarter(entry.pop("at"), f"{where}[{i}].at")
        if not entry:
            raise InputError(f"{where}[{i}]: sets no lever; allowed: {', '.join(LEVERS)}")
        trial.apply(entry, f"{where}[{i}]")  # validates values now, not mid-run
        for earlier_t, earlier in out:
            if earlier_t == t and (both := sorted(set(earlier) & set(entry))):
                notes.append(f"{where}[{i}]: sets {', '.join(both)} at the same quarter as an earlier entry; the "
                             "later entry wins")
        out.append((t, entry))
    return sorted(out, key=lambda item: item[0])
