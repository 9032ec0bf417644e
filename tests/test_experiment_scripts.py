"""The experiment scripts end to end at a tiny size: each writes its files and its tables hold sane numbers."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.metrics.derived import DERIVED

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"


def _script(name: str):
    """Import experiments/<name>.py as a module (the folder is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"experiment_{name}", EXPERIMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _tiny(out: Path, *flags: str) -> list[str]:
    return [*flags, "--workers", "1", "--quiet", "--out", str(out)]


def test_sensitivity_script(tmp_path):
    sensitivity = _script("sensitivity")
    assert sensitivity.main(sensitivity.run, sensitivity.build,
                            _tiny(tmp_path, "--runs", "2", "--seeds", "1", "--years", "1")) == 0
    for stem in ("sensitivity_morris", "sensitivity_sobol"):
        for ext in ("png", "svg", "csv", "md"):
            assert (tmp_path / f"{stem}.{ext}").is_file(), f"{stem}.{ext} missing"
    morris = pd.read_csv(tmp_path / "sensitivity_morris.csv")
    assert set(morris["factor"]) == {f.name for f in sensitivity.load_study(sensitivity.STUDY).factors}
    assert set(morris["outcome"]) == {"integration index", "US foreign share", "allied technology",
                                      "US unit-cost index"}
    assert DERIVED["allied_tech"].heading in (tmp_path / "sensitivity_morris.md").read_text()  # units in the note
    assert np.isfinite(morris[["mu_star", "sigma"]]).all().all() and (morris["mu_star"] >= 0).all()
    sobol = pd.read_csv(tmp_path / "sensitivity_sobol.csv")
    assert set(sobol["factor"]) == set(morris.loc[morris["kept"], "factor"])
    assert np.isfinite(sobol[["S1", "ST"]]).all().all() and (sobol["ST"] >= -0.1).all()


def test_sensitivity_refuses_a_base_sample_that_is_not_a_power_of_two(tmp_path, capsys):
    sensitivity = _script("sensitivity")
    assert sensitivity.main(sensitivity.run, sensitivity.build, _tiny(tmp_path, "--runs", "12")) == 2
    assert "power of 2" in capsys.readouterr().err


def test_reciprocity_script(tmp_path):
    reciprocity = _script("reciprocity")
    assert reciprocity.main(reciprocity.run, reciprocity.build,
                            _tiny(tmp_path, "--runs", "2", "--seeds", "2", "--years", "3")) == 0
    for stem in ("reciprocity_heatmaps", "barrier_over_time", "reciprocity"):
        for ext in (("csv", "md") if stem == "reciprocity" else ("png", "svg")):
            assert (tmp_path / f"{stem}.{ext}").is_file(), f"{stem}.{ext} missing"
    table = pd.read_csv(tmp_path / "reciprocity.csv")
    assert len(table) == 4 and (table["seeds"] == 2).all()
    for name in ("spiral", "retaliation"):
        share, low, high = (table[f"{name} (share of seeds)"], table[f"{name} CI low"], table[f"{name} CI high"])
        assert share.between(0, 1).all() and (low <= share).all() and (share <= high).all() and high.le(1).all()


def test_wilson_interval_matches_the_textbook_values():
    wilson = _script("reciprocity").wilson
    assert np.allclose(wilson(0, 10), (0.0, 0.2775), atol=1e-4)
    assert np.allclose(wilson(5, 10), (0.2366, 0.7634), atol=1e-4)
    assert np.allclose(wilson(10, 10), (0.7225, 1.0), atol=1e-4)


def test_scenarios_script(tmp_path):
    scenarios = _script("scenarios")
    assert scenarios.main(scenarios.run, scenarios.build, _tiny(tmp_path, "--runs", "2", "--seeds", "2",
                                                                "--years", "2")) == 0
    for stem in ("key_outcomes", "integration_over_time", "us_foreign_share", "flows_heatmap"):
        assert (tmp_path / f"{stem}.png").is_file() and (tmp_path / f"{stem}.svg").is_file()
        shown = re.findall(r"<!-- (.*?) -->", (tmp_path / f"{stem}.svg").read_text())  # the texts it shows
        assert "full NTIB" in shown and not any("full_ntib" in text for text in shown), stem
    table = pd.read_csv(tmp_path / "scenario_outcomes.csv")
    # the study file's order, status_quo first (not the first two alphabetically)
    assert table["scenario"].tolist() == ["status_quo", "full_ntib"]
    # every column but the scenario is a number: each outcome's mean and its 95 % interval (lo, hi)
    assert all(pd.api.types.is_float_dtype(table[c]) for c in table.columns[1:])
    means = [c for c in table.columns if c.endswith(" mean")]
    # one column per key outcome, named by its one definition (label and unit) in model.metrics.derived
    assert means == [f"{outcome.heading} mean" for outcome in scenarios.OUTCOMES]
    assert "Canada's purchases from the US (% of Canadian end-item procurement from US primes, run total) mean" in means
    for mean in means:
        stem = mean[: -len(" mean")]
        assert (table[f"{stem} lo"] <= table[mean]).all() and (table[mean] <= table[f"{stem} hi"]).all()


@pytest.mark.parametrize(("script", "runs"), [("scenarios", 9), ("surge", 4)])
def test_runs_beyond_the_design_are_refused(tmp_path, capsys, script, runs):
    module = _script(script)
    assert module.main(module.run, module.build, _tiny(tmp_path, "--runs", str(runs))) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--runs" in err and "out of range" in err


def test_preference_sweep_script(tmp_path):
    sweep = _script("preference_sweep")
    assert sweep.main(sweep.run, sweep.build, _tiny(tmp_path, "--runs", "2", "--seeds", "2", "--years", "2")) == 0
    table = pd.read_csv(tmp_path / "preference_sweep.csv")
    assert len(table) == 4 and sorted(set(table["US preference margin (%)"])) == [0.0, 100.0]
    assert [c for c in table.columns if c.endswith(" mean")] == [f"{o.heading} mean" for o in sweep.OUTCOMES]
    sales = table[f"{DERIVED['allied_sales_to_us'].heading} mean"]  # US$bn a year: the 2-year total halved
    assert (sales > 0).all() and (sales < 1000).all()
    assert (tmp_path / "preference_sweep.png").is_file() and (tmp_path / "manifest.json").is_file()


def test_headline_effect_from_seeds_alone_and_with_posterior_draws(tmp_path):
    sweep = _script("preference_sweep")
    assert sweep.main(sweep.run, sweep.build, _tiny(tmp_path, "--runs", "3", "--seeds", "3", "--years", "2")) == 0
    table = pd.read_csv(tmp_path / "headline_uncertainty.csv")
    assert table["uncertainty"].tolist() == ["seeds alone", "seeds and parameters"]
    assert (table["lo"] <= table["mean"]).all() and (table["mean"] <= table["hi"]).all()
    assert (table["runs"] == 3).all() and (table["runs for ±25 %"] >= 2).all()
    seed_sd, parameter_sd = table.loc[0, "sd from seeds"], table.loc[0, "sd from parameters"]
    total = table.loc[1, "sd of a run's effect"]
    assert seed_sd >= 0 and parameter_sd == pytest.approx(np.sqrt(max(total**2 - seed_sd**2, 0.0)))
    assert table.loc[0, "dominant source"] == ("parameters" if parameter_sd > seed_sd else "seeds")
    assert (tmp_path / "store-seeds").is_dir() and (tmp_path / "store-replicate").is_dir()


def test_barriers_heatmap_script(tmp_path):
    heat = _script("barriers_heatmap")
    assert heat.main(heat.run, heat.build, _tiny(tmp_path, "--runs", "2", "--seeds", "2", "--years", "2")) == 0
    table = pd.read_csv(tmp_path / "barriers_heatmap.csv")
    assert len(table) == 4 and table["integration index mean"].between(0, 100).all()
    mean = table["integration index mean"]
    assert (table["integration index lo"] <= mean).all() and (mean <= table["integration index hi"]).all()
    assert (table["Five Eyes capability per dollar mean"] > 0).all()


def test_surge_script(tmp_path):
    surge = _script("surge")
    assert surge.main(surge.run, surge.build, _tiny(tmp_path, "--runs", "1", "--seeds", "2", "--years", "4")) == 0
    table = pd.read_csv(tmp_path / "surge_outcomes.csv")
    assert table["shock"].tolist() == ["demand surge", "supply disruption"]
    met = table["share of demand met (%) mean"]
    assert met.between(20, 100).all()
    assert (table["share of demand met (%) lo"] <= met).all() and (met <= table["share of demand met (%) hi"]).all()


@pytest.mark.parametrize(("flags", "fragment"), [
    (["--runs", "0"], "--runs"), (["--seeds", "many"], "--seeds"), (["--workers", "-1"], "--workers"),
    (["--scheduler", "localhost"], "tcp://HOST:PORT"), (["--years", "500"], "--years"), (["--bogus"], "--bogus"),
    (["--firm-scale", "9"], "--firm-scale")])
def test_bad_flags_are_one_line_and_write_nothing(tmp_path, capsys, flags, fragment):
    scenarios = _script("scenarios")
    out = tmp_path / "out"
    assert scenarios.main(scenarios.run, scenarios.build, [*flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and fragment in err and "Traceback" not in err
    assert not out.exists()


def test_an_out_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    scenarios = _script("scenarios")
    (tmp_path / "taken").write_text("not a folder")
    assert scenarios.main(scenarios.run, scenarios.build, ["--out", str(tmp_path / "taken")]) == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["scenarios", "sensitivity", "preference_sweep", "barriers_heatmap"])
def test_scripts_take_their_outcomes_from_the_one_table(name):
    """No script defines an outcome of its own: each one it reports is model.metrics.derived's, by key."""
    outcomes = _script(name).OUTCOMES
    assert outcomes and all(outcome is DERIVED[outcome.key] for outcome in outcomes)
