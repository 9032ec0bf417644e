"""Benchmark the model on this machine and write a Markdown report (stdout and --out, default docs/performance.md).

Measures the default run's wall time, the cost per firm-step and its per-phase breakdown at about 1k, 10k and
100k firms (each size in its own subprocess, for peak RSS), the ratio to Mesa's BoltzmannWealth example at the same
number of agents, and sweep throughput with 1 and 2 worker processes.

    python benchmarks/run.py            # full benchmark (several minutes)
    python benchmarks/run.py --quick    # 1k and 10k firms, 5 years, 2 sweep runs
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: set before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import mesa  # noqa: E402
import numpy as np  # noqa: E402
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth  # noqa: E402

from model.runs.experiment import Point, Sweep, common_seeds, run_sweep  # noqa: E402
from model.runs.output import git_commit, write_atomically  # noqa: E402
from model.simulation.model import DEFAULT_FIRM_SCALE, NTIBModel  # noqa: E402
from model.ui.arguments import whole_numbers  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCENARIO = "status_quo"
DEFAULT_RUNS = 3
GROUPS: dict[str, tuple[str, ...]] = {
    "policy+budgets": ("update_policies", "budgets"),
    "procurement": ("procure",),
    "sourcing": ("source",),
    "production": ("produce", "close_accounts"),
    "innovation & co-development": ("research", "codevelop"),
    "entry and exit": ("renew_population",),
    "data collection": ("collect",),
    "other": ("group_firms", "rest"),
}
PHASES = tuple(phase for members in GROUPS.values() for phase in members if phase != "rest")
TARGET_SIZE = 100_000
TARGET_YEARS = 20
TARGET_DEFAULT_S = 1.0
TARGET_WALL_S = 60.0
TARGET_RSS_MIB = 2048.0
TARGET_RATIO = 1.0
TARGET_COLLECT_SHARE = 0.15


@dataclass
class SizeResult:
    """One size's measurements, as printed by its child process."""

    size: int
    firm_scale: float
    firms: int
    years: int
    steps: int
    construct_s: float
    run_s: float
    firm_steps: int
    phases: dict[str, float]
    max_rss_kib: int

    @property
    def step_s(self) -> float:
        return self.run_s / self.steps

    @property
    def us_per_firm_step(self) -> float:
        return 1e6 * self.run_s / self.firm_steps

    def shares(self) -> dict[str, float]:
        """Share of step time per phase; 'rest' is step time no timed phase accounts for."""
        spent = dict(self.phases, rest=self.run_s - sum(self.phases.values()))
        return {phase: seconds / self.run_s for phase, seconds in spent.items()}


@dataclass
class BoltzmannResult:
    """BoltzmannWealth timing at one number of agents."""

    agents: int
    steps: int
    seconds: float

    @property
    def us_per_agent_step(self) -> float:
        return 1e6 * self.seconds / (self.steps * self.agents)


@dataclass
class SweepResult:
    """Wall time of a sweep of default-size runs with a given number of worker processes."""

    workers: int
    runs: int
    seconds: float

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.runs / self.seconds


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- measurements ------------------------------------------------------------------------------------------


def time_default_run() -> list[float]:
    """Wall time of construction + run of the default model, DEFAULT_RUNS times."""
    times = []
    for i in range(DEFAULT_RUNS):
        start = time.perf_counter()
        NTIBModel(SCENARIO, seed=1, years=20).run()
        times.append(time.perf_counter() - start)
        log(f"default run {i + 1}/{DEFAULT_RUNS}: {times[-1]:.3f} s")
    return times


def install_phase_timers(model: NTIBModel) -> dict[str, float]:
    """Wrap the model's phase methods (NTIBModel.PHASES) on this instance, and its data collection, so that each
    call adds its perf_counter time to the returned dict."""
    spent = dict.fromkeys(PHASES, 0.0)

    def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - start

        return wrapper

    missing = set(NTIBModel.PHASES) ^ (set(PHASES) - {"collect"})
    if missing:
        raise SystemExit(f"benchmarks/run.py: GROUPS and NTIBModel.PHASES disagree on {sorted(missing)}")
    for name in NTIBModel.PHASES:  # the model's timing hook: its phase methods, wrapped on this instance
        setattr(model, name, timed(name, getattr(model, name)))
    model.datacollector.collect = timed("collect", model.datacollector.collect)
    return spent


