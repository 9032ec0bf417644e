"""Calibrate the behavioural parameters (ABC) and regenerate docs/calibration.md and the shipped posterior.

    python scripts/calibrate.py                                  # make calibration: resume or start, then report
    python scripts/calibrate.py --budget 50000 --keep 0.02 --scheduler tcp://HOST:8786   # on a cluster
    python scripts/calibrate.py --fresh                          # forget the stored draws, start over

The prior draws are kept in --database; an interrupted calibration resumes after its last finished batch,
and a larger --budget adds draws to those stored. The posterior (the kept draws) is written to
model/data/posterior.csv with its manifest posterior.json; the report, its figures (docs/img/calibration/) and
the posterior-predictive check are rebuilt from them. Nothing in the report is typed by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from model.common.errors import InputError
from model.data.country_data import country_data, sourced_rows
from model.data.patterns import patterns
from model.policy.params import Params, params_doc
from model.policy.posterior import MANIFEST_FILE, POSTERIOR_FILE, Posterior, default_point, read_posterior
from model.policy.priors import priors
from model.runs import calibration, validation
from model.runs.experiment import common_seeds
from model.runs.output import git_commit, versions, write_atomically, write_json
from model.ui.arguments import Parser, int_in, scheduler, share
from model.ui.figures import headless, save

ROOT = Path(__file__).resolve().parent.parent
PREDICTIVE_SHARE = 0.7  # a level pattern passes the predictive check when this share of posterior runs is in band
IDENTIFIED = 0.75  # a parameter is identified when its posterior sd is below this share of its prior sd
DEFAULT_GAP = 0.5  # a default agrees with the posterior when within this many posterior sd of its mean
MASTER_SEED = 2025  # the predictive check's draws and seeds
DEFAULT_SEEDS = 10  # runs at the default point for the checks table and the comparison
# the data file's checks, as the validation suite measures them over a whole run
CHECKS = {"us_primes_foreign_components": "us_foreign_component_share", "us_revenue_share": "us_revenue_share@run"}


def parser() -> Parser:
    p = Parser(prog="calibrate.py", description="Calibrate the behavioural parameters (ABC) and write the "
               "posterior and docs/calibration.md.")
    p.add_argument("--budget", type=int_in(10, 10_000_000), default=3500,
                   help="prior draws (one run each) in all, every session counted (default 3500, about 25 minutes "
                        "on 2 cores)")
    p.add_argument("--keep", type=share, default=0.1, help="share of the draws, the closest to the data, kept as "
                   "the posterior (default 0.1)")
    p.add_argument("--batch", type=int_in(1, 100_000), default=100, help="draws stored together; an interruption "
                   "loses at most one batch (default 100)")
    p.add_argument("--draws", type=int_in(10, 100_000), default=100,
                   help="posterior-predictive runs, each a posterior draw with its own seed (default 100)")
    p.add_argument("--workers", type=int_in(1, 1024), default=2, help="parallel runs (default 2)")
    p.add_argument("--scheduler", type=scheduler, default=None, help="a Dask scheduler tcp://HOST:PORT, or 'local'")
    p.add_argument("--database", type=Path, default=ROOT / "out" / "calibration" / "abc.db",
                   help="where the populations are kept (default out/calibration/abc.db)")
    p.add_argument("--fresh", action="store_true", help="delete --database first and start over")
    p.add_argument("--posterior", type=Path, default=ROOT / "model" / "data" / POSTERIOR_FILE,
                   help=f"where the posterior is written (default model/data/{POSTERIOR_FILE})")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "calibration.md", help="report path")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


# -- what the report says about the posterior ---------------------------------------------------------------


def parameter_table(post: Posterior) -> pd.DataFrame:
    """Per parameter: prior, value before calibration, posterior mean, sd and 90 % interval, and how much the
    data narrowed and moved it (in prior standard deviations)."""
    before, mean, sd = default_point(), post.mean(), post.sd()
    rows = []
    for j, name in enumerate(post.names):
        prior = priors()[name]
        prior_sd = prior.width / math.sqrt(12)
        low, high = weighted_quantiles(post.values[:, j], post.weights, (0.05, 0.95))
        rows.append({"parameter": name, "prior_low": prior.low, "prior_high": prior.high, "before": before[name],
                     "mean": mean[name], "sd": sd[name], "q05": low, "q95": high,
                     "contraction": sd[name] / prior_sd,
                     "shift": (mean[name] - (prior.low + prior.high) / 2) / prior_sd,
                     "gap": (before[name] - mean[name]) / sd[name] if sd[name] > 0 else math.nan,
                     "identified": sd[name] / prior_sd < IDENTIFIED})
    return pd.DataFrame(rows)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, levels: tuple[float, ...]) -> tuple[float, ...]:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - weights[order] / 2
    return tuple(float(np.interp(level, cumulative, values[order])) for level in levels)


def correlations(post: Posterior) -> pd.DataFrame:
    centred = post.values - post.weights @ post.values
    covariance = (centred * post.weights[:, None]).T @ centred
    scale = np.sqrt(np.diag(covariance))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(covariance / np.outer(scale, scale), index=post.names, columns=post.names)


def strongest_pairs(corr: pd.DataFrame, n: int = 10) -> list[tuple[str, str, float]]:
    names = list(corr.index)
    pairs = [(a, b, float(corr.loc[a, b])) for i, a in enumerate(names) for b in names[i + 1:]]
    return sorted(pairs, key=lambda p: -abs(p[2]) if np.isfinite(p[2]) else 0.0)[:n]


def predictive_table(runs: pd.DataFrame, default: pd.DataFrame) -> pd.DataFrame:
    """Share of posterior-predictive runs (and of default-point seeds) inside each level band, by window."""
    rows = []
    for pattern in (p for p in patterns().values() if p.kind == "levels"):
        for window in validation.WINDOWS:
            column = f"{pattern.name}@{window}"
            values = runs[column].to_numpy(dtype=float)
            rows.append({"pattern": pattern.name, "window": window, "low": pattern.low, "high": pattern.high,
                         "mean": float(np.nanmean(values)), "q05": float(np.nanquantile(values, 0.05)),
                         "q95": float(np.nanquantile(values, 0.95)),
                         "share_in_band": float(np.mean([pattern.holds(v) for v in values])),
                         "default_share": float(np.mean([pattern.holds(v) for v in default[column]]))})
    frame = pd.DataFrame(rows)
    return frame.assign(passes=frame["share_in_band"] >= PREDICTIVE_SHARE)


# -- figures ------------------------------------------------------------------------------------------------


def marginals_figure(post: Posterior, table: pd.DataFrame, path: Path) -> None:
    """Each parameter's weighted posterior histogram over its prior range (the prior is the flat line)."""
    columns = 6
    rows = math.ceil(len(post.names) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 1.9 * rows))
    for ax, (j, name) in zip(axes.flat, enumerate(post.names)):
        prior = priors()[name]
        bins = np.linspace(prior.low, prior.high, 13)
        ax.hist(post.values[:, j], bins=bins, weights=post.weights, density=True, color="#4c72b0", alpha=0.8)
        ax.axhline(1 / prior.width, color="0.3", lw=1, ls="--")
        ax.axvline(table.loc[j, "before"], color="#c44e52", lw=1.2)
        ax.set_title(name + (" *" if table.loc[j, "identified"] else ""), fontsize=8)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_yticks([])
    for ax in axes.flat[len(post.names):]:
        ax.set_visible(False)
    fig.suptitle("Posterior (bars) against the uniform prior (dashed); red: the value before calibration; "
                 "* identified (posterior sd < 0.75 of the prior's)", fontsize=10)
    save(fig, path)


