"""Study files: a sweep declared as data (base scenarios, factors, design, seeds, run length, outcomes, figures),
read and checked in full before any run, so a mistake is one line naming the key and what is allowed.

`ntib sweep study.toml` runs one; the experiment scripts read theirs from experiments/studies/. The format is in
the README ("Studies declared in a file"); every key but the factors has a default.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from model.common.errors import InputError, warn
from model.common.quarters import MAX_YEARS
from model.common.validation import finite, number, read_toml, share_of_population, shown, whole_number
from model.policy.knobs import KNOBS
from model.policy.scenario import load_scenario, scenario_names
from model.runs.designs import DESIGNS, DISTRIBUTIONS, MORRIS_LEVELS, SAMPLED, Design, Factor, build_design
from model.runs.experiment import DESCRIPTION_COLUMNS, PARAMETERS, Sweep, common_seeds, outcome_columns
from model.simulation.model import DEFAULT_FIRM_SCALE, MAX_FIRM_SCALE

STUDY_EXAMPLE = "experiments/studies/preference_sweep.toml"  # the file an error about a study file points to
TOP_KEYS = ("name", "description", "scenarios", "overrides", "design", "samples", "morris_levels", "seeds",
            "master_seed", "years", "firm_scale", "parameters", "series", "outcomes", "figures", "factors")
FACTOR_KEYS = ("label", "set", "knob", "also", "levels", "values", "range", "steps", "distribution", "mode", "integer")
FIGURES = ("factors", "indices")  # outcome against each factor; Sobol or Morris indices
DEFAULT_OUTCOMES = ("integration_index", "foreign_share.USA", "domestic_share.USA", "unit_cost_index.USA",
                    "capability_per_bn.USA")
RESERVED = {"key", "point", "seed", "status", "error", "traceback", "seconds", "scenario_arg", *DESCRIPTION_COLUMNS}
SAMPLE_LIMITS = {"latin_hypercube": (1, 100_000), "sobol": (2, 65_536), "morris": (2, 10_000)}
MANY_RUNS = 50_000  # a design this large is more often a typo than a plan: warn
MAX_RUNS = 10_000_000
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Study:
    """A checked study: everything a sweep of it needs, and where it came from."""

    name: str
    description: str
    source: str
    sha256: str  # of the file's bytes, for the manifest
    scenarios: tuple[str, ...]
    factors: tuple[Factor, ...]
    overrides: tuple[str, ...] = ()  # set on every point, before the factors' own
    design: str = "full_factorial"
    samples: int = 0
    morris_levels: int = MORRIS_LEVELS
    seeds: int = 10
    master_seed: int = 20251
    years: int = 20
    firm_scale: float = DEFAULT_FIRM_SCALE
    parameters: str = "posterior"
    series: bool = False
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    figures: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # factor name -> its label in tables and figures

    def build(self) -> Design:
        return build_design(self.scenarios, self.factors, self.design, self.samples, self.master_seed,
                            self.morris_levels, self.overrides)

    def sweep(self, design: Design) -> Sweep:
        return Sweep(self.name, design.points, common_seeds(self.master_seed, self.seeds), self.master_seed,
                     self.years, self.firm_scale, self.series, self.parameters)

    def describe(self) -> dict:
        return {"source": self.source, "sha256": self.sha256, "design": self.design, "samples": self.samples,
                "factors": [f.name for f in self.factors], "outcomes": list(self.outcomes)}


def load_study(path: Path) -> Study:
    """Read and check a study file; every point of its design is checked against the base scenarios here."""
    if path.suffix != ".toml" or not path.is_file():
        raise InputError(f"study file '{path}' not found; expected a TOML file such as {STUDY_EXAMPLE}")
    raw = read_toml(path, STUDY_EXAMPLE)
    where = str(path)
    for key in raw:
        if key not in TOP_KEYS:
            raise InputError(f"{where}: unknown key '{key}'; allowed: {', '.join(TOP_KEYS)}")
    design = _choice(raw.get("design", "full_factorial"), DESIGNS, f"{where}: design")
    factors, labels = _factors(raw.get("factors"), design, f"{where}: factors")
    samples = _samples(raw.get("samples"), design, where)
    scenarios = _scenarios(raw.get("scenarios", ["status_quo"]), path, f"{where}: scenarios")
    if not factors and len(scenarios) < 2:
        raise InputError(f"{where}: nothing varies; expected at least one [factors.NAME] table (e.g. [factors.margin] "
                         f"with knob = \"us_preference\", range = [0, 1], steps = 5) or several scenarios; see "
                         f"{STUDY_EXAMPLE}")
    study = Study(
        name=_name(raw.get("name", path.stem), f"{where}: name"),
        description=_text(raw.get("description", ""), f"{where}: description"),
        source=where, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), scenarios=scenarios, factors=factors,
        overrides=_overrides(raw.get("overrides", []), f"{where}: overrides"), design=design, samples=samples,
        morris_levels=_morris_levels(raw.get("morris_levels", MORRIS_LEVELS), f"{where}: morris_levels"),
        seeds=whole_number(raw.get("seeds", 10), 1, 1000, f"{where}: seeds"),
        master_seed=whole_number(raw.get("master_seed", 20251), 0, 2**32 - 1, f"{where}: master_seed"),
        years=whole_number(raw.get("years", 20), 1, MAX_YEARS, f"{where}: years"),
        firm_scale=share_of_population(raw.get("firm_scale", DEFAULT_FIRM_SCALE), MAX_FIRM_SCALE,
                                       f"{where}: firm_scale"),
        parameters=_choice(raw.get("parameters", "posterior"), PARAMETERS, f"{where}: parameters"),
        series=_flag(raw.get("series", False), f"{where}: series"),
        outcomes=_outcomes(raw.get("outcomes", list(DEFAULT_OUTCOMES)), f"{where}: outcomes"),
        figures=tuple(_choice(f, FIGURES, f"{where}: figures") for f in _list(raw.get("figures", []),
                                                                               f"{where}: figures")),
        labels=labels)
    if "indices" in study.figures and design not in ("sobol", "morris"):
        raise InputError(f"{where}: figures: 'indices' needs design 'sobol' or 'morris', not {design!r}")
    _check_points(study, where)
    return study


def _check_points(study: Study, where: str) -> None:
    """Build the design and load every distinct factor setting on every base scenario, so a bad lever path or a
    value out of its lever's range is reported against the study file before anything runs."""
    design = study.build()
    seen: set[tuple[str, ...]] = set()
    for point in design.points:
        if point.overrides in seen:
            continue
        seen.add(point.overrides)
        try:
            load_scenario(point.scenario, list(point.overrides), warn_unchanged=False)
        except InputError as exc:
            setting = ", ".join(f"{k}={v}" for k, v in point.factors)
            raise InputError(f"{where}: factors ({setting}) on {point.scenario}: {exc}") from None
    runs = len(design.points) * study.seeds
    if runs > MAX_RUNS:
        raise InputError(f"{where}: the design has {runs:,} runs ({len(design.points):,} points x {study.seeds} "
                         f"seeds); allowed: up to {MAX_RUNS:,}")
    if runs > MANY_RUNS:
        warn(f"{where}: the design has {runs:,} runs ({len(design.points):,} points x {study.seeds} seeds)")


