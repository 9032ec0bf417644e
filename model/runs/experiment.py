"""The run engine every experiment script and notebook uses: a design of scenario variants x common seeds,
run on a process pool or a Dask cluster, streamed into a crash-safe store, resumable, failures recorded.

A run is identified by a key hashed from what determines its history (the resolved scenario, seed, years and
firm scale), so rerunning a command skips every run already stored, and adding seeds or points to a design
runs only the new ones.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import hashlib
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.common.countries import COUNTRIES, pair_key
from model.common.errors import InputError
from model.common.quarters import MAX_YEARS
from model.common.validation import share_of_population, shown, whole_number
from model.policy.posterior import posterior
from model.policy.scenario import ScenarioSpec, load_scenario
from model.runs.output import git_commit
from model.runs.single import run_one
from model.runs.store import ResultStore
from model.simulation.model import DEFAULT_FIRM_SCALE, MAX_FIRM_SCALE

PRODUCERS = tuple(c for c in COUNTRIES if c != "ROW")
PARAMETERS = ("default", "posterior")  # where a sweep's behavioural parameters come from
SCHEDULER = re.compile(r"(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}")
FLUSH_SECONDS = 30.0
WAIT_SECONDS = 5.0  # how often a sweep waiting on a cluster checks that its scheduler is still there
LOST = "lost"  # the status of a run its executor lost (worker, connection or scheduler gone): never stored
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass(frozen=True)
class Point:
    """One design point: a scenario with overrides, and the factor values the figures plot it by."""

    scenario: str
    overrides: tuple[str, ...] = ()
    factors: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, scenario: str, overrides: list[str] | tuple[str, ...] = (), **factors: object) -> Point:
        return cls(scenario, tuple(overrides), tuple(factors.items()))


@dataclass(frozen=True)
class Sweep:
    """A design run over common seeds: every point sees the same seeds, so differences are paired."""

    name: str
    points: tuple[Point, ...]
    seeds: tuple[int, ...]
    master_seed: int
    years: int = 20
    firm_scale: float = DEFAULT_FIRM_SCALE
    series: bool = True  # keep the quarterly time series (figures over time need them; big sweeps may not)
    parameters: str = "default"  # or "posterior": run i of every point draws its parameters from the posterior
    draw_seed: int | None = None  # the posterior draws' master seed, if not master_seed (a replicate's seeds differ)

    def __post_init__(self) -> None:
        """The checks NTIBModel and the CLI make, made once for the whole design, so a bad argument from Python
        is one InputError before any run, not a failure of every run."""
        if self.parameters not in PARAMETERS:
            raise InputError(f"parameters {self.parameters!r}: expected one of {', '.join(PARAMETERS)}")
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"sweep name: expected a non-empty text, got {shown(self.name)}")
        if not self.points or not all(isinstance(point, Point) for point in self.points):
            raise InputError(f"{self.name}: points: expected at least one Point, got {shown(self.points)}")
        if not self.seeds:
            raise InputError(f"{self.name}: seeds: expected at least one seed")
        for seed in (*self.seeds, self.master_seed):
            whole_number(seed, 0, 2**63 - 1, f"{self.name}: seed")
        whole_number(self.years, 1, MAX_YEARS, f"{self.name}: years")
        share_of_population(self.firm_scale, MAX_FIRM_SCALE, f"{self.name}: firm_scale")

    def draws(self) -> list[tuple[str, ...]]:
        """The parameter overrides of run i (same seed index) of every point: none, or posterior draw i of the
        master seed, so the draws are common to all points and a difference between points stays paired."""
        if self.parameters == "default":
            return [() for _ in self.seeds]
        return posterior().draws(len(self.seeds), self.master_seed if self.draw_seed is None else self.draw_seed)

    def describe(self) -> dict:
        return {"name": self.name, "master_seed": self.master_seed, "seeds": list(self.seeds), "years": self.years,
                "firm_scale": self.firm_scale, "series": self.series, "parameters": self.parameters,
                "draw_seed": self.draw_seed,
                "points": [{"scenario": p.scenario, "overrides": list(p.overrides), "factors": dict(p.factors)}
                           for p in self.points]}


def common_seeds(master: int, n: int) -> tuple[int, ...]:
    """`n` run seeds spawned from one master seed; seed i is the same whatever n is, so sweeps can grow."""
    return tuple(int(child.generate_state(1)[0]) for child in np.random.SeedSequence(master).spawn(n))


@dataclass(frozen=True)
class Task:
    key: str
    point: int
    seed: int
    spec: ScenarioSpec = field(compare=False)
    years: int
    firm_scale: float
    series: bool


def plan(sweep: Sweep) -> list[Task]:
    """Validate every point (a bad lever stops the sweep before any run) and key every run. A point's own
    overrides come after a posterior draw's, so a factor the design sets wins over the draw."""
    tasks = []
    draws = sweep.draws()
    for i, p in enumerate(sweep.points):
        specs = {draw: load_scenario(p.scenario, [*draw, *p.overrides], warn_unchanged=False)
                 for draw in dict.fromkeys(draws)}
        resolved = {draw: json.dumps(spec.raw, sort_keys=True, default=str) for draw, spec in specs.items()}
        for seed, draw in zip(sweep.seeds, draws):
            spec = specs[draw]
            ident = json.dumps([spec.name, resolved[draw], seed, sweep.years, sweep.firm_scale])
            key = hashlib.sha256(ident.encode()).hexdigest()[:24]
            tasks.append(Task(key, i, seed, spec, sweep.years, sweep.firm_scale, sweep.series))
    return tasks


