"""The validation suite (docs/validation.md): the designs it runs, one measured run, and the verdicts.

Pattern-oriented modelling (Grimm et al. 2005): many observed patterns at once, each with its band and
source (model/data/patterns.toml), so that a model is judged on all of them together, not tuned to one.
Four kinds of check:

- levels, each in the first five years, the last five years and the whole run (a level, not a drift);
- dynamics (real cost growth, revenue against budgets, supplier survival);
- lever responses: for every lever of the policy table, the paired effect (common seeds) of a change whose
  direction theory predicts, with its 95 % interval;
- scale invariance: the same outcomes at larger firm populations, within seed noise;

and, for the headline comparisons, the seeds a ±25 % interval needs.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.common.countries import FIVE_EYES
from model.data.country_data import country_data
from model.data.patterns import Pattern, patterns
from model.metrics.statistics import mean_ci, runs_needed
from model.metrics.validation import dynamics, outcomes, snapshot, supplier_tail, window_levels
from model.runs.experiment import executor
from model.simulation.model import DEFAULT_FIRM_SCALE, NTIBModel

YEARS = 20
WINDOW_QUARTERS = 20  # the first and last five years
WINDOWS = ("first", "last", "run")
SCALES = {0.05: 10, 0.2: 5, 1.0: 3}  # firm scale -> seeds (fewer where runs are long)
MIN_SHARE_OF_SEEDS = 0.6  # a level is met when its mean is in band and at least this share of seeds is
RELATIVE_PRECISION = 0.25  # seeds needed for a 95 % interval of +-25 % of the effect


def _growth_overrides() -> tuple[str, ...]:
    """Budgets on their national targets (model/data/countries.toml budget_targets)."""
    targets = country_data().raw["budget_targets"]
    return (f"budgets.growth={{ {', '.join(f'{c} = {e['value']}' for c, e in targets.items())} }}",)


@dataclass(frozen=True)
class LeverCheck:
    """A lever change whose direction theory predicts: `treated` against `base`, paired over seeds."""

    lever: str
    change: str
    outcome: str
    sign: int  # +1: the treated run should have more of the outcome
    why: str
    treated: tuple[str, ...]
    base: tuple[str, ...] = ()


LEVER_CHECKS = (
    LeverCheck("preference_margin", "US margin 0.5 -> 0, no qualifying list", "us_foreign_share@run", +1,
               "a lower margin lets foreign offers win more US tenders",
               ("USA.qualifying=[]", "USA.preference_margin=0"), ("USA.qualifying=[]",)),
    LeverCheck("qualifying", "US qualifying list removed", "us_foreign_share@run", -1,
               "partners that lose qualifying status face the 50 % margin", ("USA.qualifying=[]",)),
    LeverCheck("content_min", "US content minimum 0 -> 0.75, qualifying content not counted",
               "us_foreign_share@run", -1, "allied offers whose usual supply chain holds too little US content "
               "fail the content test and are evaluated as foreign",
               ("USA.content_counts_qualifying=false", "USA.schedule=[]", "USA.content_min=0.75"),
               ("USA.content_counts_qualifying=false", "USA.schedule=[]", "USA.content_min=0")),
    LeverCheck("content_counts_qualifying", "qualifying-country content no longer counts in the US",
               "us_foreign_share@run", -1, "allied components stop counting, so allied offers with "
               "little US content fail the content test", ("USA.content_counts_qualifying=false",)),
    LeverCheck("tariff_end_items", "US end-item tariff 0.5 on every origin", "us_foreign_share@run", -1,
               "a duty makes foreign end items dearer", ("USA.tariff_end_items=0.5",)),
    LeverCheck("tariff_components", "US component tariff 0.5 on every origin", "us_foreign_component_share", -1,
               "a duty makes foreign components dearer", ("USA.tariff_components=0.5",)),
    LeverCheck("tariff_metals", "US metals tariff 1.0 on every origin", "us_foreign_component_share", -1,
               "a duty on metal content makes foreign components dearer", ("USA.tariff_metals=1.0",)),
    LeverCheck("duty_free_entry", "US duty-free entry 0.5 -> 1.0", "us_foreign_share@run", +1,
               "DoD's own imports escape the duty", ("USA.duty_free_entry=1.0",)),
    LeverCheck("licence_days", "US licence delay 180 days to every destination", "allied_purchases_from_us_bn", -1,
               "slow licences deter foreign buyers of US items", ("USA.licence_days=180",)),
    LeverCheck("exempt", "no US licence exemptions", "allied_purchases_from_us_bn", -1,
               "every allied purchase of US items needs a licence", ("USA.exempt=0",)),
    LeverCheck("denial_prob", "US licence denial 0.2 to every destination", "allied_purchases_from_us_bn", -1,
               "denied licences stop sales", ("USA.denial_prob=0.2",)),
    LeverCheck("offset_rate", "Canadian offset rate 1.0 -> 0", "can_domestic_value_share", -1,
               "offsets place work in the buyer's country", ("CAN.offset_rate=0",)),
    LeverCheck("offset_threshold_bn", "Australian offset threshold -> US$1,000bn (never applies)",
               "aus_domestic_value_share@run", -1, "offsets place work in the buyer's country",
               ("AUS.offset_threshold_bn=1000",)),
    LeverCheck("offset_exempt", "Canada exempts US firms from offsets", "can_domestic_value_share", -1,
               "offsets place work in the buyer's country", ('CAN.offset_exempt=["USA"]',)),
    LeverCheck("sovereign_sectors", "US air, land and maritime closed to foreign primes", "us_foreign_share@run", -1,
               "closed sectors keep foreign primes out",
               ('USA.sovereign_sectors=["air", "land", "maritime"]',)),
    LeverCheck("ntib_treatment", "every Five Eyes government treats NTIB members as domestic", "integration_index",
               +1, "partners escape preference, content and access rules",
               tuple(f"{c}.ntib_treatment=true" for c in FIVE_EYES)),
    LeverCheck("codev_support", "every Five Eyes government co-funds half of joint programmes",
               "codev_started_five_eyes", +1, "cheaper programmes are started more often",
               tuple(f"{c}.codev_support=0.5" for c in FIVE_EYES)),
    LeverCheck("safe_share", "allies run half their tenders under SAFE-like rules", "allied_purchases_from_eur_bn",
               +1, "SAFE tenders admit only home and European firms",
               tuple(f"{c}.safe_share=0.5" for c in FIVE_EYES if c != "USA")),
    LeverCheck("adaptation (reciprocal)", "US end-item tariff 0.5, allies reciprocal", "allied_barrier_on_us", +1,
               "reciprocal governments answer a partner's barrier",
               ("USA.tariff_end_items=0.5", *(f'{c}.adaptation={{ mode = "reciprocal" }}' for c in FIVE_EYES
                                              if c != "USA")),
               tuple(f'{c}.adaptation={{ mode = "reciprocal" }}' for c in FIVE_EYES if c != "USA")),
    LeverCheck("adaptation (industrial)", "US non-competed share cut to 0.1 in 2027, US industrial (threshold 0.01)",
               "us_home_share", +1, "an industrial government protects when its home share falls",
               ('USA.schedule=[{ at = 2027, noncompeted_share = 0.1 }]',
                'USA.adaptation={ mode = "industrial", threshold = 0.01 }'),
               ('USA.schedule=[{ at = 2027, noncompeted_share = 0.1 }]',)),
)
HEADLINES = (  # (label, base scenario, treated scenario, outcome)
    ("full NTIB against the status quo", "status_quo", "full_ntib", "integration_index"),
    ("the 2025 tariffs (status quo against pre-2025)", "pre_2025", "status_quo", "us_foreign_share@run"),
)


@dataclass(frozen=True)
class Job:
    """One run of the suite."""

    scenario: str
    overrides: tuple[str, ...]
    seed: int
    firm_scale: float = DEFAULT_FIRM_SCALE
    years: int = YEARS


def measure(job: Job) -> dict[str, float]:
    """Run one job and measure every pattern and outcome of the suite on it."""
    model = NTIBModel(job.scenario, seed=job.seed, years=job.years, firm_scale=job.firm_scale,
                      overrides=job.overrides)
    end = job.years * 4
    mid, early, late = end // 2, WINDOW_QUARTERS, end - WINDOW_QUARTERS
    snaps = {0: snapshot(model, 0)}
    tails = []
    while model.running:
        model.step()
        if model.steps in (early, mid, late, end):
            snaps[model.steps] = snapshot(model, model.steps)
        if model.steps in (early, mid, end):
            tails.append(supplier_tail(model))
    values: dict[str, float] = {}
    for window, (a, b) in zip(WINDOWS, ((0, early), (late, end), (0, end))):
        values.update({f"{k}@{window}": v for k, v in window_levels(model, snaps[a], snaps[b]).items()})
    for window, tail in (("first", tails[0]), ("last", tails[-1])):
        values.update({f"{k}@{window}": v for k, v in tail.items()})
    values.update({f"{k}@run": float(np.mean([t[k] for t in tails])) for k in tails[0]})
    values.update(dynamics(model, snaps[0], snaps[early], snaps[late], snaps[mid], snaps[end]))
    values.update(outcomes(model, snaps[0], snaps[end]))
    return values


def design(seeds: int, lever_seeds: int, scales: dict[float, int] | None = None) -> dict[str, list[Job]]:
    """Every group of jobs the suite runs, by name; seeds are 1..n, common to all groups (paired)."""
    scales = SCALES if scales is None else scales
    groups: dict[str, list[Job]] = {
        "status_quo": [Job("status_quo", (), s) for s in range(1, seeds + 1)],
        "growth": [Job("status_quo", _growth_overrides(), s) for s in range(1, lever_seeds + 1)],
    }
    for _, base, treated, _ in HEADLINES:
        for name in (base, treated):
            groups.setdefault(name, [Job(name, (), s) for s in range(1, seeds + 1)])
    for check in LEVER_CHECKS:
        groups[f"lever:{check.lever}:base"] = [Job("status_quo", check.base, s) for s in range(1, lever_seeds + 1)]
        groups[f"lever:{check.lever}:treated"] = [Job("status_quo", check.treated, s)
                                                  for s in range(1, lever_seeds + 1)]
    for scale, n in scales.items():
        groups[f"scale:{scale:g}"] = [Job("status_quo", (), s, scale) for s in range(1, n + 1)]
    return groups


def run(groups: dict[str, list[Job]], workers: int = 1, scheduler: str | None = None,
        progress: bool = True) -> dict[str, pd.DataFrame]:
    """Measure every job once (a job shared by several groups runs once) and return a table per group, one row
    per seed in seed order."""
    unique = list(dict.fromkeys(job for jobs in groups.values() for job in jobs))
    order = sorted(unique, key=lambda j: -j.firm_scale)  # the long runs first, so the pool ends together
    results: dict[Job, dict[str, float]] = {}
    with executor(workers, scheduler) as pool:
        futures = {pool.submit(measure, job): job for job in order}
        bar = tqdm(total=len(order), unit="run", desc="validation", disable=not progress, dynamic_ncols=True)
        for future in cf.as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
        bar.close()
    return {name: pd.DataFrame([{"seed": j.seed, **results[j]} for j in jobs]) for name, jobs in groups.items()}


# -- verdicts ---------------------------------------------------------------------------------------------


def _summary(values: pd.Series) -> dict[str, float]:
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"mean": math.nan, "sd": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "min": float(v.min()),
            "max": float(v.max()), "n": len(v)}


def level_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each level pattern in each window: mean, sd, range, share of seeds in band, met."""
    rows = []
    frame = results["status_quo"]
    for pattern in (p for p in patterns().values() if p.kind == "levels"):
        for window in WINDOWS:
            values = frame[f"{pattern.name}@{window}"]
            rows.append({"pattern": pattern.name, "window": window, **_verdict(pattern, values)})
    return pd.DataFrame(rows)


