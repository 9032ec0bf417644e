"""The model as an EMA Workbench `Model`, so exploratory modelling (scenario discovery with PRIM, robust search,
the Workbench's samplers and analyses) works on it without each study redeclaring the model.

The uncertainties, levers and outcomes are declared here once, as data read from the project's own tables
(the priors and posterior, the lever table, the knobs, the run summary). An experiment becomes an ordinary
`ntib run`: a base scenario, a seed and `--set` overrides (`overrides_of`, `NTIBRun.command`), so any
experiment can be rerun and checked from the command line.

Uncertainties: one `RealParameter` per behavioural parameter of model/data/priors.toml, and the run `seed`.
With `uncertainties="posterior"` (the default) a parameter ranges over the central 90 % of the calibrated
posterior's kept draws; with `"prior"`, over its prior. The posterior ranges are marginals: they drop the
posterior's correlations (bid_noise and tech_gap, r = 0.5, the strongest), and since the calibration identifies
no parameter strongly they are close to the priors. The seed is an uncertainty, so each scenario (point of the
uncertainty space) has its own seed and every policy evaluated on it sees the same one: policies are compared
on common random numbers, in pairs.

Levers (names are identifiers: a lever path's dots become `__`, e.g. `USA__licence_days__GBR`):

- `levers="all"`: every lever of every Five Eyes government. Number levers and each partner's entry of a
  per-partner lever are `RealParameter`s over the declared range, except where the declared upper bound is
  far beyond what a study would sample (`STUDY_HIGH`). True/false levers are `BooleanParameter`s. A list lever
  (qualifying partners, offset-exempt partners, sovereign sectors) is one `BooleanParameter` per partner or
  sector: is it on the list. `adaptation` is a `CategoricalParameter` over the modes, each with its default
  settings. A government's entries toward itself are left out, and so are those toward a country without
  firms (ROW) for the levers read by the origin of an offer or by a partner firm (`FIRMLESS_UNUSED`).
- `levers="knobs"`: a compact space for discovery and robust search: the knobs of model/policy/knobs.py (one
  number standing for several levers, as the sweeps and the page move them: the ntib_treatment knob is on from
  0.5) and the `HEADLINE_LEVERS`. Every lever of this scope is a number, which the Workbench's PRIM needs: with
  pandas 3 it fails on a true/false or categorical column.

A lever an experiment leaves out (a `Policy` naming only some levers) is not passed to the model function by
the Workbench (it passes only parameters with a `default`, and none here has one), so it keeps the base
scenario's value. A lever the experiment sets holds for the whole run: the base scenario's scheduled changes of
that lever are dropped (otherwise status_quo's 2029 rise of the US content minimum would overwrite a sampled
one).

Outcomes: `ScalarOutcome`s of the run summary that `ntib run --json` prints, the columns the experiment
scripts and the validation suite read (integration, home and foreign shares, the allies' US shares, tech,
unit cost and capability per dollar by government, the US prime count), and `allied_capability_per_bn`, the
allies' mean. Three have a direction, so `optimize` and `robust_optimize` search on them: integration and
allied capability per dollar (maximise), and the US home base, `domestic_share__USA` (maximise). The validation
suite's window and component measures read the model's state beyond the summary, and are left out: an outcome
here is always one `ntib run --json` prints.

Evaluators: the Workbench's own `SequentialEvaluator` and `MultiprocessingEvaluator` work with the model (its
function is a picklable object), and `EngineEvaluator` runs the experiments on the run engine's executor: a
process pool, or a Dask cluster (`scheduler="local"` or `"tcp://HOST:PORT"`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import math
import numbers
import pickle
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.common.countries import ALLIES, COUNTRIES, FIVE_EYES, PRODUCERS, SECTORS
from model.common.errors import InputError
from model.common.quarters import MAX_YEARS
from model.common.validation import share_of_population, whole_number
from model.policy.adaptation import ADAPTATION_MODES
from model.policy.knobs import KNOBS, adaptation_overrides, knob_overrides
from model.policy.levers import LEVERS
from model.policy.no_effect import ORIGIN_LEVERS
from model.policy.posterior import posterior
from model.policy.priors import priors
from model.policy.scenario import ScenarioSpec, inline_toml, load_scenario
from model.runs.experiment import executor, flatten
from model.runs.single import run_one
from model.simulation.model import DEFAULT_FIRM_SCALE, DEFAULT_SEED, MAX_FIRM_SCALE

with warnings.catch_warnings():
    # the Workbench warns on import that its optional ipyparallel evaluator is unavailable; it is not used here
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    from ema_workbench import (
        BooleanParameter,
        CategoricalParameter,
        IntegerParameter,
        Model,
        RealParameter,
        ScalarOutcome,
    )
    from ema_workbench.em_framework.evaluators import BaseEvaluator
    from ema_workbench.em_framework.experiment_runner import ExperimentRunner
    from ema_workbench.em_framework.model import AbstractModel
    from ema_workbench.em_framework.points import experiment_generator
    from ema_workbench.em_framework.util import NamedObjectMap

MODEL_NAME = "ntib"  # the Workbench allows only letters and digits in a model's name
# A lever or outcome path's dots become this in its Workbench name: the Workbench 2.5 takes any name (it means to
# warn about one that is not an identifier, but never does), and requires identifiers from version 3.
SEPARATOR = "__"
SOURCES = ("posterior", "prior")  # where the behavioural parameters' ranges come from
SCOPES = ("all", "knobs")  # which levers
POSTERIOR_INTERVAL = 0.90  # the central share of the posterior's draws a parameter ranges over
SEED = "seed"
SEED_HIGH = 2**32 - 1  # the largest seed `ntib run --seed` takes
WORKBENCH_COLUMNS = ("scenario", "policy", "model")  # what the Workbench adds to each row of its experiments

# Upper bounds a study samples, where the lever table's declared bound (what a scenario may set) is far beyond
# any policy: up to these the levers span from none to well past the strongest measure in force today.
STUDY_HIGH = {
    "preference_margin": 1.0,  # declared 5; 1 doubles a foreign offer's evaluated price (DFARS today: 0.5)
    "tariff_end_items": 1.0,  # declared 5; a 100 % duty, twice the highest in force (Section 232 metals, 0.5)
    "tariff_components": 1.0,  # as end items
    "tariff_metals": 1.0,  # as end items
    "licence_days": 365.0,  # declared 3,650; a year, six times the NSPD-56 target of 60 days
    "offset_rate": 1.0,  # declared 3; 100 % of contract value, Canada's ITB, the highest rate in force
    "offset_threshold_bn": 1.0,  # declared 1,000; US$1bn, 15 times the highest threshold in force (C$100m)
}
# Partners without firms (ROW) sell nothing and join no joint programme, so these entries toward them are never
# read; a buyer's margin on an offer failing the content test is its highest margin toward anyone, so
# preference_margin toward ROW is read and kept.
FIRMLESS_UNUSED = (*ORIGIN_LEVERS, "codev_support")
# The levers beside the knobs in the compact space: the US content minimum and duty-free uptake, and each ally's
# offset rate, the allies' main lever in the status quo.
HEADLINE_LEVERS = ("USA.content_min", "USA.duty_free_entry", *(f"{code}.offset_rate" for code in ALLIES))

# The outcomes, as run summary columns (model.runs.experiment.flatten); names replace the dots with SEPARATOR.
BY_GOVERNMENT = ("domestic_share", "foreign_share", "tech", "unit_cost_index", "capability_per_bn")
SUMMARY_OUTCOMES = ("integration_index", "us_effective_primes",
                    *(f"{family}.{code}" for family in BY_GOVERNMENT for code in FIVE_EYES),
                    *(f"us_share.{code}" for code in ALLIES))
ALLIED_CAPABILITY = "allied_capability_per_bn"
OBJECTIVES = {"integration_index": ScalarOutcome.MAXIMIZE, ALLIED_CAPABILITY: ScalarOutcome.MAXIMIZE,
              "domestic_share.USA": ScalarOutcome.MAXIMIZE}  # the US home base


def name_of(path: str) -> str:
    """The Workbench name of a lever or outcome path: `USA.licence_days.GBR` -> `USA__licence_days__GBR`."""
    return path.replace(".", SEPARATOR)


def path_of(name: str) -> str:
    """The path a Workbench name stands for (the inverse of name_of)."""
    return name.replace(SEPARATOR, ".")


def uncertainty_space(source: str = "posterior") -> list[Any]:
    """The behavioural parameters over their posterior (central 90 %) or prior ranges, and the run seed."""
    if source not in SOURCES:
        raise InputError(f"uncertainties {source!r}: expected one of {', '.join(SOURCES)}")
    ranges = {name: (prior.low, prior.high) for name, prior in priors().items()}
    if source == "posterior":
        post = posterior()
        tail = (1.0 - POSTERIOR_INTERVAL) / 2
        for j, name in enumerate(post.names):
            low, high = np.quantile(post.values[:, j], [tail, 1.0 - tail], weights=post.weights,
                                    method="inverted_cdf")
            ranges[name] = (float(low), float(high))
    return [*(RealParameter(name, low, high) for name, (low, high) in ranges.items()),
            IntegerParameter(SEED, 0, SEED_HIGH)]


def lever_paths() -> list[str]:
    """Every lever of every Five Eyes government, by path; a list lever has one path per partner or sector."""
    return [path for code in FIVE_EYES for lever in LEVERS for path in _paths(code, lever)]


def _paths(code: str, lever: str) -> list[str]:
    kind = LEVERS[lever].kind
    if kind == "sectors":
        return [f"{code}.{lever}.{sector}" for sector in SECTORS]
    if kind in ("partner", "countries"):
        return [f"{code}.{lever}.{partner}" for partner in COUNTRIES
                if partner != code and (partner in PRODUCERS or lever not in FIRMLESS_UNUSED)]
    return [f"{code}.{lever}"]


def lever_parameter(path: str) -> Any:
    """The Workbench parameter of one lever path."""
    lever = path.split(".")[1]
    spec = LEVERS[lever]
    name = name_of(path)
    if spec.kind in ("number", "partner"):
        return RealParameter(name, spec.low, STUDY_HIGH.get(lever, spec.high))
    if spec.kind == "adaptation":
        return CategoricalParameter(name, ADAPTATION_MODES)
    return BooleanParameter(name)  # a true/false lever, or one partner's or sector's place on a list lever


def lever_space(scope: str = "all") -> list[Any]:
    """The levers of `scope`: "all" (every lever of every government) or "knobs" (the compact space)."""
    if scope == "all":
        return [lever_parameter(path) for path in lever_paths()]
    if scope == "knobs":
        return [*(RealParameter(name, knob.low, knob.high) for name, knob in KNOBS.items()),
                *(lever_parameter(path) for path in HEADLINE_LEVERS)]
    raise InputError(f"levers {scope!r}: expected one of {', '.join(SCOPES)}")


def scalar_outcomes() -> list[Any]:
    """The outcomes; those in OBJECTIVES carry their direction, the others are for information."""
    return [ScalarOutcome(name_of(path), kind=OBJECTIVES.get(path, ScalarOutcome.INFO))
            for path in (*SUMMARY_OUTCOMES, ALLIED_CAPABILITY)]


def outcome_values(summary: dict) -> dict[str, float]:
    """The outcomes of one run summary, by Workbench name (NaN where a run leaves one undefined)."""
    row = flatten(summary)
    values = {name_of(path): float(row[path]) for path in SUMMARY_OUTCOMES}
    values[ALLIED_CAPABILITY] = float(np.mean([row[f"capability_per_bn.{code}"] for code in ALLIES]))
    return values


def seed_of(experiment: Mapping[str, object]) -> int:
    """The run seed of an experiment: its `seed`, or the default seed if it has none."""
    value = experiment.get(SEED)
    if _unset(value):
        return DEFAULT_SEED
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)  # a whole number read back as a float (a table column with gaps)
    return whole_number(value, 0, SEED_HIGH, SEED)


def overrides_of(experiment: Mapping[str, object], base: str = "status_quo") -> list[str]:
    """The `ntib run --set` assignments an experiment (a Workbench experiment, or a row of its experiments
    table) makes on top of the `base` scenario. Names it does not set, or sets to NaN, keep the base's value."""
    return _overrides(experiment, load_scenario(base, warn_unchanged=False))


