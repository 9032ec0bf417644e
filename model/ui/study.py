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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from model.common.countries import COUNTRIES, PRODUCERS
from model.common.errors import InputError
from model.common.quarters import MAX_YEARS
from model.metrics.statistics import mean_ci, runs_needed
from model.runs.experiment import PARAMETERS, Point, Results, Sweep, common_seeds, load, run_sweep
from model.runs.output import manifest, staged, writable_dir, write_json
from model.runs.study_file import Study
from model.simulation.model import DEFAULT_FIRM_SCALE
from model.ui.arguments import Parser, firm_scale, folder, int_in, scheduler
from model.ui.figures import headless


def parser(script: str, description: str, runs: int, seeds: int, runs_help: str, years: int = 20,
           max_runs: int = 10_000, parameters: str = "posterior", master_seed: int = 20251) -> argparse.ArgumentParser:
    """The flags every script takes; `runs` is the size of the script's design (its meaning is `runs_help`, and
    `max_runs` the largest the design has). `description` may be the script's docstring: --help shows its first
    paragraph, whole."""
    p = Parser(prog=script, description=" ".join(description.strip().split("\n\n")[0].split()))
    p.add_argument("--runs", type=int_in(1, max_runs), default=runs, help=f"{runs_help} (default {runs})")
    p.add_argument("--seeds", type=int_in(1, 1000), default=seeds,
                   help=f"seeds per design point, common to all points (default {seeds})")
    p.add_argument("--parameters", choices=PARAMETERS, default=parameters,
                   help="behavioural parameters: 'posterior' draws run i of every point from the calibrated "
                        "posterior (draw i common to all points, like seed i), so intervals combine parameter and "
                        f"seed uncertainty; 'default' holds them at model/policy/params.py (seeds only). "
                        f"Default: {parameters}")
    return run_flags(p, script, years, master_seed, "seed the run seeds are spawned from")


def run_flags(p: argparse.ArgumentParser, script: str, years: int = 20, master_seed: int = 20251,
              seed_help: str = "seed of the sample") -> argparse.ArgumentParser:
    """The flags of how and where a script runs, which every experiment script takes: workers, scheduler, out,
    years, firm scale, master seed and quiet."""
    p.add_argument("--workers", type=int_in(1, 1024), default=min(2, os.cpu_count() or 1),
                   help="parallel runs (default: 2, or 1 on a one-core machine)")
    p.add_argument("--scheduler", type=scheduler, default=None,
                   help="run on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' for one started "
                        "here on 127.0.0.1 with --workers workers (default: a local process pool)")
    p.add_argument("--out", type=folder, default=Path("out") / Path(script).stem,
                   help=f"folder for figures, tables, manifest and the run store (default out/{Path(script).stem})")
    p.add_argument("--years", type=int_in(1, MAX_YEARS), default=years, help=f"run length in years (default {years})")
    p.add_argument("--firm-scale", type=firm_scale, default=DEFAULT_FIRM_SCALE,
                   help=f"share of the real firm population (default {DEFAULT_FIRM_SCALE})")
    p.add_argument("--master-seed", type=int_in(0, 2**32 - 1), default=master_seed,
                   help=f"{seed_help} (default {master_seed})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


@contextlib.contextmanager
def quiet_stderr(quiet: bool) -> Iterator[None]:
    """With --quiet, what a library prints on stderr (the EMA Workbench's own progress bar) goes nowhere."""
    if not quiet:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        yield


def study_parser(script: str, description: str, study: Study, runs: int, runs_help: str,
                 max_runs: int = 10_000) -> argparse.ArgumentParser:
    """The flags of a script whose design is a study file: seeds, years, parameters and master seed default to the
    file's, and `--runs` resizes its design (`runs_help`)."""
    return parser(script, description, runs=runs, seeds=study.seeds, runs_help=runs_help, years=study.years,
                  max_runs=max_runs, parameters=study.parameters, master_seed=study.master_seed)


def with_steps(study: Study, steps: int, *names: str) -> Study:
    """The study with the named range factors on `steps` grid points, as a script's --runs asks."""
    factors = tuple(replace(f, steps=steps) if f.name in names else f for f in study.factors)
    return replace(study, factors=factors)


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
                   args.firm_scale, series, args.parameters)
    drawn = " (each with its posterior draw)" if args.parameters == "posterior" else ""
    print(f"{name}: {len(points)} design points x {args.seeds} seeds{drawn} = {len(points) * args.seeds} runs, "
          f"{args.years} years each", file=sys.stderr)
    done = run_sweep(design, args.out / "store", args.workers, args.scheduler, progress=not args.quiet)
    print(f"{name}: {done.ran} runs now, {done.already} already stored, {done.failed} failed", file=sys.stderr)
    results = load(design, args.out / "store", series_columns)
    if len(results.failed):
        print(f"{name}: {len(results.failed)} runs failed; their errors are in failed_runs.csv", file=sys.stderr)
    return design, results


