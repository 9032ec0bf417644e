"""Scenario discovery and robust search end to end at a tiny size: they write their boxes, policies, figures and
manifest, and a robust policy's scenario file runs as the policy."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.policy.scenario import load_scenario
from model.runs.ema import overrides_of

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
TINY = ["--years", "3", "--firm-scale", "0.004", "--workers", "1", "--quiet"]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"exploration_{name}", EXPERIMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_discovery_writes_its_boxes_and_reads_one_out(tmp_path, capsys):
    discovery = _script("discovery")
    flags = ["--runs", "80", "--threshold", "0.12", "--density", "0.7", *TINY, "--out", str(tmp_path)]
    assert discovery.main(discovery.run, discovery.build, flags) == 0
    experiments = pd.read_csv(tmp_path / "experiments.csv")
    assert len(experiments) == 80 and {"us_preference", "home_bias", "integration_index"} <= set(experiments.columns)
    interest = (experiments["integration_index"] >= 0.12) & (experiments["domestic_share__USA"] >= 0.9)
    assert (experiments["case_of_interest"] == interest).all()
    stats = pd.read_csv(tmp_path / "box_stats.csv")
    assert ((stats["density"] >= 0.7) & (stats["coverage"] > 0) & (stats["coverage"] <= 1)).all()
    boxes = pd.read_csv(tmp_path / "boxes.csv")
    numeric = boxes[boxes["kept"].isna()]
    assert (numeric["low"] >= numeric["sampled low"]).all() and (numeric["high"] <= numeric["sampled high"]).all()
    for name in ("discovery_tradeoff.png", "discovery_boxes.png", "manifest.json"):
        assert (tmp_path / name).is_file()
    assert json.loads((tmp_path / "manifest.json").read_text())["runs"] == 80
    assert "holds in" in capsys.readouterr().out


def test_discovery_with_no_case_of_interest_is_one_line(tmp_path, capsys):
    discovery = _script("discovery")
    flags = ["--runs", "10", "--threshold", "0.99", *TINY, "--out", str(tmp_path / "out")]
    assert discovery.main(discovery.run, discovery.build, flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "0 of 10 runs are cases of interest" in err[-1]
    # no result is left as if whole: only the runs, kept for a rerun with other thresholds
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".json", ".parquet"]


@pytest.mark.slow
def test_robust_search_writes_policies_that_run_as_scenarios(tmp_path):
    robust = _script("robust")
    flags = ["--nfe", "40", "--scenarios", "2", *TINY, "--out", str(tmp_path)]
    assert robust.main(robust.run, robust.build, flags) == 0
    front = pd.read_csv(tmp_path / "robust_policies.csv")
    assert len(front) >= 1 and {"integration_p10", "allied_capability_p10", "us_home_base_p10"} <= set(front.columns)
    scores = front[["integration_p10", "allied_capability_p10", "us_home_base_p10"]].to_numpy()
    for i, row in enumerate(scores):  # non-dominated: no other policy is at least as good on all three and better
        others = [other for j, other in enumerate(scores) if j != i]
        assert not any((other >= row).all() and (other > row).any() for other in others)
    first = front.iloc[0]
    spec = load_scenario(str(tmp_path / "policies" / f"{first['policy']}.toml"))
    levers = [c for c in front.columns if c not in ("policy", "integration_p10", "allied_capability_p10",
                                                     "us_home_base_p10")]
    direct = load_scenario("status_quo", overrides_of({name: first[name] for name in levers}))
    for code, policy in spec.policies.items():
        assert repr(policy) == repr(direct.policies[code])
    assert spec.schedules == direct.schedules
    assert (tmp_path / "robust_pareto.png").is_file()