def _factors(table: object, design: str, where: str) -> tuple[tuple[Factor, ...], dict[str, str]]:
    """The factors; a full factorial may have none (one point per base scenario)."""
    if table is None and design == "full_factorial":
        return (), {}
    if not isinstance(table, dict) or not table:
        raise InputError(f"{where}: expected at least one [factors.NAME] table (e.g. [factors.margin] with "
                         f"knob = \"us_preference\" and range = [0, 1]); see {STUDY_EXAMPLE}")
    factors, labels = [], {}
    for name, spec in table.items():
        at = f"{where}.{name}"
        if not NAME.fullmatch(name) or name in RESERVED or name in outcome_columns():
            raise InputError(f"{at}: a factor name must be a letter then letters, digits or _, and not a column "
                             f"of the results ({', '.join(sorted(RESERVED))}, or an outcome)")
        if not isinstance(spec, dict):
            raise InputError(f"{at}: expected a table, got {shown(spec)}")
        for key in spec:
            if key not in FACTOR_KEYS:
                raise InputError(f"{at}: unknown key '{key}'; allowed: {', '.join(FACTOR_KEYS)}")
        factors.append(_factor(name, spec, design, at))
        labels[name] = _text(spec.get("label", name.replace("_", " ")), f"{at}.label")
    return tuple(factors), labels