def dynamics_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for pattern in (p for p in patterns().values() if p.kind == "dynamics"):
        group = "growth" if pattern.name == "capacity_budget_elasticity" else "status_quo"
        rows.append({"pattern": pattern.name, "window": group, **_verdict(pattern, results[group][pattern.name])})
    return pd.DataFrame(rows)


REPORTED = ("us_capability_cost_growth",)  # measured on status_quo and shown, with no sourced band to judge it


def reported_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The measures shown without a verdict: mean, sd and range over the status-quo seeds."""
    return pd.DataFrame([{"outcome": name, **_summary(results["status_quo"][name])} for name in REPORTED])


def _verdict(pattern: Pattern, values: pd.Series) -> dict[str, object]:
    s = _summary(values)
    v = values.to_numpy(dtype=float)
    inside = float(np.mean([pattern.holds(x) for x in v])) if len(v) else math.nan
    met = bool(pattern.holds(s["mean"]) and inside >= MIN_SHARE_OF_SEEDS)
    return {**s, "low": pattern.low, "high": pattern.high, "share_in_band": inside, "met": met}


def paired(base: pd.Series, treated: pd.Series) -> dict[str, float]:
    """Mean paired difference with its 95 % interval, and the seeds a +-25 % interval would need."""
    d = (treated.to_numpy(dtype=float) - base.to_numpy(dtype=float))
    d = d[np.isfinite(d)]
    mean_array, half_array = mean_ci(d)
    mean, half = float(mean_array), float(half_array)
    sd = float(np.std(d, ddof=1)) if len(d) > 1 else math.nan
    needed = runs_needed(mean, sd, RELATIVE_PRECISION)
    return {"effect": mean, "lo": mean - half, "hi": mean + half, "sd": sd, "n": len(d), "seeds_needed": needed}


def lever_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for check in LEVER_CHECKS:
        base, treated = results[f"lever:{check.lever}:base"], results[f"lever:{check.lever}:treated"]
        effect = paired(base[check.outcome], treated[check.outcome])
        excludes_zero = effect["lo"] > 0 if check.sign > 0 else effect["hi"] < 0
        rows.append({"lever": check.lever, "change": check.change, "outcome": check.outcome,
                     "expected": "+" if check.sign > 0 else "-", **effect, "met": bool(excludes_zero)})
    return pd.DataFrame(rows)


SCALE_OUTCOMES = ("us_foreign_share@run", "can_share_to_us@run", "gbr_domestic_share@run",
                  "us_revenue_share@run", "us_effective_primes@run", "us_supplier_top10_share@run",
                  "us_effective_suppliers_share@run", "integration_index", "us_unit_cost_index",
                  "us_supplier_survival_decade", "codev_started_five_eyes", "firms_active")


def scale_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each outcome at each larger scale against the default scale: within seed noise when the difference of
    means is inside twice its standard error (Welch), or within 5 % of the default mean."""
    rows = []
    reference = results["status_quo"]
    for name in sorted(k for k in results if k.startswith("scale:")):
        frame = results[name]
        for outcome in SCALE_OUTCOMES:
            a, b = _summary(reference[outcome]), _summary(frame[outcome])
            se = math.sqrt((a["sd"] ** 2) / max(a["n"], 1) + (b["sd"] ** 2) / max(b["n"], 1))
            diff = b["mean"] - a["mean"]
            within = abs(diff) <= 2 * se or abs(diff) <= 0.05 * abs(a["mean"])
            rows.append({"firm_scale": float(name.split(":")[1]), "outcome": outcome, "default_mean": a["mean"],
                         "mean": b["mean"], "difference": diff, "se": se, "n": b["n"], "met": bool(within)})
    return pd.DataFrame(rows)


def headline_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for label, base, treated, outcome in HEADLINES:
        rows.append({"comparison": label, "outcome": outcome,
                     **paired(results[base][outcome], results[treated][outcome])})
    return pd.DataFrame(rows)
