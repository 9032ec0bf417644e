"""Scenario discovery: which lever settings, across the uncertain behaviour of firms and governments, give an
integrated alliance while the US keeps its home base?

Samples the compact lever space of model.runs.ema (the four knobs: US preference margin, US tariff level, US
export-control friction, NTIB treatment by all five; the US content minimum and duty-free uptake; each ally's
offset rate) and the uncertainties (every behavioural parameter over the central 90 % of its calibrated
posterior, and the run seed), one Latin hypercube over both, --runs experiments in all. A run is a case of
interest when its integration index (run total) is at least --threshold and the US domestic share at least
--floor. PRIM (the EMA Workbench's) then peels the space to boxes in which most runs are cases of interest, and
the script keeps the box of highest coverage with a density of at least --density. Writes experiments.csv (every
run's inputs and outcomes), boxes.csv/.md (each box's limits on its restricted dimensions), box_stats.csv/.md
(coverage, density, mass), runs-KEY.parquet (the runs, reused by a rerun with the same sample, run settings
and code, so other thresholds cost no runs), discovery_tradeoff.png (the peeling trajectory) and
discovery_boxes.png (the box limits against the sampled ranges), with a manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.common.errors import InputError
from model.policy.knobs import KNOBS
from model.runs.ema import SEED, WORKBENCH_COLUMNS, EngineEvaluator, name_of, ntib_model, path_of
from model.runs.output import git_commit, manifest, staged, writable_dir, write_json
from model.ui.arguments import Parser, int_in, share
from model.ui.figures import save
from model.ui.study import main, quiet_stderr, run_flags, write_table

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim
    from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

INTEGRATION = name_of("integration_index")
HOME_BASE = name_of("domestic_share.USA")
BOXES = 2  # PRIM boxes to find, one after another on the cases the earlier ones leave
# on/off knobs (on from 0.5) are given to PRIM as 0 or 1, so a box reads "on" rather than a range of the number
SWITCHES = tuple(name for name, knob in KNOBS.items() if knob.unit == "off/on")
SIGNIFICANT = 0.05  # a restriction is read out only if its quasi-p-value (one-sided binomial) is below this


def build() -> argparse.ArgumentParser:
    p = Parser(prog="discovery.py", description=" ".join(__doc__.strip().split("\n\n")[0].split()))
    p.add_argument("--runs", type=int_in(10, 1_000_000), default=2000,
                   help="experiments: one Latin hypercube over the levers and uncertainties (default 2000)")
    p.add_argument("--threshold", type=share, default=0.18,
                   help="integration index (run total, share) a case of interest reaches (default 0.18)")
    p.add_argument("--floor", type=share, default=0.90,
                   help="US domestic share (run total) a case of interest keeps (default 0.90)")
    p.add_argument("--density", type=share, default=0.5,
                   help="share of cases of interest a box must hold (PRIM's threshold, default 0.5)")
    return run_flags(p, "discovery.py", seed_help="seed of the Latin hypercube")


def run(args: argparse.Namespace) -> None:
    model = ntib_model(levers="knobs", uncertainties="posterior", years=args.years, firm_scale=args.firm_scale)
    cache = args.out / f"runs-{_key(args)}.parquet"
    if cache.is_file():
        table = pd.read_parquet(cache)
        made = json.loads(cache.with_suffix(".json").read_text())
        seconds = float(made["seconds"])
        print(f"discovery: reusing the {len(table)} runs in {cache} (same sample, years and scale)", file=sys.stderr)
        if made["commit"] != git_commit():
            print(f"discovery: note: those runs were made by commit {made['commit']}; this code is {git_commit()}. "
                  "Use a new --out to rerun them with this code.", file=sys.stderr)
    else:
        table, seconds = sample_and_run(model, args)
        writable_dir(args.out)
        write_json(cache.with_suffix(".json"), {"commit": git_commit(), "seconds": seconds})
        partial = cache.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, cache)  # kept before the analysis, so a rerun with other thresholds runs nothing
    interest = (table[INTEGRATION] >= args.threshold) & (table[HOME_BASE] >= args.floor)
    if not 0 < interest.sum() < len(table):
        raise InputError(f"{int(interest.sum())} of {len(table)} runs are cases of interest at --threshold "
                         f"{args.threshold} and --floor {args.floor}; PRIM needs some of each (integration ran "
                         f"{table[INTEGRATION].min():.3f} to {table[INTEGRATION].max():.3f})")
    inputs = [p.name for p in (*model.levers, *model.uncertainties) if p.name != SEED]
    x = table[inputs].assign(**{name: (table[name] >= 0.5).astype(float) for name in SWITCHES})
    found = discover(x, interest.to_numpy(), args.density)
    limits, stats = box_limits(found, x), box_stats(found)
    with staged(args.out) as out:
        table.assign(case_of_interest=interest).to_csv(out / "experiments.csv", index=False)
        note = (f"Cases of interest: integration index >= {args.threshold:g} and US domestic share >= "
                f"{args.floor:g} (run totals); {int(interest.sum())} of {len(table)} runs. ")
        write_table(limits, out, "boxes", "PRIM boxes: the restricted dimensions",
                    note + "Each row: one dimension a box restricts, its limits in the box (low, high; or the "
                    "levels kept), its range over the sample, and the quasi-p-value of the restriction (the chance "
                    "that the density would rise as much by a random restriction; under "
                    f"{SIGNIFICANT} counts as real).")
        write_table(stats, out, "box_stats", "PRIM boxes: coverage and density",
                    note + "coverage = share of all cases of interest inside the box; density = share of the runs "
                    "in the box that are cases of interest; mass = share of all runs in the box.")
        tradeoff_figure(found, out / "discovery_tradeoff")
        limits_figure(limits, stats, out / "discovery_boxes")
        write_json(out / "manifest.json", manifest(
            experiment="discovery", arguments={k: str(v) for k, v in vars(args).items()}, runs=len(table),
            seconds=round(seconds, 1), runs_file=cache.name, runs_commit=made_by(cache),
            cases_of_interest=int(interest.sum()),
            levers=[p.name for p in model.levers], uncertainties=[p.name for p in model.uncertainties],
            files=sorted(p.name for p in out.iterdir())))
    print(f"wrote {args.out}/", file=sys.stderr)
    print(stats.round(3).to_string(index=False))
    print(limits.to_string(index=False))
    print(in_words(limits, stats, args))


def sample_and_run(model: object, args: argparse.Namespace) -> tuple[pd.DataFrame, float]:
    """One Latin hypercube over the levers and the uncertainties, zipped (run i pairs lever row i with
    uncertainty row i), run on the engine's executor; every run's inputs and outcomes, and the seconds taken."""
    np.random.seed(args.master_seed)  # noqa: NPY002 - the Workbench's samplers draw from numpy's global generator
    scenarios, policies = list(sample_uncertainties(model, args.runs)), list(sample_levers(model, args.runs))
    print(f"discovery: {args.runs} experiments ({len(model.levers)} levers x {len(model.uncertainties)} "
          f"uncertainties, one Latin hypercube), {args.years} years each, {args.workers} workers"
          f"{' on Dask' if args.scheduler else ''}", file=sys.stderr)
    start = time.monotonic()
    with EngineEvaluator(model, workers=args.workers, scheduler=args.scheduler) as evaluator, \
            quiet_stderr(args.quiet):
        experiments, outcomes = perform_experiments(model, scenarios, policies, evaluator=evaluator,
                                                    combine="sample")
    seconds = time.monotonic() - start
    print(f"discovery: {args.runs} runs in {seconds:.0f} s ({60 * args.runs / seconds:.0f} runs a minute)",
          file=sys.stderr)
    table = pd.concat([experiments.drop(columns=list(WORKBENCH_COLUMNS)).reset_index(drop=True),
                       pd.DataFrame(outcomes)], axis=1)
    return table, seconds


def _key(args: argparse.Namespace) -> str:
    """What determines the runs: the sample and the run settings. As in the run engine's store, the code is not
    part of it: a rerun by another commit reuses the runs and says so."""
    settings = [args.runs, args.years, args.firm_scale, args.master_seed]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def made_by(cache: Path) -> str:
    return str(json.loads(cache.with_suffix(".json").read_text())["commit"])


def discover(x: pd.DataFrame, y: np.ndarray, density: float) -> list[prim.PrimBox]:
    """Up to BOXES PRIM boxes, each at the highest coverage among its peels with at least `density`."""
    boxes: list[prim.PrimBox] = []
    with warnings.catch_warnings():
        # PRIM's own pandas calls warn of a deprecation under pandas 3 on every box; it is the Workbench's to fix
        warnings.filterwarnings("ignore", message="The inplace keyword")
        search = prim.Prim(x, y, threshold=density)
        _peel(search, boxes, density)
    if not boxes:
        raise InputError(f"PRIM found no box with a density of at least {density}; try a lower --density")
    return boxes


def _peel(search: prim.Prim, boxes: list[prim.PrimBox], density: float) -> None:
    """Find boxes one after another into `boxes`, each at the highest coverage among its dense enough peels."""
    for _ in range(BOXES):
        try:
            box = search.find_box()
        except ValueError:  # nothing left to find
            break
        if box is None:
            break
        trajectory = box.peeling_trajectory
        dense = trajectory[trajectory["density"] >= density]
        if dense.empty:
            break
        box.select(int(dense["coverage"].idxmax()))
        boxes.append(box)


def box_limits(boxes: list[prim.PrimBox], x: pd.DataFrame) -> pd.DataFrame:
    """One row per restricted dimension of each box: its limits in the box and the sampled range."""
    rows = []
    for number, box in enumerate(boxes, 1):
        limits = box.box_lims[box._cur_box]  # the selected peel (no public accessor)
        quasi = box.qp[box._cur_box]
        for name in x.columns:
            significance = min((q for q in quasi.get(name, []) if q >= 0), default=np.nan)
            low, high = limits[name].iloc[0], limits[name].iloc[1]
            if isinstance(low, set):
                everything = set(x[name].unique())
                if low != everything:
                    rows.append({"box": number, "dimension": path_of(name), "low": np.nan, "high": np.nan,
                                 "kept": ", ".join(map(str, sorted(low, key=str))), "sampled low": np.nan,
                                 "sampled high": np.nan, "quasi-p": significance})
                continue
            full_low, full_high = float(x[name].min()), float(x[name].max())
            if low > full_low or high < full_high:
                rows.append({"box": number, "dimension": path_of(name), "low": float(low), "high": float(high),
                             "kept": "", "sampled low": full_low, "sampled high": full_high, "quasi-p": significance})
    columns = ["box", "dimension", "low", "high", "kept", "sampled low", "sampled high", "quasi-p"]
    return pd.DataFrame(rows, columns=columns)


def box_stats(boxes: list[prim.PrimBox]) -> pd.DataFrame:
    rows = []
    for number, box in enumerate(boxes, 1):
        chosen = box.peeling_trajectory.iloc[box._cur_box]
        rows.append({"box": number, "coverage": float(chosen["coverage"]), "density": float(chosen["density"]),
                     "mass": float(chosen["mass"]), "restricted dimensions": int(chosen["res_dim"])})
    return pd.DataFrame(rows)


def tradeoff_figure(boxes: list[prim.PrimBox], path: Path) -> None:
    """Coverage against density along each box's peeling trajectory, the chosen peel marked."""
    fig, axes = plt.subplots(1, len(boxes), figsize=(5.5 * len(boxes), 4.5), squeeze=False)
    for ax, (number, box) in zip(axes[0], enumerate(boxes, 1)):
        trajectory = box.peeling_trajectory
        points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis",
                            s=18)
        chosen = trajectory.iloc[box._cur_box]
        ax.scatter([chosen["coverage"]], [chosen["density"]], s=120, facecolors="none", edgecolors="#c8102e",
                   linewidths=1.5, label="chosen box")
        ax.set_xlabel("coverage (share of all cases of interest in the box)")
        ax.set_ylabel("density (share of the box's runs that are cases)")
        ax.set_title(f"box {number}: peeling trajectory")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="lower left")
        fig.colorbar(points, ax=ax, label="restricted dimensions")
    save(fig, path)


