"""Likelihood-free calibration of the behavioural parameters: approximate Bayesian computation (pyabc) against
the validation suite's level patterns in the first and the last five years of a status-quo run, so the posterior
prefers parameters whose levels hold throughout the run, not on average over a drift.

The distance is the root mean square, over the patterns, of the distance from the observed value in half-bands:
a run with every pattern at the edge of its band is at distance 1. A pattern a run cannot measure (no awards
in a window) counts as MISSING half-bands away. Each draw is one run with its own seed, so the posterior
carries the model's own noise (the ABC approximation of its likelihood).

The method is ABC rejection: draws from the prior, of which the `keep` share closest to the data is the
posterior, with equal weights. ABC-SMC (pyabc's default) was tried first and fails in 45 dimensions: after one
perturbation step the importance weights spread over eight orders of magnitude, leaving one effective particle
in a hundred (eleven with a defensive mixture of the prior in the proposal). Rejection keeps every accepted
draw at full weight, and its cost does not grow with the dimension; what grows is the budget a narrow
posterior needs, which a cluster (`--scheduler`) provides.

pyabc draws, runs and stores the prior sample in batches, each a run of its own in an SQLite database, so
calibrating again with the same database resumes after the last finished batch, and the budget counts the
simulations of every session.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
from tqdm import tqdm

from model.data.patterns import patterns
from model.policy.posterior import WEIGHT
from model.policy.priors import priors
from model.runs import validation
from model.runs.experiment import executor
from model.runs.validation import Job, measure

WINDOWS = ("first", "last")
MISSING = 10.0  # half-bands charged for a pattern a run cannot measure
SCENARIO = "status_quo"

Statistics = dict[str, float]


def observed() -> Statistics:
    """The observed value of each level pattern, once for each window."""
    return {f"{p.name}@{w}": p.value for p in patterns().values() if p.kind == "levels" for w in WINDOWS}


def half_bands() -> Statistics:
    return {f"{p.name}@{w}": (p.high - p.low) / 2 for p in patterns().values() if p.kind == "levels"
            for w in WINDOWS}


@dataclass(frozen=True)
class BandDistance:
    """Root mean square distance in half-bands (picklable, so pool and Dask workers can evaluate it)."""

    scales: tuple[tuple[str, float], ...]

    def __call__(self, simulated: Statistics, data: Statistics) -> float:
        total = 0.0
        for name, scale in self.scales:
            gap = (simulated[name] - data[name]) / scale
            total += gap * gap if math.isfinite(gap) else MISSING**2
        return math.sqrt(total / len(self.scales))


def simulate_status_quo(parameters: dict[str, float]) -> Statistics:
    """One status-quo run at these parameters and a fresh seed: the level patterns in each window."""
    seed = int(np.random.default_rng().integers(1, 2**31 - 1))  # fresh entropy: pool workers share no state
    overrides = tuple(f"params.{name}={float(value)!r}" for name, value in parameters.items())
    values = measure(Job(SCENARIO, overrides, seed))
    return {name: float(values[name]) for name in observed()}


@dataclass(frozen=True)
class Budget:
    """How much to spend: prior draws in all (every session counted), the share of them kept, and the draws
    stored together (an interruption loses at most one batch)."""

    simulations: int = 3500
    keep: float = 0.1
    batch: int = 100


@dataclass
class Calibration:
    """What a calibration produced: the kept draws (equal weights), how many draws there were, the distance of
    the last one kept (epsilon), and the time spent in this session."""

    particles: pd.DataFrame  # one column per parameter, WEIGHT and DISTANCE
    simulations: int
    epsilon: float
    seconds: float  # this session
    resumed_from: int  # draws already in the database when this session began
    draw_seconds: float  # wall time of every stored batch, over all sessions


DISTANCE = "distance"


def calibrate(database: Path, budget: Budget, workers: int = 1, scheduler: str | None = None,
              progress: bool = True) -> Calibration:
    """Calibrate the model's priors against the level patterns (see the module docstring)."""
    bounds = {name: (prior.low, prior.high) for name, prior in priors().items()}
    return abc_rejection(simulate_status_quo, bounds, observed(), half_bands(), database, budget, workers,
                         scheduler, progress)