def measure_size(size: int, firm_scale: float, years: int) -> SizeResult:
    """Build and run one model at `firm_scale`, timing every step and every phase (run this in a child)."""
    start = time.perf_counter()
    model = NTIBModel(SCENARIO, seed=1, years=years, firm_scale=firm_scale)
    construct_s = time.perf_counter() - start
    firms = model.firms.n
    spent = install_phase_timers(model)
    run_s, firm_steps = 0.0, 0
    while model.running:
        active = int(model.firms.active.sum())
        start = time.perf_counter()
        model.step()
        run_s += time.perf_counter() - start
        firm_steps += active
    return SizeResult(size=size, firm_scale=firm_scale, firms=firms, years=years, steps=model.steps,
                      construct_s=construct_s, run_s=run_s, firm_steps=firm_steps, phases=spent,
                      max_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(size: int, firm_scale: float, years: int) -> SizeResult:
    """Measure one size in a fresh interpreter, so its peak RSS is its own."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(size),
               "--firm-scale", repr(firm_scale), "--years", str(years)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=REPO)
    result = SizeResult(**json.loads(done.stdout.strip().splitlines()[-1]))
    log(f"{result.firms:,} firms ({years} y): construct {result.construct_s:.2f} s, run {result.run_s:.2f} s, "
        f"{result.us_per_firm_step:.2f} us/firm-step, peak RSS {result.max_rss_kib / 1024:.0f} MiB")
    return result


def boltzmann_steps(agents: int) -> int:
    """Steps to time: fewer at larger sizes (20 at 1k, 10 at 10k, 3 at 100k)."""
    return 20 if agents <= 2_000 else 10 if agents <= 20_000 else 3


def time_boltzmann(agents: int) -> BoltzmannResult:
    """Seconds for BoltzmannWealth steps at `agents` agents on a square grid of about one agent per cell."""
    side = max(1, round(math.sqrt(agents)))
    model = BoltzmannWealth(BoltzmannScenario(rng=1, n=agents, width=side, height=side))
    steps = boltzmann_steps(agents)
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    result = BoltzmannResult(agents, steps, time.perf_counter() - start)
    log(f"BoltzmannWealth {agents:,} agents: {result.us_per_agent_step:.2f} us/agent-step")
    return result


def time_sweep(workers: int, runs: int, years: int) -> SweepResult:
    """Wall time of a `runs`-run sweep through the run engine (model.runs.experiment), as the experiment scripts
    run it: worker start-up, time series kept, results committed to a Parquet store."""
    sweep = Sweep("bench", (Point.of(SCENARIO),), common_seeds(1, runs), master_seed=1, years=years)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_sweep(sweep, Path(tmp) / "store", workers=workers, progress=False)
        result = SweepResult(workers, runs, time.perf_counter() - start)
    log(f"sweep, {workers} worker(s): {runs} runs in {result.seconds:.2f} s")
    return result


# -- report ------------------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; every column but the first is right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def status(met: bool) -> str:
    """'met' or a bold 'not met'."""
    return "met" if met else "**not met**"


def targets_table(default: list[float], sizes: list[SizeResult], ratios: dict[int, float]) -> str:
    """Each target with its measured number and whether it is met."""
    best = min(default)
    rows = [["Default run < 1 s", f"best {best:.3f} s (median {statistics.median(default):.3f} s)",
             status(best < TARGET_DEFAULT_S)]]
    wall_name, rss_name, ratio_name = ("100k firms, 20 years < 60 s", "100k firms peak RSS < 2 GiB",
                                       "Ratio to BoltzmannWealth ≤ 1 at 100k")
    big = next((r for r in sizes if r.size == TARGET_SIZE), None)
    if big is None:
        rows += [[name, "not measured", "—"] for name in (wall_name, rss_name, ratio_name)]
    else:
        wall, rss, ratio = big.construct_s + big.run_s, big.max_rss_kib / 1024, ratios[big.size]
        if big.years == TARGET_YEARS:
            rows.append([wall_name, f"{wall:.1f} s ({big.firms:,} firms)", status(wall < TARGET_WALL_S)])
        else:
            rows.append([wall_name, f"not measured (ran {big.years} years: {wall:.1f} s)", "—"])
        rows.append([rss_name, f"{rss:,.0f} MiB", status(rss < TARGET_RSS_MIB)])
        rows.append([ratio_name, f"{ratio:.2f}", status(ratio <= TARGET_RATIO)])
    worst = max(sizes, key=lambda r: r.shares()["collect"])
    share = worst.shares()["collect"]
    rows.append(["Data collection ≤ 15 % of step time", f"{100 * share:.1f} % (worst size: {worst.firms:,} firms)",
                 status(share <= TARGET_COLLECT_SHARE)])
    return table(["Target", "Measured", "Status"], rows)


def size_table(sizes: list[SizeResult]) -> str:
    """Timing and peak memory per size."""
    rows = [[f"{r.size:,}", f"{r.firm_scale:.4g}", f"{r.firms:,}", str(r.years), str(r.steps), f"{r.construct_s:.2f}",
             f"{r.run_s:.2f}", f"{r.step_s:.4f}", f"{r.firm_steps / r.steps:,.0f}", f"{r.us_per_firm_step:.2f}",
             f"{r.max_rss_kib / 1024:,.0f}"] for r in sizes]
    return table(["Target firms", "firm_scale", "Firms at start", "Years", "Steps", "Construction (s)", "Run (s)",
                  "s / step", "Mean active firms", "µs / firm-step", "Peak RSS (MiB)"], rows)


def share_tables(sizes: list[SizeResult]) -> str:
    """Share of step time by phase group, then by individual phase."""
    shares = [r.shares() for r in sizes]
    header = ["Phase"] + [f"{r.firms:,} firms" for r in sizes]
    grouped = [[group] + [f"{100 * sum(s[p] for p in members):.1f} %" for s in shares]
               for group, members in GROUPS.items()]
    detail = [[phase] + [f"{100 * s[phase]:.1f} %" for s in shares] for phase in (*PHASES, "rest")]
    return (table(header, grouped) + "\n\nBy function ('group_firms' is `Groups.build`; 'rest' is step time outside "
            "the timed phases):\n\n" + table(header, detail))


def boltzmann_table(sizes: list[SizeResult], boltzmann: list[BoltzmannResult]) -> str:
    """Our cost per firm-step against BoltzmannWealth's cost per agent-step, size by size."""
    rows = [[f"{r.firms:,}", str(b.steps), f"{b.us_per_agent_step:.2f}", f"{r.us_per_firm_step:.2f}",
             f"{r.us_per_firm_step / b.us_per_agent_step:.2f}"] for r, b in zip(sizes, boltzmann, strict=True)]
    return table(["Agents", "Boltzmann steps", "Boltzmann µs / agent-step", "Ours µs / firm-step",
                  "Ratio (ours / Boltzmann)"], rows)


def sweep_table(sweeps: list[SweepResult]) -> str:
    """Runs per minute by number of workers; speed-up is relative to the first (one worker)."""
    base = sweeps[0].seconds
    rows = [[str(s.workers), str(s.runs), f"{s.seconds:.2f}", f"{s.runs_per_minute:.1f}",
             f"{base / s.seconds:.2f}×"] for s in sweeps]
    return table(["Workers", "Runs", "Wall (s)", "Runs / minute", "Speed-up"], rows)


def report(default: list[float], default_firms: int, sizes: list[SizeResult], boltzmann: list[BoltzmannResult],
           sweeps: list[SweepResult], sweep_years: int) -> str:
    """The whole Markdown report."""
    ratios = {r.size: r.us_per_firm_step / b.us_per_agent_step for r, b in zip(sizes, boltzmann, strict=True)}
    machine = (f"{platform.platform()} ({platform.machine()}), {os.cpu_count()} CPUs, Python "
               f"{platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}")
    return f"""# Performance

Measured by `benchmarks/run.py` on one core per process (OMP/OpenBLAS/MKL threads = 1).

- Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}
- Machine: {machine}
- Commit: {git_commit()}
- Command: `{shlex.join(["python", *sys.argv])}`

## Targets

{targets_table(default, sizes, ratios)}

## Default run

`NTIBModel("{SCENARIO}", seed=1, years=20)` (firm_scale {DEFAULT_FIRM_SCALE}, {default_firms:,} firms), construction +
`.run()`: best {min(default):.3f} s, median {statistics.median(default):.3f} s of {len(default)} runs
({", ".join(f"{t:.3f}" for t in default)} s).

## Cost per firm-step

Each size runs in its own process. Step time is the wall time of `model.step()`; a firm-step is one active firm
(counted at the start of the step) for one step. Construction includes the spin-up quarters.

{size_table(sizes)}

## Share of step time

{share_tables(sizes)}

## Comparison with Mesa's BoltzmannWealth

Mesa's bundled example at the same number of agents (initial firm count), about one agent per grid cell, rng=1.

{boltzmann_table(sizes, boltzmann)}

## Sweep throughput

A {sweeps[0].runs}-run sweep of `{SCENARIO}` ({sweep_years} years, default size, common seeds from master seed 1)
through the run engine `model.runs.experiment.run_sweep`, as the experiment scripts run it: one worker runs in
process, two on a process pool; wall time includes worker start-up and writing the Parquet store.

{sweep_table(sweeps)}
"""


# -- command line ------------------------------------------------------------------------------------------


class OneLineParser(argparse.ArgumentParser):
    """A bad flag is one line on stderr and exit status 2, as for every project command."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Options, with --quick defaults filled in where an option was not given."""
    parser = OneLineParser(prog="ntib bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1k and 10k only, 5 years, 20 sweep runs")
    parser.add_argument("--sizes", type=whole_numbers,
                        help="comma list of target firm counts (default 1000,10000,100000)")
    parser.add_argument("--years", type=int, help="years per size and sweep run (default 20)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md",
                        help="report path (default docs/performance.md)")
    parser.add_argument("--sweep-runs", type=int, help="runs per sweep (default 200)")
    parser.add_argument("--child", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--firm-scale", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    args.years = args.years or (5 if args.quick else 20)
    args.sweep_runs = args.sweep_runs or (20 if args.quick else 200)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Measure everything (or, with --child, one size) and write the report."""
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure_size(args.child, args.firm_scale, args.years).__dict__))
        return
    default = time_default_run()
    default_firms = NTIBModel(SCENARIO, seed=1, years=20).firms.n
    sizes = [run_child(size, DEFAULT_FIRM_SCALE * size / default_firms, args.years) for size in args.sizes]
    boltzmann = [time_boltzmann(r.firms) for r in sizes]
    sweeps = [time_sweep(workers, args.sweep_runs, args.years) for workers in (1, 2)]
    text = report(default, default_firms, sizes, boltzmann, sweeps, args.years)
    write_atomically(args.out, text)
    print(text, end="")


if __name__ == "__main__":
    main()
