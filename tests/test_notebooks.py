"""The notebooks run top to bottom at small sizes, and what they print is what the model computes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(name: str, monkeypatch, tmp_path: Path) -> nbformat.NotebookNode:
    for key, value in {"NTIB_YEARS": "2", "NTIB_SEEDS": "2", "NTIB_WORKERS": "1",
                       "NTIB_NOTEBOOK_OUT": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                     for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@pytest.mark.slow
def test_quickstart_runs_and_reports_the_model(monkeypatch, tmp_path):
    nb = execute("01_quickstart.ipynb", monkeypatch, tmp_path)
    out = text(nb)
    assert "status_quo" in out and "8 quarters" in out
    assert any(o.get("data", {}).get("image/png") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_policy_analysis_runs_a_sweep_and_reads_a_script_output(monkeypatch, tmp_path):
    nb = execute("02_policy_analysis.ipynb", monkeypatch, tmp_path)
    out = text(nb)
    assert "paired t-test" in out and "preference_sweep.csv" in out
    assert (tmp_path / "preference_sweep" / "preference_sweep.png").is_file()
    assert (tmp_path / "tariffs" / "manifest.json").is_file()


@pytest.mark.slow
def test_exploratory_modelling_runs_workbench_experiments_and_finds_a_prim_box(monkeypatch, tmp_path):
    nb = execute("03_exploratory_modelling.ipynb", monkeypatch, tmp_path)
    out = text(nb)
    assert "40 experiments" in out and "coverage" in out and "density" in out
    assert "same outcomes as sequential: True" in out
    assert any(o.get("data", {}).get("image/png") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