def _unset(value: object) -> bool:
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
                             and math.isnan(value))


def _overrides(experiment: Mapping[str, object], base: ScenarioSpec) -> list[str]:
    params: list[str] = []
    knobs: list[str] = []
    levers: list[str] = []
    members: dict[tuple[str, str], dict[str, bool]] = {}  # (government, list lever) -> {partner or sector: on}
    touched: dict[str, set[str]] = {}  # government -> levers set, whose scheduled changes are dropped
    expanded: set[tuple[str, str]] = set()
    for name, value in experiment.items():
        if name in WORKBENCH_COLUMNS or name == SEED or _unset(value):
            continue
        if name in priors():
            params.append(f"params.{name}={inline_toml(_real(name, value))}")
            continue
        if name in KNOBS:
            knobs += knob_overrides(name, _real(name, value))
            continue
        code, lever, member = _lever(name)
        touched.setdefault(code, set()).add(lever)
        kind = LEVERS[lever].kind
        path = path_of(name)
        if kind in ("countries", "sectors"):
            members.setdefault((code, lever), {})[member] = _boolean(name, value)
        elif kind == "adaptation":
            levers += adaptation_overrides(str(value), (code,))
        elif kind == "bool":
            levers.append(f"{path}={inline_toml(_boolean(name, value))}")
        else:
            current = base.raw.get(code, {}).get(lever)
            if kind == "partner" and current is not None and not isinstance(current, dict) \
                    and (code, lever) not in expanded:
                # one value for every partner in the base: spell it out by partner, so one entry can change
                levers.append(f"{code}.{lever}={inline_toml(dict.fromkeys(COUNTRIES, current))}")
                expanded.add((code, lever))
            levers.append(f"{path}={inline_toml(_real(name, value))}")
    for (code, lever), on in members.items():
        names = SECTORS if LEVERS[lever].kind == "sectors" else COUNTRIES
        listed = getattr(base.policies[code], lever)
        levers.append(f"{code}.{lever}={inline_toml([n for i, n in enumerate(names) if on.get(n, listed[i])])}")
    return [*params, *knobs, *levers, *_schedules(base, touched)]


