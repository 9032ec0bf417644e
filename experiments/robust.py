"""Robust policy search: which settings of the levers do well across the uncertain behaviour of firms and
governments, on three objectives at once?

A many-objective evolutionary search (the EMA Workbench's robust optimisation with platypus's epsilon-NSGA-II)
over the compact lever space of model.runs.ema (the four knobs, the US content minimum and duty-free uptake, each
ally's offset rate). Each candidate policy runs on the same --scenarios points of the uncertainty space (the
behavioural parameters over their posterior's central 90 %, and the seed; a Latin hypercube), and is scored by
the 10th percentile over them of: the integration index (maximise), the allies' capability per dollar (maximise)
and the US domestic share (maximise: the least home-base loss). --nfe candidate policies are evaluated in all,
so a search costs nfe x scenarios runs. Writes robust_policies.csv/.md (the non-dominated policies with their
three scores), policies/policy_N.toml (each as a scenario file for `ntib run --scenario`), robust_pareto.png
(the front, pairwise) and a manifest.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.runs.ema import ALLIED_CAPABILITY, EngineEvaluator, name_of, ntib_model, overrides_of
from model.runs.output import manifest, staged, write_json
from model.ui.arguments import Parser, int_in
from model.ui.figures import save
from model.ui.study import main, quiet_stderr, run_flags, write_table

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
    from ema_workbench import ScalarOutcome
    from ema_workbench.em_framework.samplers import sample_uncertainties

BASE = "status_quo"
PERCENTILE = 10  # a policy's score on an objective: this percentile over the scenarios (a bad but not worst case)
EPSILON = 0.005  # the search's resolution on every objective (shares and capability per dollar alike)
POPULATION = 20  # candidates per generation: small, so a default-size search runs several generations
# (score name, outcome it is a percentile of, label)
OBJECTIVES = [("integration_p10", name_of("integration_index"), "integration index, 10th percentile"),
              ("allied_capability_p10", ALLIED_CAPABILITY, "allies' capability per US$bn, 10th percentile"),
              ("us_home_base_p10", name_of("domestic_share.USA"), "US domestic share, 10th percentile")]


def tenth_percentile(values: np.ndarray) -> float:
    """A policy's robust score on one objective: what it achieves in all but the worst tenth of the scenarios."""
    return float(np.nanpercentile(values, PERCENTILE))


def build() -> argparse.ArgumentParser:
    p = Parser(prog="robust.py", description=" ".join(__doc__.strip().split("\n\n")[0].split()))
    p.add_argument("--nfe", type=int_in(POPULATION, 1_000_000), default=200,
                   help=f"candidate policies evaluated in all (default 200; at least {POPULATION})")
    p.add_argument("--scenarios", type=int_in(2, 10_000), default=10,
                   help="points of the uncertainty space every policy runs on (default 10)")
    return run_flags(p, "robust.py", seed_help="seed of the scenario sample and of the search")


def run(args: argparse.Namespace) -> None:
    model = ntib_model(BASE, levers="knobs", uncertainties="posterior", years=args.years,
                       firm_scale=args.firm_scale)
    np.random.seed(args.master_seed)  # noqa: NPY002 - the Workbench's samplers draw from numpy's global generator
    random.seed(args.master_seed)  # platypus draws from Python's
    scenarios = sample_uncertainties(model, args.scenarios)
    scores = [ScalarOutcome(name, kind=ScalarOutcome.MAXIMIZE, variable_name=outcome, function=tenth_percentile)
              for name, outcome, _ in OBJECTIVES]
    print(f"robust: {args.nfe} candidate policies x {args.scenarios} scenarios = {args.nfe * args.scenarios} runs, "
          f"{args.years} years each", file=sys.stderr)
    start = time.monotonic()
    with EngineEvaluator(model, workers=args.workers, scheduler=args.scheduler) as evaluator, \
            quiet_stderr(args.quiet):
        front = evaluator.robust_optimize(scores, scenarios, nfe=args.nfe, epsilons=[EPSILON] * len(scores),
                                          population_size=POPULATION)
    seconds = time.monotonic() - start
    front = front.map(_plain).sort_values(OBJECTIVES[0][0], ascending=False).reset_index(drop=True)
    front.insert(0, "policy", [f"policy_{i + 1}" for i in range(len(front))])
    levers = [p.name for p in model.levers]
    print(f"robust: {len(front)} non-dominated policies after {args.nfe * args.scenarios} runs in {seconds:.0f} s",
          file=sys.stderr)
    with staged(args.out) as out:
        write_table(front, out, "robust_policies", "Robust policies: the non-dominated lever settings",
                    f"Each policy ran on the same {args.scenarios} points of the uncertainty space ({args.years} "
                    f"years from 2025Q1 on {BASE}); each score is the {PERCENTILE}th percentile over them. No policy "
                    "in the table is beaten on all three by another. policies/<policy>.toml is each as a scenario.")
        (out / "policies").mkdir()
        for row in front.itertuples(index=False):
            settings = {name: getattr(row, name) for name in levers}
            (out / "policies" / f"{row.policy}.toml").write_text(scenario_file(row.policy, settings, row))
        pareto_figure(front, out / "robust_pareto")
        write_json(out / "manifest.json", manifest(
            experiment="robust", arguments={k: str(v) for k, v in vars(args).items()}, base=BASE,
            runs=args.nfe * args.scenarios, seconds=round(seconds, 1), policies=len(front),
            levers=levers, uncertainties=[p.name for p in model.uncertainties],
            files=sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())))
    print(f"wrote {args.out}/", file=sys.stderr)
    print(front[["policy", *(name for name, _, _ in OBJECTIVES), *levers]].round(3).to_string(index=False))


def _plain(value: object) -> object:
    """A value of the search's result table as a plain one: platypus returns a categorical lever as the
    Workbench's Category object, whose `value` is the level."""
    return getattr(value, "value", value)


def scenario_file(name: str, settings: dict[str, object], scores) -> str:
    """A policy as a scenario file on the base scenario: its overrides as TOML dotted keys, so `ntib run --scenario
    policy_1.toml` runs the policy (the scores say how it did in the search)."""
    lines = [f"# {name} of experiments/robust.py: "
             + ", ".join(f"{label} {getattr(scores, key):.4g}" for key, _, label in OBJECTIVES),
             f'name = "{name}"', f'description = "Robust policy {name} from experiments/robust.py"',
             f'extends = "{BASE}"', ""]
    lines += [assignment.replace("=", " = ", 1) for assignment in overrides_of(settings, BASE)]
    return "\n".join(lines) + "\n"


def pareto_figure(front: pd.DataFrame, path: Path) -> None:
    """The front, two objectives at a time, coloured by the third."""
    pairs = [(0, 1, 2), (0, 2, 1), (1, 2, 0)]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for ax, (i, j, k) in zip(axes, pairs):
        points = ax.scatter(front[OBJECTIVES[i][0]], front[OBJECTIVES[j][0]], c=front[OBJECTIVES[k][0]],
                            cmap="viridis", s=30, edgecolors="black", linewidths=0.3)
        ax.set_xlabel(OBJECTIVES[i][2], fontsize=8)
        ax.set_ylabel(OBJECTIVES[j][2], fontsize=8)
        ax.grid(alpha=0.3)
        fig.colorbar(points, ax=ax).set_label(OBJECTIVES[k][2], fontsize=8)
    fig.suptitle(f"Robust policies: the non-dominated set, each score the {PERCENTILE}th percentile over the "
                 "scenarios (all three are maximised)")
    save(fig, path)


if __name__ == "__main__":
    sys.exit(main(run, build))
