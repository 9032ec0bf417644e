"""Likelihood-free calibration of the behavioural parameters: ABC-SMC (pyabc) against the validation suite's
level patterns in the first and the last five years of a status-quo run, so the posterior prefers parameters
whose levels hold throughout the run, not on average over a drift.

The distance is the root mean square, over the patterns, of the distance from the observed value in half-bands:
a run with every pattern at the edge of its band is at distance 1. A pattern a run cannot measure (no awards
in a window) counts as MISSING half-bands away. Each particle is one run with its own seed, so the posterior
carries the model's own noise (the ABC approximation of its likelihood).

The populations are kept in an SQLite database; calibrating again with the same database resumes after the
last finished population, and the budget counts the simulations of every session.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
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
    """How much to spend: particles per population, simulations in all (every session counted), and the
    smallest epsilon worth reaching."""

    population: int = 200
    simulations: int = 5000
    minimum_epsilon: float = 0.0
    max_populations: int = 30


@dataclass(frozen=True)
class Generation:
    t: int
    epsilon: float
    particles: int
    simulations: int
    acceptance: float


@dataclass
class Calibration:
    """What a calibration produced: the last population (weighted particles), its history, and the time spent
    in this session."""

    particles: pd.DataFrame  # one column per parameter and WEIGHT
    generations: list[Generation]
    simulations: int
    seconds: float
    resumed_from: int  # populations already in the database when this session began


def calibrate(database: Path, budget: Budget, workers: int = 1, scheduler: str | None = None,
              progress: bool = True) -> Calibration:
    """Calibrate the model's priors against the level patterns (see the module docstring)."""
    bounds = {name: (prior.low, prior.high) for name, prior in priors().items()}
    return abc_smc(simulate_status_quo, bounds, observed(), half_bands(), database, budget, workers, scheduler,
                   progress)


def abc_smc(simulate: Callable[[dict[str, float]], Statistics], bounds: dict[str, tuple[float, float]],
            data: Statistics, scales: Statistics, database: Path, budget: Budget, workers: int = 1,
            scheduler: str | None = None, progress: bool = True) -> Calibration:
    """ABC-SMC of `simulate` under uniform priors `bounds` against `data`, the distance in `scales`; generic, so
    a test can check it on a problem whose posterior is known."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)  # the bar and the report say what pyabc's log says
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in bounds.items()})
    distance = BandDistance(tuple((name, scales[name]) for name in data))
    start = time.monotonic()
    with _sampler(workers, scheduler) as sampler:
        abc = pyabc.ABCSMC(simulate, prior, distance, population_size=budget.population, sampler=sampler)
        url = f"sqlite:///{database.resolve()}"
        database.parent.mkdir(parents=True, exist_ok=True)
        history = _open(abc, url, database, data)
        resumed_from = history.max_t + 1
        left = budget.max_populations - resumed_from
        if left > 0 and history.total_nr_simulations < budget.simulations and (
                resumed_from == 0 or _epsilon(history) > budget.minimum_epsilon):
            with _progress(url, budget.simulations, history.total_nr_simulations, progress):
                abc.run(minimum_epsilon=budget.minimum_epsilon, max_nr_populations=left,
                        max_total_nr_simulations=budget.simulations)
    return _result(history, bounds, resumed_from, time.monotonic() - start)


def _open(abc, url: str, database: Path, data: Statistics):
    """A new calibration, or the one already in `database` (resumed)."""
    import pyabc

    if database.exists():
        runs = pyabc.History(url).all_runs()
        if runs:
            return abc.load(url, runs[-1].id)
    return abc.new(url, data)


def _epsilon(history) -> float:
    populations = history.get_all_populations()
    return float(populations["epsilon"].iloc[-1])


def _result(history, bounds: dict[str, tuple[float, float]], resumed_from: int, seconds: float) -> Calibration:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = frame[list(bounds)].reset_index(drop=True).assign(**{WEIGHT: np.asarray(weights)})
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    generations = [Generation(int(row.t), float(row.epsilon), int(row.particles), int(row.samples),
                              float(row.particles / row.samples) if row.samples else math.nan)
                   for row in populations.itertuples()]
    return Calibration(particles, generations, int(history.total_nr_simulations), seconds, resumed_from)


@contextlib.contextmanager
def _progress(url: str, total: int, initial: int, show: bool) -> Iterator[None]:
    """A bar over the simulation budget, updated as each population is stored (read from the database by a
    thread, since the simulations themselves run in other processes), with the latest epsilon."""
    import pyabc

    bar = tqdm(total=total, initial=min(initial, total), unit="run", desc="calibration", disable=not show,
               dynamic_ncols=True)
    done = threading.Event()

    def follow() -> None:
        history = pyabc.History(url)
        while not done.wait(2.0):
            with contextlib.suppress(Exception):  # a read while pyabc writes; the next poll sees it
                bar.update(min(history.total_nr_simulations, total) - bar.n)
                bar.set_postfix(population=history.max_t, epsilon=f"{_epsilon(history):.3g}")

    watcher = threading.Thread(target=follow, name="calibration-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        bar.close()


@contextlib.contextmanager
def _sampler(workers: int, scheduler: str | None) -> Iterator[object]:
    """pyabc's own single-core sampler for one worker; otherwise the run engine's executor (its process pool,
    which ends with the main process, or a Dask cluster), fed by pyabc's evaluation-parallel sampler."""
    import pyabc

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