def _lever(name: str) -> tuple[str, str, str]:
    """(government, lever, partner or sector or '') of a lever name, or an InputError naming what is allowed."""
    parts = path_of(name).split(".")
    code, lever, member = (*parts, "", "")[:3]
    if len(parts) in (2, 3) and code in COUNTRIES and lever in LEVERS:
        kind = LEVERS[lever].kind
        allowed = SECTORS if kind == "sectors" else COUNTRIES if kind in ("partner", "countries") else ("",)
        if member in allowed:
            return code, lever, member
    raise InputError(f"{name}: not a name of this model; expected {SEED}, a behavioural parameter (e.g. "
                     f"bid_noise), a knob ({', '.join(KNOBS)}) or a lever such as USA{SEPARATOR}content_min or "
                     f"USA{SEPARATOR}licence_days{SEPARATOR}GBR")


def _real(name: str, value: object) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InputError(f"{name}: expected a number, got {value!r}")
    return float(value)


def _boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name}: expected true or false, got {value!r}")
    return bool(value)


def _schedules(base: ScenarioSpec, touched: dict[str, set[str]]) -> list[str]:
    """The base's schedules without their changes of the levers an experiment sets, which hold for the run."""
    out = []
    for code, levers in touched.items():
        entries = base.raw.get(code, {}).get("schedule", [])
        kept = [{k: v for k, v in entry.items() if k not in levers} for entry in entries]
        kept = [entry for entry in kept if set(entry) - {"at"}]
        if kept != entries:
            out.append(f"{code}.schedule={inline_toml(kept)}")
    return out


