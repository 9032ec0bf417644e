"""The EMA Workbench adapter (model.runs.ema): an experiment on any evaluator, the Workbench's or the engine's,
is the run `ntib run` makes for the same settings, and the declarations hold to the project's own tables."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from model import NTIBModel, load_scenario
from model.common.countries import ALLIES, COUNTRIES, FIVE_EYES, SECTORS
from model.common.errors import InputError
from model.metrics.outcomes import run_summary
from model.policy.knobs import KNOBS, knob_overrides
from model.policy.levers import LEVERS
from model.policy.priors import priors
from model.runs.ema import (
    SEED,
    SUMMARY_OUTCOMES,
    EngineEvaluator,
    lever_paths,
    name_of,
    ntib_model,
    outcome_values,
    overrides_of,
    path_of,
)
from model.runs.single import run_one

# isort: split
# after model.runs.ema, which imports the Workbench without its warning that the optional ipyparallel is missing
from ema_workbench import MultiprocessingEvaluator, Policy, Scenario, SequentialEvaluator, perform_experiments
from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

YEARS, FIRM_SCALE = 3, 0.004  # small runs, about 0.1 s each
MODEL = ntib_model(years=YEARS, firm_scale=FIRM_SCALE)


@pytest.fixture(scope="module")
def design():
    """4 scenarios x 5 policies = 20 experiments, drawn once so every evaluator runs the same ones."""
    np.random.seed(20251)  # noqa: NPY002 - the Workbench's samplers draw from numpy's global generator
    return sample_uncertainties(MODEL, 4), sample_levers(MODEL, 5)


@pytest.fixture(scope="module")
def sequential(design):
    return perform_experiments(MODEL, *design, evaluator=SequentialEvaluator(MODEL))


def row_outcomes(outcomes: dict, i: int) -> dict[str, float]:
    return {name: float(values[i]) for name, values in outcomes.items()}


def test_twenty_experiments_are_the_runs_their_overrides_and_seed_make(sequential):
    experiments, outcomes = sequential
    assert len(experiments) == 20 and len(outcomes["integration_index"]) == 20
    # the seed is an uncertainty: one per scenario, common to the policies run on it
    assert experiments.groupby("scenario", observed=True)[SEED].nunique().eq(1).all()
    assert experiments[SEED].nunique() == 4
    for i, row in experiments.iterrows():
        model = NTIBModel("status_quo", seed=int(row[SEED]), years=YEARS, firm_scale=FIRM_SCALE,
                          overrides=overrides_of(row))
        np.testing.assert_equal(outcome_values(run_summary(model.run())), row_outcomes(outcomes, i))
    # the levers bite: policies on one scenario differ, and none is the plain status quo
    first = experiments["scenario"] == experiments["scenario"].iloc[0]
    assert len(set(outcomes["integration_index"][first])) == 5
    plain, _, _ = run_one("status_quo", int(experiments[SEED].iloc[0]), YEARS, FIRM_SCALE)
    assert outcome_values(plain)["integration_index"] != outcomes["integration_index"][0]


def test_an_experiment_is_what_ntib_run_prints_for_its_command(sequential):
    experiments, outcomes = sequential
    row = experiments.iloc[7]
    command = MODEL.function.command(row)
    assert command[:5] == ["run", "--scenario", "status_quo", "--seed", str(row[SEED])]
    assert command.count("--set") > 300
    done = subprocess.run([sys.executable, "-m", "model.ui.cli", *command, "--json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    np.testing.assert_equal(outcome_values(json.loads(done.stdout)), row_outcomes(outcomes, 7))


@pytest.mark.parametrize("workers", [1, 2])  # this process, and a process pool
def test_the_engine_evaluator_gives_the_sequential_outcomes(design, sequential, workers):
    with EngineEvaluator(MODEL, workers=workers) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(*design)
    np.testing.assert_equal(outcomes, sequential[1])
    assert experiments[SEED].tolist() == sequential[0][SEED].tolist()


# The Workbench's pool forks, and Python warns about forking a process with threads: tqdm's progress-bar monitor
# thread, which the forked workers never use.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_the_workbench_multiprocessing_evaluator_gives_the_sequential_outcomes(design, sequential):
    with MultiprocessingEvaluator(MODEL, n_processes=2) as evaluator:
        _, outcomes = evaluator.perform_experiments(*design)
    np.testing.assert_equal(outcomes, sequential[1])


def test_a_dask_local_cluster_gives_the_sequential_outcomes(design, sequential):
    with EngineEvaluator(MODEL, workers=2, scheduler="local") as evaluator:
        _, outcomes = evaluator.perform_experiments(*design)
    np.testing.assert_equal(outcomes, sequential[1])


def test_a_policy_naming_one_lever_leaves_every_other_to_the_scenario():
    experiments, outcomes = perform_experiments(MODEL, [Scenario("one", seed=7)], [Policy("one", USA__content_min=0.4)])
    assert set(experiments.columns) == {SEED, "USA__content_min", "scenario", "policy", "model"}
    # the lever holds for the run: status_quo's 2029 rise to 0.75 goes, nothing else changes
    assert overrides_of(experiments.iloc[0]) == ["USA.content_min=0.4", "USA.schedule=[]"]
    summary, _, _ = run_one(load_scenario("status_quo", ["USA.content_min=0.4", "USA.schedule=[]"]), 7, YEARS,
                            FIRM_SCALE)
    np.testing.assert_equal(outcome_values(summary), row_outcomes(outcomes, 0))


def test_one_partner_of_a_lever_the_base_sets_for_all_and_one_place_on_a_list():
    sets = overrides_of({"bid_noise": 0.2, "USA__ntib_treatment": True, "GBR__safe_share": 0.3,
                         "USA__preference_margin__GBR": 0.2, "USA__qualifying__NZL": True,
                         "USA__qualifying__EUR": False, "GBR__sovereign_sectors__air": True,
                         "CAN__exempt__USA": 0.5, "AUS__adaptation": "reciprocal"})
    spec = load_scenario("status_quo", sets)
    usa = spec.policies["USA"]
    assert spec.params.bid_noise == 0.2 and usa.ntib_treatment and spec.policies["GBR"].safe_share == 0.3
    assert usa.preference_margin.tolist() == [0.5, 0.2, 0.5, 0.5, 0.5, 0.5, 0.5]  # the base's 0.5 for the others
    assert [code for code, on in zip(COUNTRIES, usa.qualifying) if on] == ["GBR", "CAN", "AUS", "NZL"]
    assert [s for s, on in zip(SECTORS, spec.policies["GBR"].sovereign_sectors) if on] == ["air"]
    assert spec.policies["CAN"].exempt.tolist() == [0.5, 0, 0, 0, 0, 0, 0]
    assert spec.policies["AUS"].adaptation.mode == "reciprocal"
    assert spec.policies["GBR"].exempt.tolist() == load_scenario("status_quo").policies["GBR"].exempt.tolist()


def test_knobs_scope_sets_the_knobs_and_the_headline_levers():
    knobs = ntib_model(levers="knobs", years=YEARS, firm_scale=FIRM_SCALE)
    names = [lever.name for lever in knobs.levers]
    assert names[:len(KNOBS)] == list(KNOBS) and {f"{code}__offset_rate" for code in ALLIES} <= set(names)
    assert overrides_of({"us_preference": 0.25, "ntib_treatment": 0.7, "GBR__offset_rate": 0.5}) == [
        *knob_overrides("us_preference", 0.25), *knob_overrides("ntib_treatment", 0.7), "GBR.offset_rate=0.5"]


def test_names_are_identifiers_that_map_back_to_their_paths():
    paths = [*lever_paths(), *SUMMARY_OUTCOMES]
    assert all(name_of(p).isidentifier() and path_of(name_of(p)) == p for p in paths)
    assert [lever.name for lever in MODEL.levers] == [name_of(p) for p in lever_paths()]
    names = [v.name for v in (*MODEL.uncertainties, *MODEL.levers, *MODEL.outcomes)]
    assert len(names) == len(set(names))
    per_government = {code: [p.split(".", 1)[1] for p in lever_paths() if p.startswith(f"{code}.")]
                      for code in FIVE_EYES}
    assert {p.split(".")[0] for p in per_government["USA"]} == set(LEVERS)  # every lever of the table
    assert len({len(paths) for paths in per_government.values()}) == 1  # the same levers for every government
    assert "USA.licence_days.ROW" in lever_paths() and "USA.tariff_end_items.ROW" not in lever_paths()
    assert MODEL.levers["USA__licence_days__GBR"].upper_bound == 365.0  # capped: declared 3650


def test_the_engine_evaluator_opens_its_executor_for_one_call_when_not_entered():
    _, outcomes = perform_experiments(MODEL, [Scenario("seven", seed=7)], [Policy("open", USA__safe_share=0.5)],
                                      evaluator=EngineEvaluator(MODEL, workers=1))
    summary, _, _ = run_one(load_scenario("status_quo", ["USA.safe_share=0.5"]), 7, YEARS, FIRM_SCALE)
    np.testing.assert_equal(outcome_values(summary), row_outcomes(outcomes, 0))


@pytest.mark.parametrize("source", ["posterior", "prior"])
def test_uncertainty_ranges_lie_inside_the_priors(source):
    model = ntib_model(uncertainties=source, years=YEARS, firm_scale=FIRM_SCALE)
    ranges = {u.name: (u.lower_bound, u.upper_bound) for u in model.uncertainties if u.name != SEED}
    assert ranges.keys() == priors().keys()
    for name, (low, high) in ranges.items():
        prior = priors()[name]
        assert prior.low <= low < high <= prior.high, name
        assert (source == "prior") == ((low, high) == (prior.low, prior.high)), name


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: ntib_model(base="nowhere"), "scenario 'nowhere' not found"),
    (lambda: ntib_model(levers="some"), "levers 'some': expected one of all, knobs"),
    (lambda: ntib_model(uncertainties="likelihood"), "uncertainties 'likelihood': expected one of posterior, prior"),
    (lambda: ntib_model(years=0), "years: 0 is out of range"),
    (lambda: overrides_of({"USA__bogus": 1.0}), "USA__bogus: not a name of this model"),
    (lambda: overrides_of({"USA__ntib_treatment": 0.3}), "USA__ntib_treatment: expected true or false"),
    (lambda: EngineEvaluator(MODEL, workers=1, scheduler="nonsense").initialize(), "--scheduler 'nonsense'"),
])
def test_bad_input_is_one_clear_line(call, expected):
    with pytest.raises(InputError) as error:
        call()
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)