def flatten(summary: dict) -> dict:
    """One flat row of a run summary, with the same columns for every run (co-development by every pair)."""
    row: dict[str, object] = {}
    for name, value in summary.items():
        if name == "codev_pairs":
            continue
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, dict):
                    row.update({f"{name}.{k}.{k2}": v2 for k2, v2 in v.items()})
                else:
                    row[f"{name}.{k}"] = v
        else:
            row[name] = value
    for a, b in itertools.combinations(PRODUCERS, 2):
        pair = summary["codev_pairs"].get(pair_key(a, b), {"active": 0, "completed": 0})
        row[f"codev.{pair_key(a, b)}"] = pair["active"] + pair["completed"]
    return {k: (np.nan if v is None else v) for k, v in row.items()}


DESCRIPTION_COLUMNS = ("scenario", "seed", "years", "firm_scale", "start", "end")  # what a run was, not what it did


@functools.cache
def outcome_columns() -> tuple[str, ...]:
    """The outcome columns of every flat run row, read off a one-year run of a tiny sample: they depend on the
    countries, sectors and pairs, never on the run, and reading them keeps one definition (the summary's)."""
    summary, _, _ = run_one("status_quo", 1, 1, 0.001)
    return tuple(name for name in flatten(summary) if name not in DESCRIPTION_COLUMNS)


def execute(task: Task) -> tuple[dict, pd.DataFrame | None]:
    """Run one task; an exception becomes a failed row, so one bad run never stops a sweep."""
    start = time.perf_counter()
    head = {"key": task.key, "point": task.point, "seed": task.seed}
    try:
        summary, ts, _ = run_one(task.spec, task.seed, task.years, task.firm_scale)
    except Exception as exc:
        return {**head, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - start}, None
    row = {**head, "status": "ok", "error": "", "traceback": "", "seconds": time.perf_counter() - start,
           **flatten(summary)}
    series = ts.assign(key=task.key, t=np.arange(len(ts))) if task.series else None
    return row, series


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Within this block SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does, so what an interrupt cleans
    up (runs finished so far stored, child processes stopped) is cleaned up when a supervisor or a closed terminal
    stops us too. A signal already ignored (`nohup`) stays ignored; off the main thread, where Python cannot take
    signals, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number, handler in before.items():
        if handler != signal.SIG_IGN:
            signal.signal(number, signal.default_int_handler)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


def _end_with_main_process() -> None:
    """A pool worker's initializer: end this worker the moment the sweep's main process is gone, however it went
    (SIGKILL included). Otherwise it waits forever on a queue whose other end is dead, and keeps the forkserver
    and the resource tracker alive with it. The worker's parent is the forkserver, not the main process, so the
    kernel's parent-death signal cannot stand in; the main process's sentinel is the pipe Python keeps for this."""
    main = multiprocessing.parent_process()
    if main is not None:
        threading.Thread(target=_exit_when_ready, args=(main.sentinel,), name="end-with-main", daemon=True).start()


def _exit_when_ready(sentinel: int) -> None:
    """Wait for the main process's end of the pipe to close, then exit at once: a run for a gone sweep is waste."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class _Serial(cf.Executor):
    """Runs each task when submitted, in this process: one worker, no start-up cost, same code path."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextlib.contextmanager