PRECISION = 0.25  # the relative half-width "runs needed" aims at


def spread_of(args: argparse.Namespace) -> str:
    """What a script's intervals are over, for titles and table notes."""
    return "seeds and posterior draws" if args.parameters == "posterior" else "seeds"


@dataclass(frozen=True)
class Headline:
    """A script's headline effect: `value` (of the flat run rows) at the `treated` point minus at the `base` point,
    paired over the common seeds (and, with --parameters posterior, the common posterior draws)."""

    label: str
    outcome: str  # what `value` measures, with its unit
    value: Callable[[pd.DataFrame], pd.Series]
    base: Point
    treated: Point
    rows: Callable[[Results], pd.DataFrame] = lambda results: results.runs  # the frame `value` reads


def point_where(points: list[Point], scenario: str | None = None, **factors: object) -> Point:
    """The design point with these factor values (and scenario), for naming a headline's two points."""
    for point in points:
        if (scenario is None or point.scenario == scenario) and all(dict(point.factors).get(k) == v
                                                                    for k, v in factors.items()):
            return point
    raise InputError(f"no design point has {scenario or ''} {factors}; the headline needs it (a larger --runs?)")


def headline(args: argparse.Namespace, design: Sweep, results: Results, effect: Headline) -> pd.DataFrame:
    """The headline effect's interval from seeds alone and, with --parameters posterior, from seeds and parameters
    together, the standard deviation each source adds, which dominates, and the runs a +-25 % interval needs.

    The seeds-alone numbers come from the two points at the default parameters, run into `store-seeds/` beside
    the design's store (and reused on a rerun). Under the posterior a run's variance is the parameter variance
    plus the seed variance (averaged over the posterior). The seed part is measured by running the two points
    again with the same draws and other seeds (`store-replicate/`): half the mean squared difference between a
    draw's two effects. The parameter part is the rest (floored at zero)."""
    rows = [_effect_row("seeds alone", _paired(*_seeds_only(args, design, results, effect), effect))]
    if design.parameters == "posterior":
        first = _paired(design, results, effect)
        rows.append(_effect_row("seeds and parameters", first))
        again = _paired(*_replicate(args, design, effect), effect)
        both = np.isfinite(first) & np.isfinite(again)
        seed_sd = float(np.sqrt(np.mean((first[both] - again[both]) ** 2) / 2)) if both.any() else float("nan")
        total_sd = float(rows[1]["sd of a run's effect"])  # type: ignore[arg-type]
        parameter_sd = float(np.sqrt(max(total_sd**2 - seed_sd**2, 0.0)))
        dominant = "parameters" if parameter_sd > seed_sd else "seeds"
        for row in rows:
            row |= {"sd from seeds": seed_sd, "sd from parameters": parameter_sd, "dominant source": dominant}
    table = pd.DataFrame(rows).assign(effect=effect.label, outcome=effect.outcome)
    table = table[["effect", "outcome", *table.columns[:-2]]]
    for row in rows:
        print(f"{design.name}: {effect.label}, {row['uncertainty']}: {row['mean']:.4g} "
              f"[{row['lo']:.4g}, {row['hi']:.4g}] over {row['runs']} runs; a ±{100 * PRECISION:.0f} % interval "
              f"needs {row['runs for ±25 %']:.0f} runs", file=sys.stderr)
    if design.parameters == "posterior":
        print(f"{design.name}: the {rows[0]['dominant source']} dominate the uncertainty of the headline effect "
              f"(sd {rows[0]['sd from seeds']:.3g} from seeds, {rows[0]['sd from parameters']:.3g} from parameters)",
              file=sys.stderr)
    return table