def _factor(name: str, spec: dict, design: str, where: str) -> Factor:
    """One factor: what it sets (exactly one of set, knob, levels) and its values."""
    kinds = [k for k in ("set", "knob", "levels") if k in spec]
    if len(kinds) != 1:
        raise InputError(f"{where}: expected exactly one of set (lever or parameter paths), knob (one of "
                         f"{', '.join(KNOBS)}) or levels (named lists of overrides), got {kinds or 'none'}")
    if "levels" in spec:
        for key in ("values", "range", "steps", "distribution", "mode", "integer", "also"):
            if key in spec:
                raise InputError(f"{where}: '{key}' does not apply to a factor with levels")
        return Factor(name, levels=_levels(spec["levels"], f"{where}.levels"))
    targets, knob, bounds = _target(spec, where)
    integer = _flag(spec.get("integer", False), f"{where}.integer")
    also = _overrides(spec.get("also", []), f"{where}.also")
    if "values" in spec:
        for key in ("range", "steps", "distribution", "mode"):
            if key in spec:
                raise InputError(f"{where}: '{key}' does not apply with 'values' (a list); use one or the other")
        return Factor(name, targets, knob, values=_values(spec["values"], bounds, f"{where}.values"),
                      integer=integer, also=also)
    if "range" not in spec:
        raise InputError(f"{where}: expected 'values' (a list) or 'range' ([low, high])")
    low, high = _range(spec["range"], bounds, f"{where}.range")
    distribution, mode = _distribution(spec, low, high, where)
    return Factor(name, targets, knob, low=low, high=high, steps=_steps(spec, design, where),
                  distribution=distribution, mode=mode, integer=integer, also=also)


def _target(spec: dict, where: str) -> tuple[tuple[str, ...], str | None, tuple[float, float] | None]:
    """The paths a `set` factor writes, or a knob and its range."""
    if "knob" in spec:
        knob = _choice(spec["knob"], tuple(KNOBS), f"{where}.knob")
        return (), knob, (KNOBS[knob].low, KNOBS[knob].high)
    paths = [spec["set"]] if isinstance(spec["set"], str) else spec["set"]
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p for p in paths):
        raise InputError(f"{where}.set: expected a lever or parameter path such as \"USA.preference_margin\" "
                         f"or \"params.home_bias\", or a list of them, got {shown(spec['set'])}")
    return tuple(paths), None, None


def _steps(spec: dict, design: str, where: str) -> int | None:
    if design != "full_factorial":
        if "steps" in spec:
            raise InputError(f"{where}: 'steps' applies to a full factorial; design {design!r} samples the range")
        return None
    if "steps" not in spec:
        raise InputError(f"{where}: a range in a full factorial needs 'steps' (grid points from low to high)")
    return whole_number(spec["steps"], 1, 1000, f"{where}.steps")


def _distribution(spec: dict, low: float, high: float, where: str) -> tuple[str, float | None]:
    distribution = _choice(spec.get("distribution", "uniform"), DISTRIBUTIONS, f"{where}.distribution")
    if distribution == "triangular":
        if "mode" not in spec:
            raise InputError(f"{where}: a triangular distribution needs 'mode', a number from {low} to {high}")
        return distribution, number(spec["mode"], low, high, f"{where}.mode")
    if "mode" in spec:
        raise InputError(f"{where}: 'mode' applies to distribution = \"triangular\" only")
    return distribution, None