def limits_figure(limits: pd.DataFrame, stats: pd.DataFrame, path: Path) -> None:
    """Each box's restricted dimensions: the kept part of each sampled range, normalised to 0-1."""
    numeric = limits[limits["kept"] == ""]
    boxes = list(stats["box"])
    fig, axes = plt.subplots(1, len(boxes), figsize=(8.5 * len(boxes), 0.45 * max(3, len(numeric)) + 1.8),
                             squeeze=False)
    for ax, number in zip(axes[0], boxes):
        rows = limits[limits["box"] == number].reset_index(drop=True)
        for i, row in rows.iterrows():
            ax.plot([0, 1], [i, i], color="#dddddd", lw=6, solid_capstyle="butt")
            if row["kept"]:
                ax.text(0.5, i, f"kept: {row['kept']}", ha="center", va="center", fontsize=8)
                continue
            width = row["sampled high"] - row["sampled low"]
            low, high = ((row[k] - row["sampled low"]) / width for k in ("low", "high"))
            real = row["quasi-p"] < SIGNIFICANT
            ax.plot([low, high], [i, i], color="#1f4e9c" if real else "#9db3d9", lw=6, solid_capstyle="butt")
            ax.text(1.03, i, f"{row['low']:.3g} to {row['high']:.3g}" + ("" if real else " (not significant)"),
                    va="center", fontsize=7)
        ax.set_yticks(range(len(rows)), rows["dimension"], fontsize=8)
        ax.set_xlim(0, 1.6)
        ax.set_xticks([0, 0.5, 1], ["sampled low", "middle", "sampled high"], fontsize=7)
        ax.invert_yaxis()
        stat = stats[stats["box"] == number].iloc[0]
        ax.set_title(f"box {number}: coverage {stat['coverage']:.0%}, density {stat['density']:.0%}", fontsize=9)
    fig.suptitle("Where the cases of interest are: each box's limits (blue) within the sampled range (grey);\n"
                 f"pale blue: not significant (quasi-p-value {SIGNIFICANT} or more)", fontsize=10)
    save(fig, path)