def _seeds_only(args: argparse.Namespace, design: Sweep, results: Results, effect: Headline
                ) -> tuple[Sweep, Results]:
    """The headline's two points over the same seeds at the default parameters."""
    if design.parameters == "default":
        return design, results
    seeds = replace(design, name=f"{design.name}-seeds", points=(effect.base, effect.treated), parameters="default")
    run_sweep(seeds, args.out / "store-seeds", args.workers, args.scheduler, progress=not args.quiet)
    return seeds, load(seeds, args.out / "store-seeds")


def _replicate(args: argparse.Namespace, design: Sweep, effect: Headline) -> tuple[Sweep, Results]:
    """The headline's two points with the same posterior draws and a second set of seeds."""
    again = replace(design, name=f"{design.name}-replicate", points=(effect.base, effect.treated),
                    seeds=common_seeds(args.master_seed + 1, len(design.seeds)), draw_seed=design.master_seed)
    run_sweep(again, args.out / "store-replicate", args.workers, args.scheduler, progress=not args.quiet)
    return again, load(again, args.out / "store-replicate")


def _paired(design: Sweep, results: Results, effect: Headline) -> np.ndarray:
    """The effect in each seed (with its draw) that both points ran, in seed order."""
    runs = effect.rows(results)
    index = {point: i for i, point in enumerate(design.points)}
    values = runs.assign(v=effect.value(runs)).set_index(["point", "seed"])["v"]
    base, treated = values.xs(index[effect.base], level="point"), values.xs(index[effect.treated], level="point")
    both = base.index.intersection(treated.index)
    return (treated[both] - base[both]).to_numpy(dtype=float)


def _effect_row(uncertainty: str, differences: np.ndarray) -> dict[str, object]:
    mean, half = (float(v) for v in mean_ci(differences))
    sd = float(np.nanstd(differences, ddof=1)) if len(differences) > 1 else float("nan")
    return {"uncertainty": uncertainty, "mean": mean, "lo": mean - half, "hi": mean + half,
            "runs": int(np.isfinite(differences).sum()), "sd of a run's effect": sd,
            "runs for ±25 %": runs_needed(mean, sd, PRECISION)}


@contextlib.contextmanager
def report(args: argparse.Namespace, design: Sweep, results: Results, effect: pd.DataFrame | None = None,
           **extra: object) -> Iterator[Path]:
    """A staging folder for the figures and tables; on success they land in --out with a manifest that
    records the command, design, seeds, versions and commit, and any failed runs are listed beside them.
    `effect`, the table `headline` makes, lands beside them as headline_uncertainty.csv/.md."""
    with staged(args.out) as tmp:
        yield tmp
        if effect is not None:
            write_table(effect, tmp, "headline_uncertainty", "Headline effect: seeds against seeds and parameters",
                        "Mean paired effect (treated minus base) with its 95 % interval (lo, hi) over the runs; "
                        "'seeds alone' holds the behavioural parameters at their defaults, 'seeds and parameters' "
                        "draws run i of both points from the calibrated posterior (docs/calibration.md). The "
                        "standard deviations are of one run's effect: the seed part from a replicate of both points "
                        "with the same draws and other seeds, the parameter part what the posterior adds to it. "
                        f"Runs for ±{100 * PRECISION:.0f} %: the runs a 95 % interval of ±{100 * PRECISION:.0f} % of "
                        "the effect needs at that variance.")
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