def _levels(table: object, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(table, dict) or not table:
        raise InputError(f"{where}: expected a table of named levels, each a list of overrides, e.g. "
                         "{ \"with list\" = [], \"no list\" = [\"USA.qualifying=[]\"] }")
    levels = []
    for label, assignments in table.items():
        if not isinstance(assignments, list) or not all(isinstance(a, str) for a in assignments):
            raise InputError(f"{where}.{label}: expected a list of overrides such as [\"USA.content_min=0.6\"], "
                             f"got {shown(assignments)}")
        levels.append((label, tuple(assignments)))
    return tuple(levels)


def _values(values: object, bounds: tuple[float, float] | None, where: str) -> tuple[float | bool, ...]:
    """A list of numbers (kept as written: a whole number stays whole, for whole-number parameters), or of true
    and false for a `set` factor."""
    if not isinstance(values, list) or not values:
        raise InputError(f"{where}: expected a non-empty list of numbers (or true and false)")
    if all(isinstance(v, bool) for v in values) and bounds is None:
        return tuple(values)
    for i, value in enumerate(values):
        if not finite(value):
            raise InputError(f"{where}[{i}]: expected a number, got {shown(value)}")
        if bounds:
            number(value, *bounds, f"{where}[{i}]")
    if len(set(values)) < len(values):
        warn(f"{where}: a value is listed twice; each is run as its own point")
    return tuple(values)


def _range(value: object, bounds: tuple[float, float] | None, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(finite(v) for v in value):
        raise InputError(f"{where}: expected [low, high], two numbers, got {shown(value)}")
    low, high = (float(v) for v in value)
    if low >= high:
        raise InputError(f"{where}: expected low below high, got [{low:g}, {high:g}]")
    if bounds and not (bounds[0] <= low and high <= bounds[1]):
        raise InputError(f"{where}: [{low:g}, {high:g}] leaves the knob's range; allowed: {bounds[0]:g} to "
                         f"{bounds[1]:g}")
    return low, high


def _samples(value: object, design: str, where: str) -> int:
    if design not in SAMPLED:
        if value is not None:
            raise InputError(f"{where}: samples: applies to the sampled designs ({', '.join(SAMPLED)}); a full "
                             "factorial runs every combination of the factors' values")
        return 0
    low, high = SAMPLE_LIMITS[design]
    if value is None:
        raise InputError(f"{where}: samples: design {design!r} needs 'samples', a whole number from {low} to {high}")
    samples = whole_number(value, low, high, f"{where}: samples")
    if design == "sobol" and samples & (samples - 1):
        raise InputError(f"{where}: samples: a Sobol (Saltelli) base sample must be a power of 2 (2, 4, ... 1024), "
                         f"got {samples}")
    return samples


def _morris_levels(value: object, where: str) -> int:
    levels = whole_number(value, 2, 20, where)
    if levels % 2:
        raise InputError(f"{where}: expected an even number of grid levels (2 to 20), got {levels}")
    return levels


def _scenarios(value: object, path: Path, where: str) -> tuple[str, ...]:
    """Named scenarios, or scenario files (a relative path is relative to the study file)."""
    names = _list(value, where)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise InputError(f"{where}: expected a list of scenario names or TOML paths, e.g. [\"status_quo\"]")
    for name in names:
        if name not in scenario_names() and not name.endswith(".toml"):
            raise InputError(f"{where}: scenario '{name}' not found; allowed: a TOML file path (relative to the study "
                             f"file) or one of {', '.join(scenario_names())}")
    resolved = tuple(n if n in scenario_names() or Path(n).is_absolute() else str(path.parent / n) for n in names)
    for name in resolved:
        try:
            load_scenario(name, warn_unchanged=False)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    if len(set(resolved)) < len(resolved):
        raise InputError(f"{where}: a scenario is listed twice; expected each once")
    return resolved


def _overrides(value: object, where: str) -> tuple[str, ...]:
    assignments = _list(value, where)
    if not all(isinstance(a, str) and "=" in a for a in assignments):
        raise InputError(f"{where}: expected a list of overrides such as [\"USA.content_min=0.6\"]")
    return tuple(assignments)


def _outcomes(value: object, where: str) -> tuple[str, ...]:
    """Outcome columns, by name or pattern (`foreign_share.*`), in the order given."""
    columns = outcome_columns()
    chosen: list[str] = []
    for pattern in _list(value, where):
        if not isinstance(pattern, str):
            raise InputError(f"{where}: expected outcome names such as \"integration_index\", got {shown(pattern)}")
        found = fnmatch.filter(columns, pattern)
        if not found:
            families = sorted({c.split(".")[0] for c in columns})
            raise InputError(f"{where}: '{pattern}' names no outcome; allowed: a column or pattern (such as "
                             f"foreign_share.*) of {', '.join(families)}")
        chosen += [c for c in found if c not in chosen]
    if not chosen:
        raise InputError(f"{where}: expected at least one outcome")
    return tuple(chosen)


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list, got {shown(value)}")
    return value


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise InputError(f"{where}: {shown(value)} is not allowed; allowed: {', '.join(allowed)}")
    return str(value)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: expected true or false, got {shown(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where}: expected a string, got {shown(value)}")
    return value


def _name(value: object, where: str) -> str:
    name = _text(value, where)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise InputError(f"{where}: expected letters, digits, '_', '.' or '-' (up to 64, used as a folder name), "
                         f"got {shown(name)}")
    return name