def correlation_figure(corr: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(11, 9.5))
    image = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(corr)), corr.index, rotation=90, fontsize=6)
    ax.set_yticks(range(len(corr)), corr.index, fontsize=6)
    fig.colorbar(image, ax=ax, shrink=0.7, label="weighted posterior correlation")
    ax.set_title("Pairwise posterior correlations of the calibrated parameters")
    save(fig, path)


def predictive_figure(table: pd.DataFrame, path: Path) -> None:
    """Each level pattern's posterior-predictive 90 % range against its band, by window."""
    names = list(dict.fromkeys(table["pattern"]))
    fig, axes = plt.subplots(3, 4, figsize=(14, 8))
    offsets = {"first": -0.2, "last": 0.0, "run": 0.2}
    for ax, name in zip(axes.flat, names):
        rows = table[table["pattern"] == name]
        pattern = patterns()[name]
        ax.axhspan(pattern.low, pattern.high, color="#55a868", alpha=0.2, label="band")
        ax.axhline(pattern.value, color="#55a868", lw=1)
        for _, row in rows.iterrows():
            x = offsets[row["window"]]
            ax.errorbar([x], [row["mean"]], yerr=[[row["mean"] - row["q05"]], [row["q95"] - row["mean"]]], fmt="o",
                        color="#4c72b0", capsize=3)
        ax.set_xticks(list(offsets.values()), list(offsets))
        ax.set_xlim(-0.4, 0.4)
        ax.set_title(pattern.label, fontsize=8)
        ax.set_ylabel(pattern.unit, fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior-predictive check: mean and 90 % range of posterior runs (blue) against each band "
                 "(green), first five years, last five and the whole run", fontsize=10)
    save(fig, path)