@dataclass(frozen=True)
class NTIBRun:
    """The Workbench model's function: one seeded run of the base scenario with an experiment's overrides, as
    `ntib run` makes it. A module-level frozen dataclass, so process pools and Dask can pickle it."""

    base: str = "status_quo"
    years: int = 20
    firm_scale: float = DEFAULT_FIRM_SCALE

    def __call__(self, **experiment: object) -> dict[str, float]:
        spec = load_scenario(self.base, overrides_of(experiment, self.base), warn_unchanged=False)
        summary, _, _ = run_one(spec, seed_of(experiment), self.years, self.firm_scale)
        return outcome_values(summary)

    def command(self, experiment: Mapping[str, object]) -> list[str]:
        """The `ntib` arguments that make the same run (add `--json` for the summary as JSON)."""
        sets = [arg for text in overrides_of(experiment, self.base) for arg in ("--set", text)]
        return ["run", "--scenario", self.base, "--seed", str(seed_of(experiment)), "--years", str(self.years),
                "--firm-scale", repr(self.firm_scale), *sets]


def ntib_model(base: str = "status_quo", levers: str = "all", uncertainties: str = "posterior", years: int = 20,
               firm_scale: float = DEFAULT_FIRM_SCALE) -> Any:
    """The model as an `ema_workbench.Model`: runs of `base` for `years` at `firm_scale`, with the levers of
    scope `levers` ("all" or "knobs") and the uncertainties from `uncertainties` ("posterior" or "prior")."""
    load_scenario(base)  # an unknown base fails here, in one line, not in every experiment
    run = NTIBRun(base, whole_number(years, 1, MAX_YEARS, "years"),
                  share_of_population(firm_scale, MAX_FIRM_SCALE, "firm_scale"))
    model = Model(MODEL_NAME, function=run)
    model.uncertainties = uncertainty_space(uncertainties)
    model.levers = lever_space(levers)
    model.outcomes = scalar_outcomes()
    return model


