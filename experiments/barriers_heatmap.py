"""US tariff level against US export-control friction toward the allies: integration and value for money.

Both knobs are set on status_quo (model/policy/knobs.py: tariff_level sets the US duty on end items and components
from every partner; export_friction sets the share of US exports to the allies that need a licence, and the
licence delay up to the 60-day target). Writes barriers_heatmap.png (integration index and capability per
dollar, each cell the mean with its 95 % half-width over seeds) and barriers_heatmap.csv/.md (mean, lo and hi
columns: the 95 % interval).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.metrics.derived import DERIVED
from model.metrics.statistics import ci_columns
from model.runs.study_file import load_study
from model.ui.study import (
    Headline,
    headline,
    main,
    point_where,
    report,
    spread_of,
    study_parser,
    sweep,
    with_steps,
    write_table,
)

STUDY = Path(__file__).with_name("studies") / "barriers_heatmap.toml"  # the design: tariff x friction grid

OUTCOMES = [DERIVED[key] for key in ("integration", "five_eyes_capability_per_bn")]


def build() -> argparse.ArgumentParser:
    study = load_study(STUDY)
    return study_parser("barriers_heatmap.py", __doc__, study, runs=study.factors[0].steps or 6,
                        runs_help="grid steps per axis (tariff 0-50 %%, friction 0-1)")


def run(args: argparse.Namespace) -> None:
    study = with_steps(load_study(STUDY), args.runs, "tariff", "friction")
    points = list(study.build().points)
    tariffs, frictions = (np.array(sorted({dict(p.factors)[name] for p in points})) for name in ("tariff", "friction"))
    design, res = sweep(args, study.name, points, series=study.series)
    integration = DERIVED["integration"]
    effect = headline(args, design, res, Headline(
        "no barriers against the highest tariff and full friction", integration.heading, integration.compute,
        point_where(points, tariff=float(tariffs[-1]), friction=float(frictions[-1])),
        point_where(points, tariff=0.0, friction=0.0))) if args.runs > 1 else None
    runs = res.runs.assign(**{outcome.key: outcome.compute(res.runs) for outcome in OUTCOMES})
    rows = []
    for (t, f), group in runs.groupby(["tariff", "friction"]):
        row = {"US tariff (%)": round(100 * t, 1), "export friction": f}
        for outcome in OUTCOMES:
            row |= ci_columns(outcome.label, group[outcome.key])
        rows.append(row)
    table = pd.DataFrame(rows)
    with report(args, design, res, effect) as out:
        figure(table, tariffs, frictions, spread_of(args), out)
        units = "; ".join(f"{outcome.label}: {outcome.unit}" for outcome in OUTCOMES)
        write_table(table, out, "barriers_heatmap", "US tariff level x export-control friction",
                    f"Mean and 95 % confidence interval (lo, hi) over {args.seeds} common {spread_of(args)}, "
                    f"{args.years} years from 2025Q1. Units: {units}.")
    print(table.round(3).to_string(index=False))


def figure(table: pd.DataFrame, tariffs: np.ndarray, frictions: np.ndarray, spread: str, out) -> None:
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(7 * len(OUTCOMES), 5.8), layout="constrained")
    for ax, outcome in zip(np.atleast_1d(axes), OUTCOMES):
        mean = table.pivot(index="US tariff (%)", columns="export friction", values=f"{outcome.label} mean")
        half = table.pivot(index="US tariff (%)", columns="export friction", values=f"{outcome.label} hi") - mean
        im = ax.imshow(mean.to_numpy(), origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(frictions)), [f"{f:g}" for f in frictions])
        ax.set_yticks(range(len(tariffs)), [f"{100 * t:g}" for t in tariffs])
        ax.set_xlabel("US export-control friction toward the allies\n(0 = licence-free, 1 = all licensed, 60 days)")
        ax.set_ylabel("US tariff on end items and components (%)")
        ax.set_title(outcome.label)
        span = np.nanmax(mean.to_numpy()) - np.nanmin(mean.to_numpy())
        for i in range(mean.shape[0]):
            for j in range(mean.shape[1]):
                v = mean.iat[i, j]
                dark = v < np.nanmin(mean.to_numpy()) + 0.6 * span
                ax.text(j, i, f"{v:.3g}\n±{half.iat[i, j]:.2g}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        fig.colorbar(im, ax=ax, label=textwrap.fill(outcome.unit, 50), shrink=0.85)
    fig.suptitle(f"Barriers to US trade with the allies (mean ± 95 % half-width over {spread})")
    fig.savefig(out / "barriers_heatmap.png", dpi=130)
    fig.savefig(out / "barriers_heatmap.svg")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main(run, build))