def in_words(limits: pd.DataFrame, stats: pd.DataFrame, args: argparse.Namespace) -> str:
    """The first box's significant restrictions as a sentence, for the README."""
    first = limits[(limits["box"] == 1) & (limits["quasi-p"] < SIGNIFICANT)]
    stat = stats.iloc[0]
    parts = [_restriction(row) for row in first.fillna({"kept": ""}).to_dict("records")]
    return (f"Integration of at least {args.threshold:.0%} with a US domestic share of at least {args.floor:.0%} "
            f"holds in {stat['density']:.0%} of the runs with " + ("; ".join(parts) or "no restriction significant at "
            f"{SIGNIFICANT}") + f" (whatever the other levers and parameters), and that box holds "
            f"{stat['coverage']:.0%} of all such runs.")


def _restriction(row: dict) -> str:
    """One restriction in words: a switch on or off, the levels kept, or the limits that bind."""
    name, low, high = row["dimension"], row["low"], row["high"]
    if row["kept"]:
        return f"{name} in {row['kept']}"
    if name in SWITCHES:
        return f"{name} on" if low >= 0.5 else f"{name} off"
    if low <= row["sampled low"]:
        return f"{name} at most {high:.3g}"
    if high >= row["sampled high"]:
        return f"{name} at least {low:.3g}"
    return f"{name} from {low:.3g} to {high:.3g}"


if __name__ == "__main__":
    sys.exit(main(run, build))
