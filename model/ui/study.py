"""What every experiment script shares: its flags, one-line errors, the sweep, and an atomic report folder.

A script builds a design (a list of Points), calls `sweep(args, name, points)`, draws figures and tables
into the folder `report(...)` yields, and is done; rerunning the same command reuses every stored run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from model.common.countries import COUNTRIES, PRODUCERS
from model.common.errors import InputError
from model.common.quarters import MAX_YEARS
from model.runs.experiment import Point, Results, Sweep, common_seeds, load, run_sweep
from model.runs.output import manifest, staged, writable_dir, write_json
from model.simulation.model import DEFAULT_FIRM_SCALE
from model.ui.arguments import Parser, firm_scale, int_in, scheduler
from model.ui.figures import headless


def parser(script: str, description: str, runs: int, seeds: int, runs_help: str, years: int = 20,
           max_runs: int = 10_000) -> argparse.ArgumentParser:
    """The flags every script takes; `runs` is the size of the script's design (its meaning is `runs_help`).
    `description` may be the script's docstring: --help shows its first paragraph, whole."""
    p = Parser(prog=script, description=" ".join(description.strip().split("\n\n")[0].split()))
    p.add_argument("--runs", type=int_in(1, max_runs), default=runs, help=f"{runs_help} (default {runs})")
    p.add_argument("--seeds", type=int_in(1, 1000), default=seeds,
                   help=f"seeds per design point, common to all points (default {seeds})")
    p.add_argument("--workers", type=int_in(1, 1024), default=min(2, os.cpu_count() or 1),
                   help="parallel runs (default: 2, or 1 on a one-core machine)")
    p.add_argument("--scheduler", type=scheduler, default=None,
                   help="run on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' for one started "
                        "here on 127.0.0.1 with --workers workers (default: a local process pool)")
    p.add_argument("--out", type=Path, default=Path("out") / Path(script).stem,
                   help=f"folder for figures, tables, manifest and the run store (default out/{Path(script).stem})")
    p.add_argument("--years", type=int_in(1, MAX_YEARS), default=years, help=f"run length in years (default {years})")
    p.add_argument("--firm-scale", type=firm_scale, default=DEFAULT_FIRM_SCALE,
                   help=f"share of the real firm population (default {DEFAULT_FIRM_SCALE})")
    p.add_argument("--master-seed", type=int_in(0, 2**32 - 1), default=20251,
                   help="seed the run seeds are spawned from (default 20251)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(body: Callable[[argparse.Namespace], None], build: Callable[[], argparse.ArgumentParser],
         argv: list[str] | None = None) -> int:
    """Parse flags and run `body`; a user error is one line on stderr and exit 2, an interrupt exit 130."""
    prog, start = "experiment", time.monotonic()
    try:
        p = build()
        prog = p.prog
        args = p.parse_args(argv)
        writable_dir(args.out)
        headless()
        body(args)
    except InputError as exc:
        print(f"{exc.command or prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; the runs finished so far are stored, rerun the same command to resume",
              file=sys.stderr)
        return 130
    print(f"{prog}: done in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return 0


def sweep(args: argparse.Namespace, name: str, points: list[Point], series: bool = True,
          series_columns: list[str] | None = None) -> tuple[Sweep, Results]:
    """Run (or resume) the design over the common seeds and read back its results."""
    design = Sweep(name, tuple(points), common_seeds(args.master_seed, args.seeds), args.master_seed, args.years,
                   args.firm_scale, series)
    print(f"{name}: {len(points)} design points x {args.seeds} seeds = {len(points) * args.seeds} runs, "
          f"{args.years} years each", file=sys.stderr)
    done = run_sweep(design, args.out / "store", args.workers, args.scheduler, progress=not args.quiet)
    print(f"{name}: {done.ran} runs now, {done.already} already stored, {done.failed} failed", file=sys.stderr)
    results = load(design, args.out / "store", series_columns)
    if len(results.failed):
        print(f"{name}: {len(results.failed)} runs failed; their errors are in failed_runs.csv", file=sys.stderr)
    return design, results


@contextlib.contextmanager
def report(args: argparse.Namespace, design: Sweep, results: Results, **extra: object) -> Iterator[Path]:
    """A staging folder for the figures and tables; on success they land in --out with a manifest that
    records the command, design, seeds, versions and commit, and any failed runs are listed beside them."""
    with staged(args.out) as tmp:
        yield tmp
        if len(results.failed):
            results.failed.to_csv(tmp / "failed_runs.csv", index=False)
        files = sorted(p.name for p in tmp.iterdir())
        write_json(tmp / "manifest.json", manifest(
            experiment=design.name, arguments={k: str(v) for k, v in vars(args).items()},
            design=design.describe(), runs_ok=len(results.runs), runs_failed=len(results.failed),
            store="store/", files=files, **extra))
    print(f"wrote {args.out}/: " + ", ".join(files), file=sys.stderr)


def write_table(frame: pd.DataFrame, folder: Path, name: str, title: str, note: str = "") -> None:
    """The same table as CSV (for analysis) and Markdown (for a report)."""
    frame.to_csv(folder / f"{name}.csv", index=False)
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    text = "\n".join([f"# {title}", "", *([note, ""] if note else []), head, rule, *body, ""])
    (folder / f"{name}.md").write_text(text)


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "n/a" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def flows_matrix(runs: pd.DataFrame) -> np.ndarray:
    """Mean over runs of the buyer x supplier flow matrix (US$bn over the run) from the flat run rows."""
    m = np.zeros((len(COUNTRIES), len(COUNTRIES)))
    for i, b in enumerate(COUNTRIES):
        for j, s in enumerate(PRODUCERS):
            m[i, j] = runs[f"flows.{b}.{s}"].mean()
    return m