@functools.lru_cache(maxsize=4)
def _models(payload: bytes) -> Any:
    """The models of a pickled payload, unpickled once per worker process: a model with every lever pickles to
    about 2 MB (each parameter keeps its sampling distribution) and takes longer to read than a short run."""
    named = NamedObjectMap(AbstractModel)
    named.extend(pickle.loads(payload))
    return named


def run_experiment(payload: bytes, experiment: Any) -> dict:
    """One Workbench experiment's outcomes, run as the Workbench's own evaluators run one; `payload` is the
    pickled list of models. A copy: the Workbench's model refills one outcomes dict on every run, which would
    change results already returned when the runs share a process (workers=1)."""
    return dict(ExperimentRunner(_models(payload)).run_experiment(experiment))


class EngineEvaluator(BaseEvaluator):
    """A Workbench evaluator on the run engine's executor (model.runs.experiment.executor): this process
    (workers=1), a process pool, or a Dask cluster (`scheduler="local"` starts one on 127.0.0.1 with `workers`
    workers; `"tcp://HOST:PORT"` uses a running one). Use it as a context manager, as the Workbench's own
    evaluators, to keep one executor for several calls; without one, each call opens its own."""

    def __init__(self, msis: Any, workers: int = 2, scheduler: str | None = None) -> None:
        super().__init__(msis)
        self.workers = whole_number(workers, 1, 1024, "workers")
        self.scheduler = scheduler
        self._opened = contextlib.ExitStack()
        self._pool: cf.Executor | None = None

    def initialize(self) -> None:
        self._pool = self._opened.enter_context(executor(self.workers, self.scheduler))

    def finalize(self) -> None:
        self._pool = None
        self._opened.close()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        """The executor sees an error too, so a process pool ends the runs in flight instead of waiting."""
        self._pool = None
        self._opened.__exit__(exc_type, exc_value, traceback)

    def evaluate_experiments(self, scenarios: Any, policies: Any, callback: Callable, combine: str = "factorial",
                             ) -> None:
        """Run every experiment, with at most a window of runs in flight, and report each as it finishes."""
        experiments = experiment_generator(scenarios, self._msis, policies, combine=combine)
        payload = pickle.dumps(list(self._msis))  # once per call, not once per experiment
        with contextlib.ExitStack() as call:
            pool = self._pool or call.enter_context(executor(self.workers, self.scheduler))
            pending: dict[cf.Future, Any] = {}
            window = max(2, 4 * self.workers)  # as a sweep keeps: memory flat in the number of experiments
            try:
                while True:
                    while len(pending) < window and (job := next(experiments, None)) is not None:
                        pending[pool.submit(run_experiment, payload, job)] = job
                    if not pending:
                        return
                    finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                    for future in finished:
                        callback(pending.pop(future), future.result())
            finally:
                for future in pending:
                    future.cancel()