def executor(workers: int, scheduler: str | None = None) -> Iterator[cf.Executor]:
    """A concurrent.futures executor: this process (1 worker), a process pool, an embedded Dask cluster on
    127.0.0.1 (`scheduler='local'`), or an existing Dask cluster at `tcp://HOST:PORT`."""
    if scheduler is None:
        if workers == 1:
            yield _Serial()
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["model.runs.experiment"])
        others = set(multiprocessing.active_children())  # a notebook's own processes are not the pool's
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                    initializer=_end_with_main_process) as pool:
            try:
                yield pool
            except BaseException:
                # Interrupted (or failed): end the runs in flight instead of waiting for them. Waiting can hang for
                # good (seen when the interrupt came just as the pool started its workers).
                for worker in set(multiprocessing.active_children()) - others:
                    worker.terminate()
                raise
        return
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield _ClusterExecutor(client)
        return
    if not SCHEDULER.fullmatch(scheduler):
        raise InputError(f"--scheduler {scheduler!r}: expected tcp://HOST:PORT of a Dask scheduler, or 'local'")
    try:
        client = Client(scheduler, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({exc})") from None
    with client:
        yield _ClusterExecutor(client)


class _ClusterExecutor(cf.Executor):
    """A Dask client's executor that can tell when its scheduler is gone: the futures in flight may then never
    finish, so the sweep must stop waiting for them (`connected`)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._pool = client.get_executor(pure=False)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait and not cancel_futures)

    @property
    def connected(self) -> bool:
        return self.client.status == "running"


@dataclass
class Outcome:
    total: int
    already: int
    ran: int
    failed: int


def run_sweep(sweep: Sweep, store_dir: Path, workers: int = 1, scheduler: str | None = None, chunk: int = 50,
              progress: bool = True) -> Outcome:
    """Run every run of `sweep` not yet in the store at `store_dir`; results are committed in chunks of
    `chunk` runs (or every 30 s), so memory stays flat and a kill loses at most one chunk of work."""
    whole_number(workers, 1, 4096, "workers")
    whole_number(chunk, 1, 10**6, "chunk")
    if scheduler is not None and not isinstance(scheduler, str):
        raise InputError(f"scheduler: expected tcp://HOST:PORT of a Dask scheduler, 'local' or None, got "
                         f"{shown(scheduler)}")
    tasks = plan(sweep)
    new_store = not store_dir.exists()
    try:
        with stop_signals_interrupt():
            return _run(sweep, tasks, store_dir, workers, scheduler, chunk, progress)
    except InputError:
        if new_store and store_dir.is_dir() and not any(store_dir.glob("runs-*.parquet")):
            shutil.rmtree(store_dir, ignore_errors=True)  # e.g. no Dask scheduler: leave no empty store behind
        raise


def _run(sweep: Sweep, tasks: list[Task], store_dir: Path, workers: int, scheduler: str | None, chunk: int,
         progress: bool) -> Outcome:
    with ResultStore(store_dir) as store:
        stored = store.stored_keys()
        todo = [t for t in tasks if t.key not in stored]
        if reused := {t.key for t in tasks} & stored:
            _warn_if_other_code(store, reused, sweep.name)
        state = {"status": "running", "workers": workers, "scheduler": scheduler, "sweep": sweep.describe()}
        store.write_manifest(state)
        done = Outcome(total=len(tasks), already=len(tasks) - len(todo), ran=0, failed=0)
        bar = tqdm(total=len(tasks), initial=done.already, unit="run", desc=sweep.name, disable=not progress,
                   dynamic_ncols=True)
        runs: list[dict] = []
        series: list[pd.DataFrame] = []
        lost: list[str] = []
        flushed = time.monotonic()
        try:
            with executor(workers, scheduler) as pool:
                for row, ts in _stream(pool, todo, window=max(2, 4 * workers)):
                    if row["status"] == LOST:
                        lost.append(row["error"])
                        bar.update(1)
                        continue
                    runs.append(row)
                    if ts is not None:
                        series.append(ts)
                    done.ran += 1
                    done.failed += row["status"] != "ok"
                    bar.update(1)
                    bar.set_postfix(failed=done.failed, refresh=False)
                    if len(runs) >= chunk or time.monotonic() - flushed > FLUSH_SECONDS:
                        store.append(runs, series)
                        runs, series, flushed = [], [], time.monotonic()
        except cf.BrokenExecutor:
            raise InputError(f"{sweep.name}: a worker process died (out of memory?) after {done.ran} new runs; "
                             "the stored runs are intact, rerun the same command to resume") from None
        finally:
            bar.close()
            store.append(runs, series)  # whatever finished is kept, even on interrupt
        if lost:
            store.write_manifest({**state, "status": "incomplete", "runs": done.total, "lost": len(lost)})
            missing = len(todo) - done.ran
            raise InputError(f"{sweep.name}: {len(lost)} runs were lost by the executor (a worker, the connection or "
                             f"the scheduler went away; first: {lost[0]}); they are not stored, and the {done.ran} "
                             f"that finished are, so {missing} of the design's {done.total} runs are missing. Rerun "
                             "the same command to run the missing ones")
        store.write_manifest({**state, "status": "complete", "runs": done.total, "failed": done.failed})
    return done


def _stream(pool: cf.Executor, tasks: list[Task], window: int) -> Iterator[tuple[dict, pd.DataFrame | None]]:
    """Results as they finish, with at most `window` runs in flight (memory flat in the number of runs)."""
    queue = iter(tasks)
    pending: dict[cf.Future, Task] = {}
    try:
        while True:
            while len(pending) < window and (task := next(queue, None)) is not None:
                pending[pool.submit(execute, task)] = task
            if not pending:
                return
            finished, _ = cf.wait(pending, timeout=WAIT_SECONDS, return_when=cf.FIRST_COMPLETED)
            if not finished and not getattr(pool, "connected", True):  # the cluster is gone: so are its runs
                for task in pending.values():
                    yield _lost(task, "the connection to the Dask scheduler closed"), None
                pending.clear()
                return
            for future in finished:
                task = pending.pop(future)
                try:
                    yield future.result()
                except cf.BrokenExecutor:
                    raise
                except Exception as exc:
                    # `execute` turns every error of the model into a failed row, so an exception here is the
                    # executor's: a lost worker, connection or scheduler. The run is not a result: it is left
                    # out of the store, so a rerun runs it.
                    yield _lost(task, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), None
    finally:
        for future in pending:
            future.cancel()


def _lost(task: Task, error: str) -> dict:
    return {"key": task.key, "point": task.point, "seed": task.seed, "status": LOST, "error": error,
            "traceback": "", "seconds": np.nan}


def _warn_if_other_code(store: ResultStore, reused: set[str], name: str) -> None:
    """Stored runs are reused whatever code made them; say so when that was another commit."""
    now = git_commit()
    if before := [commit for commit in store.commits(reused) if commit != now]:
        print(f"{name}: note: reusing runs stored by commit {', '.join(before)}; this code is {now}. Use a new "
              "--out to rerun everything with this code.", file=sys.stderr)


@dataclass
class Results:
    """A sweep's stored results, joined to its design: `runs` (ok, one row per run, with the factors as
    columns), `series` (quarterly rows of the ok runs, if kept) and `failed` (key, point, seed, error)."""

    runs: pd.DataFrame
    series: pd.DataFrame
    failed: pd.DataFrame


def load(sweep: Sweep, store_dir: Path, series_columns: list[str] | None = None) -> Results:
    """Read the runs of `sweep` from the store (other runs stored there are ignored)."""
    tasks = {t.key: t for t in plan(sweep)}
    with contextlib.closing(ResultStore(store_dir, write=False)) as store:
        runs = store.read("runs", set(tasks))
        ok = runs[runs["status"] == "ok"]
        series = store.read("series", set(ok["key"]), series_columns) if sweep.series else pd.DataFrame()
    design = pd.DataFrame([{"point": i, "scenario_arg": p.scenario, **dict(p.factors)}
                           for i, p in enumerate(sweep.points)])
    ok = ok.drop(columns=["status", "error", "traceback"]).merge(design, on="point").sort_values(["point", "seed"])
    failed = runs.loc[runs["status"] != "ok", ["key", "point", "seed", "error"]]
    if not series.empty:
        series = series.merge(ok[["key", "point", "seed", "scenario", *design.columns.drop("point")]], on="key")
        series = series.sort_values(["point", "seed", "t"]).reset_index(drop=True)
    return Results(ok.reset_index(drop=True), series, failed.reset_index(drop=True))


def load_output(out: Path, series_columns: list[str] | None = None) -> tuple[Sweep, Results]:
    """Read back what an experiment script wrote to `out`: its design (from the store's manifest) and results."""
    try:
        desc = json.loads((out / "store" / "manifest.json").read_text())["sweep"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{out}: no experiment results here ({exc})") from None
    points = tuple(Point(p["scenario"], tuple(p["overrides"]), tuple(p["factors"].items())) for p in desc["points"])
    sweep = Sweep(desc["name"], points, tuple(desc["seeds"]), desc["master_seed"], desc["years"], desc["firm_scale"],
                  desc["series"], desc.get("parameters", "default"), desc.get("draw_seed"))
    return sweep, load(sweep, out / "store", series_columns)
