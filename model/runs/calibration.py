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

import concurrent.futures as cf
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from scipy import stats
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


@dataclass(frozen=True)
class OnBounds:
    """`simulate` called with each parameter moved from the logistic scale ABC works on to its prior's range."""

    simulate: Callable[[dict[str, float]], Statistics]
    bounds: tuple[tuple[str, tuple[float, float]], ...]

    def __call__(self, logistic: dict[str, float]) -> Statistics:
        return self.simulate(to_bounds({name: float(logistic[name]) for name, _ in self.bounds}, dict(self.bounds)))


def to_bounds(logistic: dict[str, float], bounds: dict[str, tuple[float, float]]) -> dict[str, float]:
    return {name: low + (high - low) * _sigmoid(logistic[name]) for name, (low, high) in bounds.items()}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


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
    logging.getLogger("ABC").setLevel(logging.WARNING)  # the bar and the report say what pyabc's log says
    # Uniform on (low, high) is the logistic transform of a standard logistic variable, so ABC works on the
    # logistic scale: its proposals are never outside the prior (in 45 bounded dimensions nearly all would be)
    prior = pyabc.Distribution(**{name: pyabc.RV("logistic", 0.0, 1.0) for name in bounds})
    distance = BandDistance(tuple((name, scales[name]) for name in data))
    start = time.monotonic()
    with _sampler(workers, scheduler) as sampler:
        abc = pyabc.ABCSMC(OnBounds(simulate, tuple(bounds.items())), prior, distance,
                           population_size=budget.population, sampler=sampler, transitions=FlooredTransition())
        url = f"sqlite:///{database.resolve()}"
        database.parent.mkdir(parents=True, exist_ok=True)
        history = _open(abc, url, database, data)
        sampler.remaining = lambda: budget.simulations - history.total_nr_simulations
        sampler.acceptance = lambda: _acceptance(history)
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
    if database.exists():
        runs = pyabc.History(url).all_runs()
        if runs:
            return abc.load(url, runs[-1].id)
    return abc.new(url, data)


def _acceptance(history) -> float:
    populations = history.get_all_populations()
    last = populations.iloc[-1]
    return float(last["particles"] / last["samples"]) if last["t"] >= 0 and last["samples"] else 1.0


def _epsilon(history) -> float:
    populations = history.get_all_populations()
    return float(populations["epsilon"].iloc[-1])


def _result(history, bounds: dict[str, tuple[float, float]], resumed_from: int, seconds: float) -> Calibration:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = pd.DataFrame([to_bounds(row, bounds) for row in frame[list(bounds)].to_dict("records")])
    particles = particles.assign(**{WEIGHT: np.asarray(weights)})
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
def _sampler(workers: int, scheduler: str | None) -> Iterator[BudgetSampler]:
    """The run engine's executor (this process, its process pool, which ends with the main process, or a Dask
    cluster) behind BudgetSampler."""
    with executor(workers, scheduler) as pool:
        yield BudgetSampler(pool, in_flight=1 if workers == 1 and scheduler is None else 2 * workers)


class FlooredTransition(pyabc.MultivariateNormalTransition):
    """pyabc's multivariate normal perturbation with a floor under its variances (FLOOR of the logistic prior's
    variance). In 45 dimensions a population's weights degenerate onto a few particles, their covariance turns
    singular, and proposals off its span get density zero and infinite weight; the floor keeps every
    proposal's density positive."""

    FLOOR = 0.01

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:  # noqa: N803 (pyabc's signature)
        super().fit(X, w)
        fitted: np.ndarray = self.cov  # type: ignore[has-type]
        self.cov = fitted + np.eye(len(fitted)) * self.FLOOR * math.pi**2 / 3
        self.normal = stats.multivariate_normal(cov=self.cov)


def _simulate_one(payload: bytes) -> object:
    """One pyabc evaluation in a pool or Dask worker. pyabc draws proposals from numpy's global generator, so
    each evaluation reseeds it from fresh entropy (workers forked from one server would otherwise share it)."""
    np.random.seed()  # noqa: NPY002 (pyabc's own generator)
    return cloudpickle.loads(payload)()


class BudgetSampler(pyabc.sampler.Sampler):
    """Evaluation-parallel sampling on a concurrent.futures executor: evaluations are numbered as submitted and
    the population is the evaluations up to the n-th accepted one, so the result does not depend on which
    worker is fast (pyabc's EPS rule). Unlike pyabc's own futures sampler it keeps to the calibration's budget
    (`remaining`, set once the database is open): it does not start a population the budget cannot pay for at
    the last population's acceptance rate, and stops submitting when the budget is spent, returning an
    incomplete sample that pyabc discards. So a calibration ends within its budget, and rerunning a finished
    one runs nothing."""

    def __init__(self, pool: cf.Executor, in_flight: int) -> None:
        super().__init__()
        self.pool = pool
        self.in_flight = in_flight
        self.remaining: Callable[[], float] = lambda: math.inf
        self.acceptance: Callable[[], float] = lambda: 1.0  # the last population's acceptance rate

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,  # noqa: ARG002
                                ana_vars=None):  # noqa: ARG002
        max_eval = min(max_eval, self.remaining())
        if not all_accepted and max_eval * self.acceptance() < n:
            self.nr_evaluations_ = 0  # not enough budget left for a population at the last acceptance rate
            sample = self._create_empty_sample()
            sample.ok = False
            return sample
        payload = cloudpickle.dumps(simulate_one)
        finished: dict[int, object] = {}
        running: dict[cf.Future, int] = {}
        submitted = 0
        try:
            while _nth_accepted(finished, n) is None:
                while len(running) < self.in_flight and submitted < max_eval:
                    running[self.pool.submit(_simulate_one, payload)] = submitted
                    submitted += 1
                if not running:
                    break  # the budget is spent before n acceptances
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    finished[running.pop(future)] = future.result()
        finally:
            for future in running:
                future.cancel()
        sample = self._create_empty_sample()
        last = _nth_accepted(finished, n)
        for number in sorted(finished):
            if last is not None and number > last:
                break
            sample.append(finished[number])
        self.nr_evaluations_ = submitted
        sample.ok = last is not None
        return sample


def _nth_accepted(finished: dict[int, object], n: int) -> int | None:
    """The number of the n-th accepted evaluation, once every evaluation before it has finished."""
    accepted = 0
    for number in range(len(finished) + 1):
        if number not in finished:
            return None
        accepted += finished[number].accepted  # type: ignore[attr-defined]
        if accepted == n:
            return number
    return None


def predictive(draws: list[tuple[str, ...]], seeds: tuple[int, ...], workers: int = 1, scheduler: str | None = None,
               progress: bool = True) -> pd.DataFrame:
    """Posterior-predictive runs: status quo at each draw with its own seed, every pattern of the validation
    suite measured on each (one row per run)."""
    jobs = [Job(SCENARIO, draw, seed) for draw, seed in zip(draws, seeds)]
    return validation.run({"predictive": jobs}, workers, scheduler, progress)["predictive"]
