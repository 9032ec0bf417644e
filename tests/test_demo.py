"""The main job, `ntib demo`: its comparison table takes its outcomes from the one table of derived outcomes and
human names, is numeric, and is written whole with a manifest."""

import json

import numpy as np
import pandas as pd
import pytest

from model.metrics.derived import DERIVED
from model.runs.experiment import flatten
from model.runs.single import run_one
from model.ui import cli
from model.ui.demo import ROWS, SCENARIOS, comparison_table


@pytest.fixture(scope="module")
def summaries() -> dict[str, list[dict]]:
    return {name: [run_one(name, seed, 2)[0] for seed in (1, 2, 3)] for name in SCENARIOS}


def test_the_table_has_an_outcome_per_row_named_and_numeric(summaries):
    table = comparison_table(summaries)
    assert list(table["outcome"]) == [label for label, _, _ in ROWS]
    assert not any("_" in label for label in table["outcome"]) and table["unit"].str.len().min() > 5
    numbers = table.drop(columns=["outcome", "unit"])
    assert list(numbers.columns[:3]) == ["status_quo mean", "status_quo lo", "status_quo hi"]
    assert numbers.dtypes.map(lambda t: t.kind == "f").all() and np.isfinite(numbers.to_numpy()).all()


def test_the_alliance_outcomes_are_the_derived_ones(summaries):
    table = comparison_table(summaries).set_index("outcome")
    for key in ("integration", "five_eyes_codev", "allied_tech"):
        outcome = DERIVED[key]
        runs = pd.DataFrame([flatten(s) for s in summaries["full_ntib"]])
        assert table.loc[outcome.label, "unit"] == outcome.unit
        assert table.loc[outcome.label, "full_ntib mean"] == pytest.approx(outcome.compute(runs).mean())
    difference = table["full_ntib - status_quo mean"]  # paired by seed: the mean difference is that of the means
    assert np.allclose(difference, table["full_ntib mean"] - table["status_quo mean"])


def test_ntib_demo_writes_its_table_figures_and_manifest(tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--seeds", "2", "--years", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "integration index" in printed and "units:" in printed
    written = pd.read_csv(out / "comparison.csv")
    assert list(written["outcome"]) == [label for label, _, _ in ROWS]
    assert {"integration_index.png", "flows_heatmap.png", "technology.png", "unit_cost_index.png"} <= {
        path.name for path in out.iterdir()}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenarios"] == list(SCENARIOS) and manifest["seeds"] == [1, 2] and manifest["years"] == 1
