"""Designs over factors: which settings a study runs, and the sensitivity indices of a sampled design.

A factor is one thing a study varies: lever or parameter paths (`set`), a knob (one number standing for several
levers, model/policy/knobs.py), or named levels (each a list of `--set` assignments). Its values come from a
list, a range with steps (full factorial) or a distribution over a range (the sampling designs). Every sampling
design draws in the unit hypercube and each factor maps its coordinate to a value, so Latin hypercube, Sobol
(Saltelli) and Morris samples share one definition of each factor's range, and SALib analyses the unit sample.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy import stats
from scipy.stats import qmc

from model.common.errors import InputError
from model.policy.knobs import knob_overrides
from model.runs.experiment import Point

DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "morris")
SAMPLED = ("latin_hypercube", "sobol", "morris")  # designs drawn in the unit hypercube
DISTRIBUTIONS = ("uniform", "triangular")
MORRIS_LEVELS = 4  # grid levels of a Morris design unless a study says otherwise
CONFIDENCE = 0.95  # of the bootstrap intervals on the indices


@dataclass(frozen=True)
class Factor:
    """One input a study varies, and how each of its values becomes scenario overrides."""

    name: str
    targets: tuple[str, ...] = ()  # lever or parameter paths the value is written to, e.g. USA.preference_margin
    knob: str | None = None
    also: tuple[str, ...] = ()  # assignments set with every value, e.g. a schedule cleared so the value holds
    levels: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (label, assignments) of a categorical factor
    values: tuple[float | bool, ...] = ()  # an explicit list of numbers (or true and false)
    low: float | None = None
    high: float | None = None
    steps: int | None = None  # grid points over [low, high] in a full factorial
    distribution: str = "uniform"  # of a sampled range
    mode: float | None = None  # of a triangular distribution
    integer: bool = False

    def choices(self) -> list[object]:
        """The discrete values, if the factor has a list (labels of a categorical factor, or numbers)."""
        return [label for label, _ in self.levels] if self.levels else list(self.values)

    def grid(self) -> list[object]:
        """Its values in a full factorial."""
        if choices := self.choices():
            return choices
        assert self.low is not None and self.high is not None and self.steps is not None
        return [self._number(x) for x in np.linspace(self.low, self.high, self.steps)]

    def at(self, unit: float) -> object:
        """Its value at coordinate `unit` in [0, 1] of a sampled design: a list is split into equal cells; a range
        follows its distribution's quantile function."""
        if choices := self.choices():
            return choices[min(int(unit * len(choices)), len(choices) - 1)]
        assert self.low is not None and self.high is not None
        width = self.high - self.low
        if self.distribution == "triangular":
            assert self.mode is not None
            peak = (self.mode - self.low) / width if width else 0.5
            return self._number(float(stats.triang.ppf(unit, peak, loc=self.low, scale=width)))
        return self._number(self.low + unit * width)

    def assignments(self, value: object) -> list[str]:
        """The `--set` assignments of one value."""
        if self.levels:
            return list(dict(self.levels)[str(value)])
        if self.knob is not None:
            return [*knob_overrides(self.knob, float(value)), *self.also]  # type: ignore[arg-type]
        return [*(f"{target}={_toml(value)}" for target in self.targets), *self.also]

    def _number(self, x: float) -> float | int:
        """Rounded to 6 significant digits, so a grid's 0.30000000000000004 is written (and keyed) as 0.3."""
        return round(x) if self.integer else float(f"{x:.6g}")


def _toml(value: object) -> str:
    """A value as `--set` writes it: short where that is exact (0.3, 2, as the knobs write theirs, so a study and
    a script that set the same value key the same run), in full where it is not."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and float(short := f"{value:.6g}") == value:
        return short
    return repr(value)


@dataclass(frozen=True)
class Design:
    """A study's design points, and for a sampled design the unit sample and the point each of its rows runs as
    (a repeated row, common in Morris designs, is one point)."""

    points: tuple[Point, ...]
    sample: np.ndarray | None = None  # rows x factors, in [0, 1]
    row_points: np.ndarray | None = None  # per scenario: (scenarios x rows) point index of each sample row


def unit_sample(design: str, factors: tuple[Factor, ...], samples: int, seed: int,
                morris_levels: int = MORRIS_LEVELS) -> np.ndarray:
    """The rows a sampled design draws in the unit hypercube: `samples` Latin hypercube rows, a Saltelli sample of
    base size `samples` (first-order and total indices: samples x (factors + 2) rows), or `samples` Morris
    trajectories (samples x (factors + 1) rows)."""
    if design == "latin_hypercube":
        return qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(seed)).random(samples)
    problem = unit_problem(factors)
    if design == "sobol":
        return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    if design == "morris":
        return morris_sample.sample(problem, samples, num_levels=morris_levels, seed=seed)
    raise InputError(f"design {design!r} does not sample; allowed: {', '.join(SAMPLED)}")


def unit_problem(factors: tuple[Factor, ...]) -> dict:
    """SALib's problem over the unit hypercube, one dimension per factor."""
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[0.0, 1.0]] * len(factors)}


