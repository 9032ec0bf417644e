"""Study files: `ntib sweep study.toml` end to end, the designs it builds, and one-line refusals of bad files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.runs.experiment import Point, Sweep, common_seeds, plan
from model.runs.study_file import load_study
from model.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
STUDIES = sorted((ROOT / "experiments" / "studies").glob("*.toml"))
TINY = """
name = "tiny"
seeds = 2
years = 2
firm_scale = 0.002
parameters = "default"
outcomes = ["integration_index", "foreign_share.USA"]
figures = ["factors"]
[factors.margin]
knob = "us_preference"
range = [0, 1]
steps = 2
[factors.rules]
levels = { "with list" = [], "no list" = ["USA.qualifying=[]"] }
"""


def _write(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_tiny_study_runs_the_same_serial_and_on_a_pool_and_a_rerun_resumes(tmp_path, capsys):
    study = _write(tmp_path, TINY)
    assert main(["sweep", str(study), "--out", str(tmp_path / "serial"), "--workers", "1", "--quiet"]) == 0
    assert main(["sweep", str(study), "--out", str(tmp_path / "pool"), "--workers", "2", "--quiet"]) == 0
    serial = pd.read_csv(tmp_path / "serial" / "outcomes.csv")
    pool = pd.read_csv(tmp_path / "pool" / "outcomes.csv")
    pd.testing.assert_frame_equal(serial, pool)
    assert len(serial) == 4 and (serial["runs"] == 2).all()
    assert serial[["margin", "rules"]].values.tolist() == [[0.0, "with list"], [0.0, "no list"],
                                                          [1.0, "with list"], [1.0, "no list"]]
    for outcome in ("integration_index", "foreign_share.USA"):
        assert (serial[f"{outcome} lo"] <= serial[f"{outcome} mean"]).all()
        assert (serial[f"{outcome} mean"] <= serial[f"{outcome} hi"]).all()
    runs = pd.read_csv(tmp_path / "serial" / "runs.csv")
    assert len(runs) == 8 and set(runs.columns) >= {"point", "seed", "margin", "rules", "integration_index"}
    for name in ("factors.png", "manifest.json", "study.toml", "outcomes.md"):
        assert (tmp_path / "serial" / name).is_file()
    capsys.readouterr()
    assert main(["sweep", str(study), "--out", str(tmp_path / "serial"), "--quiet"]) == 0
    assert "0 runs now, 8 already stored" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "serial" / "outcomes.csv"), serial)


def test_a_margin_without_the_list_lowers_the_us_foreign_share(tmp_path):
    """The study's numbers are the model's: the margin bites once the qualifying list is gone."""
    study = _write(tmp_path, TINY.replace("seeds = 2", "seeds = 3").replace("years = 2", "years = 4"))
    assert main(["sweep", str(study), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "outcomes.csv").set_index(["margin", "rules"])
    share = table["foreign_share.USA mean"]
    assert share[(1.0, "no list")] < share[(0.0, "no list")]


def test_a_sobol_study_writes_its_indices(tmp_path):
    text = TINY.replace('figures = ["factors"]', 'design = "sobol"\nsamples = 4\nfigures = ["indices"]')
    text = text.replace("steps = 2\n", "").replace("seeds = 2", "seeds = 1")
    study = load_study(_write(tmp_path, text))
    design = study.build()
    assert design.sample is not None and design.sample.shape == (4 * (2 + 2), 2)
    assert main(["sweep", str(tmp_path / "study.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    indices = pd.read_csv(tmp_path / "out" / "sobol.csv")
    assert len(indices) == 2 * 2 and set(indices["factor"]) == {"margin", "rules"}
    assert {"S1", "S1 lo", "S1 hi", "ST", "ST lo", "ST hi"} <= set(indices.columns)
    assert (tmp_path / "out" / "sobol.png").is_file()


def test_a_latin_hypercube_stays_in_its_ranges_and_follows_its_seed(tmp_path):
    text = """