def abc_rejection(simulate: Callable[[dict[str, float]], Statistics], bounds: dict[str, tuple[float, float]],
                  data: Statistics, scales: Statistics, database: Path, budget: Budget, workers: int = 1,
                  scheduler: str | None = None, progress: bool = True) -> Calibration:
    """ABC rejection of `simulate` under uniform priors `bounds` against `data`, the distance in `scales`;
    generic, so a test can check it on a problem whose posterior is known."""
    logging.getLogger("ABC").setLevel(logging.WARNING)  # the bar and the report say what pyabc's log says
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in bounds.items()})
    distance = BandDistance(tuple((name, scales[name]) for name in data))
    url = f"sqlite:///{database.resolve()}"
    database.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    done = resumed_from = len(_stored(url, database)[0])
    with _sampler(workers, scheduler) as sampler, tqdm(
            total=budget.simulations, initial=min(done, budget.simulations), unit="run", desc="calibration",
            disable=not progress, dynamic_ncols=True) as bar:
        while done < budget.simulations:
            size = min(budget.batch, budget.simulations - done)
            abc = pyabc.ABCSMC(simulate, prior, distance, population_size=size, sampler=sampler,
                               eps=pyabc.epsilon.ConstantEpsilon(math.inf))  # every draw kept, with its distance
            abc.new(url, data)
            abc.run(max_nr_populations=1)
            done += size
            bar.update(size)
    draws, seconds = _stored(url, database)
    kept = draws.nsmallest(max(1, math.ceil(budget.keep * len(draws))), DISTANCE).reset_index(drop=True)
    kept = kept.assign(**{WEIGHT: 1.0 / len(kept)})
    return Calibration(kept, len(draws), float(kept[DISTANCE].max()), time.monotonic() - start, resumed_from,
                       seconds)


def _stored(url: str, database: Path) -> tuple[pd.DataFrame, float]:
    """Every draw of the finished batches in the database (its parameters and distance; a batch an interruption
    cut short has no population and is skipped), and the batches' wall time in all."""
    frames, seconds = [], 0.0
    runs = pyabc.History(url).all_runs() if database.exists() else []
    for run in runs:
        history = pyabc.History(url, _id=run.id)
        if history.max_t < 0:
            continue
        frames.append(pd.DataFrame([{**dict(particle.parameter), DISTANCE: particle.distance}
                                    for particle in history.get_population(t=0).particles]))
        seconds += float(history.get_all_populations()["wall_time"].fillna(0).sum())
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), seconds


@contextlib.contextmanager
def _sampler(workers: int, scheduler: str | None) -> Iterator[pyabc.sampler.Sampler]:
    """pyabc's single-core sampler for one worker; otherwise pyabc's futures sampler on the run engine's executor
    (its process pool, which ends with the main process, or a Dask cluster)."""
    if workers == 1 and scheduler is None:
        yield pyabc.sampler.SingleCoreSampler()
        return
    with executor(workers, scheduler) as pool:
        yield pyabc.sampler.ConcurrentFutureSampler(pool, client_max_jobs=2 * workers)


def predictive(draws: list[tuple[str, ...]], seeds: tuple[int, ...], workers: int = 1, scheduler: str | None = None,
               progress: bool = True) -> pd.DataFrame:
    """Posterior-predictive runs: status quo at each draw with its own seed, every pattern of the validation
    suite measured on each (one row per run)."""
    jobs = [Job(SCENARIO, draw, seed) for draw, seed in zip(draws, seeds)]
    return validation.run({"predictive": jobs}, workers, scheduler, progress)["predictive"]