# -- the report ---------------------------------------------------------------------------------------------


def number(value: float, digits: int = 3) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not np.isfinite(value):
        return "n/a"
    if value != 0 and abs(value) < 10 ** -digits:
        return f"{value:.2g}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def spread(values: pd.Series) -> str:
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def report(result: calibration.Calibration, post: Posterior, params: pd.DataFrame, corr: pd.DataFrame,
           predictive: pd.DataFrame, predictive_runs: pd.DataFrame, default_levels: pd.DataFrame,
           met: dict[str, int], args, seconds: float) -> str:
    manifest = post.manifest
    passed = int(predictive["passes"].sum())
    close = int((params["gap"].abs() <= DEFAULT_GAP).sum())
    identified = params[params["identified"]]["parameter"].tolist()
    lines = [
        "# Calibration: a posterior over the behavioural parameters",
        "",
        "Regenerated by `make calibration` (`scripts/calibrate.py`); never edited by hand. "
        f"Commit `{git_commit()}`, {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d')}, pyabc "
        f"{versions().get('pyabc')}; {seconds:.0f} s in this session on {args.workers} workers"
        + (f", resumed after {result.resumed_from} stored draws" if result.resumed_from else "") + ".",
        "",
        "## Method",
        "",
        f"Approximate Bayesian computation (ABC rejection, with pyabc) over the {len(post.names)} "
        "behavioural parameters that are tuned or assumed, each with a uniform prior from "
        "`model/data/priors.toml` (the table below gives every range and its basis). The data are the validation "
        "suite's level patterns (`model/data/patterns.toml`) in the first five years and in the last five years "
        f"of a {validation.YEARS}-year `status_quo` run: {len(calibration.observed())} statistics, so a parameter "
        "point whose levels drift out of band late in the run is penalised even when its average is in band. The "
        "distance is the root mean square over the statistics of the gap between model and observed value in "
        "half-bands: 1 means every pattern sits at the edge of its band. Each draw from the prior is one run with "
        "its own seed, so the posterior includes the model's own noise. The closest share of the draws is the "
        "posterior, with equal weights.",
        "",
        f"Budget: {result.simulations} draws ({result.draw_seconds / 60:.0f} minutes of wall time in all); the "
        f"closest {len(post.weights)} "
        f"({100 * manifest['budget']['keep']:g} %) are kept, up to a distance (epsilon) of "
        f"{number(result.epsilon)}.",
        "",
        "ABC-SMC, the usual choice, was tried first on the same priors, data and distance. In 45 dimensions its "
        "importance weights degenerate: after one perturbation step they spread over eight orders of magnitude, "
        "leaving an effective sample of 1 particle in 100; with a defensive mixture of the prior in the proposal, "
        "11 in 100 after three populations. Rejection keeps every accepted draw at full weight. A narrower "
        "posterior needs a larger `--budget` with a smaller `--keep`, on a cluster (`--scheduler`).",
        "",
        "## Posterior",
        "",
        f"{len(post.weights)} equally weighted particles. *Contraction* is the posterior standard deviation over "
        "the prior's; *shift* the move of the "
        "mean from the prior's centre, in prior standard deviations. A parameter is **identified** when its "
        f"contraction is below {IDENTIFIED}: the patterns narrow it. The others the patterns barely inform; their "
        "posterior is close to their prior, and the results carry that uncertainty.",
        "",
        f"Identified ({len(identified)} of {len(post.names)}): " + (", ".join(f"`{n}`" for n in identified)
                                                                     or "none") + ".",
        "",
        "![marginal posteriors](img/calibration/marginals.png)",
        "",
        "| parameter | prior | before | posterior mean | sd | 90 % interval | contraction | shift | identified | "
        "basis of the prior |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(f"| `{r.parameter}` | {number(r.prior_low, 4)}-{number(r.prior_high, 4)} | {number(r.before, 4)} | "
          f"{number(r.mean, 4)} | {number(r.sd, 4)} | {number(r.q05, 4)} to {number(r.q95, 4)} | "
          f"{number(r.contraction, 2)} | {number(r.shift, 2)} | {number(r.identified)} | "
          f"{priors()[r.parameter].basis} |" for r in params.itertuples()),
        "",
        "### Pairwise correlations",
        "",
        "The strongest weighted correlations between parameters in the posterior: pairs the patterns trade "
        "against each other (one can stand in for the other), so only their combination is pinned down.",
        "",
        "| parameter | parameter | correlation |",
        "|---|---|---|",
        *(f"| `{a}` | `{b}` | {number(r, 2)} |" for a, b, r in strongest_pairs(corr)),
        "",
        "![posterior correlations](img/calibration/correlations.png)",
        "",
        "## Posterior-predictive check",
        "",
        f"{args.draws} `status_quo` runs, each at a posterior draw with its own seed (master seed {MASTER_SEED}), "
        "measured like the validation suite. A level passes when at least "
        f"{100 * PREDICTIVE_SHARE:.0f} % of these runs are inside its band. The last column is the same share "
        f"over {DEFAULT_SEEDS} seeds at the parameter values before calibration. Passed: {passed} of "
        f"{len(predictive)}.",
        "",
        "| pattern | window | band | mean | 90 % range | share in band | passes | before calibration |",
        "|---|---|---|---|---|---|---|---|",
        *(f"| {patterns()[r.pattern].label} | {r.window} | {number(r.low)}-{number(r.high)} | {number(r.mean)} | "
          f"{number(r.q05)} to {number(r.q95)} | {number(r.share_in_band, 2)} | {number(r.passes)} | "
          f"{number(r.default_share, 2)} |" for r in predictive.itertuples()),
        "",
        "![posterior-predictive check](img/calibration/predictive.png)",
        "",
        "## The default point",
        "",
        "Single runs (`ntib run`, the page, the validation suite, the golden test) use the defaults of "
        "`model/policy/params.py`; sweeps draw from the posterior. The table compares the two for each calibrated "
        f"parameter: {close} of {len(params)} defaults lie within half a posterior standard deviation of the "
        f"posterior mean. Over seeds 1-{DEFAULT_SEEDS}, the defaults meet {met['default']} of {len(predictive)} "
        f"level verdicts of the validation suite, and the posterior mean (rounded to two significant figures) "
        f"meets {met['mean']}.",
        "",
        "| parameter | default | posterior mean | gap in posterior sd |",
        "|---|---|---|---|",
        *(f"| `{r.parameter}` | {number(r.before, 4)} | {number(r.mean, 4)} | {number(r.gap, 2)} |"
          for r in params.itertuples()),
        "",
        "## Checks (observed, not calibrated to)",
        "",
        "Observed figures reported beside the patterns, over the posterior-predictive runs and over the seeds at "
        "the values before calibration (mean ± sd).",
        "",
        "| check | observed | posterior runs | before calibration | source |",
        "|---|---|---|---|---|",
        *(f"| {key} | {t['value']} | {spread(predictive_runs[CHECKS[key]])} | {spread(default_levels[CHECKS[key]])} "
          f"| {t['source']} ({t['tag']}) |" for key, t in country_data().checks.items()),
        "",
        "",
        "## Every behavioural parameter",
        "",
        "The default of each parameter (`model/policy/params.py`) and how it was set. The calibrated ones carry "
        "the prior above; the rest are held fixed, as `model/data/priors.toml` explains.",
        "",
        "| parameter | value | how it was set |",
        "|---|---|---|",
        *(f"| {name} | {getattr(Params(), name)} | {doc} |" for name, _, doc in params_doc()),
        "",
        "## Observed figures in the data file",
        "",
        "Tags: S stated in the source, S2 secondary source, D derived (arithmetic shown), U uncertain proxy, "
        "A assumption where docs/sources.md has no figure; sources §X.Y is section X.Y of that file.",
        "",
        "| table | key | value | tag | source |",
        "|---|---|---|---|---|",
        *(f"| {t} | {k} | {v} | {tag} | {src} |" for t, k, v, tag, src in sourced_rows()),
    ]
    return "\n".join(lines) + "\n"