design = "latin_hypercube"
samples = 40
[factors.bias]
set = "params.home_bias"
range = [0.05, 0.3]
[factors.offset]
set = "CAN.offset_rate"
range = [0.0, 1.0]
distribution = "triangular"
mode = 0.8
"""
    first = load_study(_write(tmp_path, text)).build()
    again = load_study(_write(tmp_path, text)).build()
    other = load_study(_write(tmp_path, "master_seed = 7\n" + text)).build()
    values = np.array([[v for _, v in p.factors] for p in first.points])
    assert len(first.points) == 40 and first.points == again.points and first.points != other.points
    assert values[:, 0].min() >= 0.05 and values[:, 0].max() <= 0.3
    # one value per tenth of the range: a Latin hypercube stratifies every margin
    assert sorted(np.floor((values[:, 0] - 0.05) / 0.025).astype(int).tolist()) == sorted(list(range(10)) * 4)
    assert np.median(values[:, 1]) > 0.5  # the triangular mode at 0.8 pulls the draws up
    assert first.points[0].overrides[0].startswith("params.home_bias=")


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_every_shipped_study_file_loads(path):
    study = load_study(path)
    assert study.name == path.stem and study.build().points


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _keys(points, years: int = 20) -> set[str]:
    sweep = Sweep("keys", tuple(points), common_seeds(1, 1), 1, years)
    return {task.key for task in plan(sweep)}


def test_the_reciprocity_study_file_runs_what_the_script_runs():
    study = load_study(ROOT / "experiments" / "studies" / "reciprocity.toml")
    script = _script("reciprocity")
    grid = np.round(np.linspace(0.0, 1.0, 5), 4), np.round(np.linspace(0.2, 1.0, 5), 4)
    points = [script.Point.of(script.BASE, script.overrides(c, r, s)) for c in grid[0] for r in grid[1]
              for s in (False, True)]
    assert _keys(study.build().points) == _keys(points)


def test_a_morris_design_in_the_unit_cube_is_salib_on_the_real_ranges():
    """The unit sample scaled by each factor is the sample SALib draws on the real bounds: the same runs."""
    study = load_study(ROOT / "experiments" / "studies" / "sensitivity.toml")
    from SALib.sample import morris as morris_sample
    problem = {"num_vars": len(study.factors), "names": [f.name for f in study.factors],
               "bounds": [[f.low, f.high] for f in study.factors]}
    x = morris_sample.sample(problem, study.samples, num_levels=study.morris_levels, seed=study.master_seed)
    sets = [[a for f, v in zip(study.factors, row) for a in f.assignments(float(f"{v:.6g}"))] for row in x]
    points = [Point.of("status_quo", overrides) for overrides in dict.fromkeys(tuple(o) for o in sets)]
    assert _keys(study.build().points, 15) == _keys(points, 15)


BAD = [
    ("", "at least one [factors.NAME]"),
    ("colour = 1\n" + TINY, "unknown key 'colour'"),
    ('design = "grid"\n' + TINY, "'grid' is not allowed; allowed: full_factorial"),
    (TINY.replace("steps = 2\n", ""), "needs 'steps'"),
    (TINY.replace('knob = "us_preference"', 'knob = "preference"'), "knob: 'preference' is not allowed"),
    (TINY.replace("range = [0, 1]", "range = [0, 3]"), "leaves the knob's range"),
    (TINY.replace("range = [0, 1]", "range = [1, 0]"), "expected low below high"),
    (TINY.replace('knob = "us_preference"', 'set = "USA.preference_margins"'), "unknown lever"),
    (TINY.replace('knob = "us_preference"', 'set = "USA.content_min"').replace("[0, 1]", "[0, 2]"),
     "out of range"),
    (TINY.replace('"foreign_share.USA"', '"foreign_shares.*"'), "'foreign_shares.*' names no outcome"),
    (TINY.replace("seeds = 2", "seeds = 0"), "seeds: 0 is out of range"),
    (TINY.replace("seeds = 2", 'seeds = "two"'), "seeds: expected a whole number"),
    ('design = "sobol"\n' + TINY.replace("steps = 2\n", ""), "needs 'samples'"),
    (TINY.replace("years = 2", 'design = "sobol"\nsamples = 6\nyears = 2').replace("steps = 2\n", ""),
     "power of 2"),
    (TINY.replace("[factors.rules]", "[factors.seed]"), "factor name"),
    (TINY.replace('figures = ["factors"]', 'figures = ["indices"]'), "'indices' needs design"),
    (TINY.replace("seeds = 2", "scenarios = [\"status_quo\", \"no_such\"]\nseeds = 2"), "scenario 'no_such'"),
    ("name = \"x\"\n[factors.a\n", "not valid TOML"),
    (TINY.replace('levels = { "with list" = [], "no list" = ["USA.qualifying=[]"] }', 'levels = ["a"]'),
     "expected a table of named levels"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_study_files_are_refused_in_one_line(tmp_path, capsys, text, fragment):
    study = _write(tmp_path, text)
    assert main(["sweep", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_missing_study_file_is_one_line(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not found" in err
