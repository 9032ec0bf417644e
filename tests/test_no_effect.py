"""An override that changes nothing says so in one warning line (model.policy.no_effect), from the command line
and from Python alike; every rule is checked against real runs, which must come out identical without it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from model import NTIBModel, load_scenario
from model.metrics.outcomes import run_summary
from model.runs.experiment import Point, Sweep, plan

QUALIFY_ALL = 'USA.qualifying=["GBR", "CAN", "AUS", "NZL", "EUR"]'
# (scenario, overrides, what the last override's warning must say); the last override changes nothing
UNCHANGED = [
    ("status_quo", ["USA.preference_margin=0.5"], "status_quo already has that value"),
    ("status_quo", ["USA.tariff_end_items.CAN=0.35"], "status_quo already has that value"),
    ("status_quo", ["params.markup=0.1"], "status_quo already has that value"),
    ("status_quo", ["USA.content_min=0.7", "USA.content_min=0.7"], "status_quo already has that value"),
    ("status_quo", ["USA.tariff_end_items.USA=0.3"], "USA.tariff_end_items is never used toward USA itself"),
    ("status_quo", ["USA.tariff_components.ROW=0.4"], "toward ROW, which has no firms"),
    ("status_quo", ["USA.licence_days.USA=90"], "USA.licence_days is never used toward USA itself"),
    ("status_quo", ['GBR.qualifying=["GBR"]'], "GBR.qualifying is never used toward GBR itself"),
    ("status_quo", [QUALIFY_ALL, "USA.content_min=0.5", "USA.schedule=[]", "USA.preference_margin=0.1"],
     "so no offer ever pays USA's preference margin"),
    ("status_quo", ["USA.duty_free_entry=1", "USA.tariff_end_items=0.6"], "enter duty-free"),
    ("status_quo", ["USA.exempt.NZL=1", "USA.licence_days.NZL=300"], "exempts every export to NZL from licences"),
    ("status_quo", ["USA.exempt.NZL=1", "USA.denial_prob.NZL=0.9"], "exempts every export to NZL from licences"),
    ("status_quo", ["EUR.ntib_treatment=true"], "EUR is not an NTIB member"),
    ("status_quo", ['alliance.ntib_members=["USA", "GBR"]'], "no government gives NTIB treatment"),
    ("full_ntib", ["USA.tariff_end_items.NZL=0"], "full_ntib already has that value"),
]
# near misses: each changes something (checked by a run), so none may warn
CHANGED = [
    ("status_quo", ["USA.tariff_end_items.CAN=0"]),
    ("status_quo", ["USA.qualifying=[]", "USA.preference_margin=0.1"]),
    # offers that fail the content test pay the margin
    ("status_quo", [QUALIFY_ALL, "USA.content_counts_qualifying=false", "USA.content_min=0.9",
                    "USA.preference_margin=0"]),
    ("status_quo", ["USA.exempt.NZL=0.9", "USA.licence_days.NZL=300"]),
    ("status_quo", ["USA.ntib_treatment=true", 'alliance.ntib_members=["USA", "GBR"]']),
    ("status_quo", ["USA.tariff_end_items=0.3"]),
]
RUN = {"years": 5, "firm_scale": 0.004}


def history(scenario: str, overrides: list[str], seed: int) -> tuple[str, pd.DataFrame]:
    model = NTIBModel(scenario, seed=seed, overrides=overrides, **RUN).run()
    return json.dumps(run_summary(model)), model.timeseries()


def same_history(scenario: str, first: list[str], second: list[str]) -> bool:
    for seed in (1, 2):
        (summary_a, series_a), (summary_b, series_b) = history(scenario, first, seed), history(scenario, second, seed)
        if summary_a != summary_b or not series_a.equals(series_b):
            return False
    return True


@pytest.mark.parametrize(("scenario", "overrides", "fragment"), UNCHANGED, ids=str)
def test_an_override_that_changes_nothing_warns_and_changes_nothing(scenario, overrides, fragment, capsys):
    load_scenario(scenario, overrides)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [line for line in lines if line.startswith("ntib: warning: --set ")]
    assert lines[-1].startswith(f"ntib: warning: --set {overrides[-1]} changes nothing: ") and fragment in lines[-1]
    assert same_history(scenario, overrides, overrides[:-1])


@pytest.mark.parametrize(("scenario", "overrides"), CHANGED, ids=str)
def test_an_override_that_can_change_something_does_not_warn(scenario, overrides, capsys):
    load_scenario(scenario, overrides)
    assert capsys.readouterr().err == ""
    assert not same_history(scenario, overrides, overrides[:-1])


def test_the_command_line_warns_in_one_line_and_still_runs():
    done = subprocess.run([sys.executable, "-m", "model.ui.cli", "run", "--years", "1", "--json", "--set",
                           "USA.preference_margin=0.5", "--set", "USA.tariff_end_items.CAN=0"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert done.stderr.splitlines() == ["ntib: warning: --set USA.preference_margin=0.5 changes nothing: status_quo "
                                        "already has that value"]
    assert json.loads(done.stdout)["years"] == 1


def test_python_api_warns_once_per_load(capsys):
    NTIBModel("status_quo", years=1, overrides=["USA.content_min=0.65"])
    assert capsys.readouterr().err.count("ntib: warning: --set USA.content_min=0.65 changes nothing") == 1


def test_each_override_is_judged_against_those_before_it(capsys):
    # the second sets the default of the mode the first chose, so it changes nothing
    load_scenario("status_quo", ['CAN.adaptation={mode="reciprocal"}', "CAN.adaptation.lag=2"])
    assert capsys.readouterr().err.splitlines() == [
        "ntib: warning: --set CAN.adaptation.lag=2 changes nothing: status_quo already has that value"]
    # the first alone is invalid (a setting without a mode), so neither can be judged, and neither warns
    spec = load_scenario("status_quo", ["CAN.adaptation.lag=2", "CAN.adaptation.mode=reciprocal"])
    assert spec.policies["CAN"].adaptation.mode == "reciprocal" and capsys.readouterr().err == ""


def test_a_sweep_point_at_the_base_value_does_not_warn(capsys):
    sweep = Sweep("grid", (Point.of("status_quo", ["USA.preference_margin=0.5"]),), (1,), 1, years=1)
    assert len(plan(sweep)) == 1
    assert capsys.readouterr().err == ""