def posterior_files(result: calibration.Calibration, budget: calibration.Budget, path: Path) -> Posterior:
    """Write the posterior CSV and its manifest atomically, and read them back as the package will."""
    frame = result.particles.drop(columns=[calibration.DISTANCE])
    text = frame.to_csv(index=False, float_format="%.6g")
    manifest = {
        "method": "ABC rejection (pyabc): uniform priors, one run per draw, the closest `keep` share kept with "
                  "equal weights",
        "scenario": calibration.SCENARIO, "years": validation.YEARS,
        "priors": {n: {"low": p.low, "high": p.high} for n, p in priors().items()},
        "data": calibration.observed(), "half_bands": calibration.half_bands(),
        "distance": "root mean square of (model - observed) / half-band; a missing pattern counts "
                    f"{calibration.MISSING} half-bands",
        "budget": {"simulations": budget.simulations, "keep": budget.keep, "batch": budget.batch},
        "simulations": result.simulations, "kept": len(frame), "epsilon": result.epsilon,
        "draw_seconds": round(result.draw_seconds),
        "commit": git_commit(), "versions": versions(),
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_atomically(path, text)
    write_json(path.with_name(MANIFEST_FILE), manifest)
    return read_posterior(text, manifest)


def point_runs(post: Posterior, workers: int, scheduler_address: str | None, progress: bool
               ) -> dict[str, pd.DataFrame]:
    """The suite's measures over seeds 1..DEFAULT_SEEDS at the defaults and at the posterior mean (rounded to
    two significant figures, as a default would be written)."""
    mean = tuple(f"params.{name}={float(f'{value:.2g}')!r}" for name, value in post.mean().items())
    seeds = range(1, DEFAULT_SEEDS + 1)
    return validation.run({"default": [validation.Job("status_quo", (), s) for s in seeds],
                           "mean": [validation.Job("status_quo", mean, s) for s in seeds]},
                          workers, scheduler_address, progress)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        headless()
        start = time.monotonic()
        if args.fresh:
            args.database.unlink(missing_ok=True)
        budget = calibration.Budget(simulations=args.budget, keep=args.keep, batch=args.batch)
        result = calibration.calibrate(args.database, budget, args.workers, args.scheduler, not args.quiet)
        post = posterior_files(result, budget, args.posterior)
        draws = post.draws(args.draws, MASTER_SEED)
        predictive_runs = calibration.predictive(draws, common_seeds(MASTER_SEED, args.draws), args.workers,
                                                 args.scheduler, not args.quiet)
        points = point_runs(post, args.workers, args.scheduler, not args.quiet)
        default_levels = points["default"]
        params, corr = parameter_table(post), correlations(post)
        predictive = predictive_table(predictive_runs, default_levels)
        images = args.out.parent / "img" / "calibration"
        images.mkdir(parents=True, exist_ok=True)
        marginals_figure(post, params, images / "marginals")
        correlation_figure(corr, images / "correlations")
        predictive_figure(predictive, images / "predictive")
        met = {name: int(validation.level_table({"status_quo": frame})["met"].sum()) for name, frame in points.items()}
        write_atomically(args.out, report(result, post, params, corr, predictive, predictive_runs, default_levels,
                                          met, args, time.monotonic() - start))
    except InputError as exc:
        print(f"calibrate.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("calibrate.py: interrupted; the finished populations are kept, rerun to resume", file=sys.stderr)
        return 130
    print(f"calibrate.py: wrote {args.posterior}, {args.out} in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