def build_design(scenarios: tuple[str, ...], factors: tuple[Factor, ...], design: str, samples: int = 0,
                 seed: int = 0, morris_levels: int = MORRIS_LEVELS, overrides: tuple[str, ...] = ()) -> Design:
    """Every scenario crossed with the factors' design; `overrides` are set on every point before the factors."""
    if design == "full_factorial":
        grid = list(itertools.product(*(f.grid() for f in factors)))
        return Design(tuple(_point(s, factors, values, overrides) for s in scenarios for values in grid))
    sample = unit_sample(design, factors, samples, seed, morris_levels)
    values = [tuple(f.at(float(u)) for f, u in zip(factors, row)) for row in sample]
    points: dict[Point, int] = {}
    row_points = np.empty((len(scenarios), len(sample)), dtype=int)
    for s, scenario in enumerate(scenarios):
        for r, row in enumerate(values):
            row_points[s, r] = points.setdefault(_point(scenario, factors, row, overrides), len(points))
    return Design(tuple(points), sample, row_points)


def _point(scenario: str, factors: tuple[Factor, ...], values: tuple[object, ...], overrides: tuple[str, ...]
           ) -> Point:
    assignments = [*overrides, *(a for f, v in zip(factors, values) for a in f.assignments(v))]
    return Point.of(scenario, assignments, **{f.name: v for f, v in zip(factors, values)})


def row_means(runs: pd.DataFrame, row_points: np.ndarray, outcomes: list[str]) -> np.ndarray:
    """(sample rows x outcomes): the seed-mean of each outcome at the point each row ran as; an InputError if a
    row has none, since the indices need every row."""
    means = runs.groupby("point")[outcomes].mean().reindex(range(int(row_points.max()) + 1))
    values = means.to_numpy()[row_points]
    if missing := int(np.isnan(values).any(axis=1).sum()):
        raise InputError(f"{missing} of {len(row_points)} sample rows have no usable run (a failed run, or an "
                         "outcome undefined in every seed); the sensitivity indices need every row")
    return values


def morris_indices(factors: tuple[Factor, ...], sample: np.ndarray, means: np.ndarray, outcomes: list[str],
                   seed: int, morris_levels: int = MORRIS_LEVELS) -> pd.DataFrame:
    """mu* with its bootstrap interval (lo, hi), sigma, and mu* relative to the largest, per outcome and factor;
    effects are in outcome units per full range of the factor."""
    frames = []
    for k, outcome in enumerate(outcomes):
        found = morris_analyze.analyze(unit_problem(factors), sample, means[:, k], num_levels=morris_levels,
                                       conf_level=CONFIDENCE, seed=seed)
        mu, half = np.asarray(found["mu_star"]), np.asarray(found["mu_star_conf"])
        frames.append(pd.DataFrame({"outcome": outcome, "factor": [f.name for f in factors], "mu_star": mu,
                                    "mu_star lo": mu - half, "mu_star hi": mu + half,
                                    "sigma": np.asarray(found["sigma"]),
                                    "relative": mu / mu.max() if mu.max() > 0 else 0.0}))
    return pd.concat(frames, ignore_index=True)


def sobol_indices(factors: tuple[Factor, ...], means: np.ndarray, outcomes: list[str], seed: int) -> pd.DataFrame:
    """First-order (S1) and total (ST) indices with their bootstrap intervals (lo, hi), per outcome and factor.
    An estimate below 0, or S1 above ST, is sampling error of a small index (a larger base sample narrows it)."""
    frames = []
    for k, outcome in enumerate(outcomes):
        found = sobol_analyze.analyze(unit_problem(factors), means[:, k], calc_second_order=False,
                                      conf_level=CONFIDENCE, seed=seed)
        frames.append(pd.DataFrame({"outcome": outcome, "factor": [f.name for f in factors],
                                    **{f"{index}{part}": value for index in ("S1", "ST")
                                       for part, value in (("", found[index]),
                                                           (" lo", found[index] - found[f"{index}_conf"]),
                                                           (" hi", found[index] + found[f"{index}_conf"]))}}))
    return pd.concat(frames, ignore_index=True)
