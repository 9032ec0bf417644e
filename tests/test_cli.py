"""The ntib command end to end, as a user runs it: output contract, reproducibility, errors, atomic --out."""

import json
import re
import subprocess
import sys

import pytest

from model.ui.cli import readable

NTIB = [sys.executable, "-m", "model.ui.cli"]


def ntib(*args, **kw):
    return subprocess.run([*NTIB, *args], capture_output=True, text=True, timeout=300, **kw)


def test_run_json_prints_exactly_one_object_and_is_byte_identical():
    args = ("run", "--scenario", "status_quo", "--years", "20", "--seed", "1", "--json")
    first, second = ntib(*args), ntib(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    lines = [line for line in first.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["scenario"] == "status_quo" and data["seed"] == 1 and data["years"] == 20
    assert set(data["foreign_share"]) == {"USA", "GBR", "CAN", "AUS", "NZL", "EUR"}
    other = json.loads(ntib("run", "--years", "20", "--seed", "2", "--json").stdout)
    assert other["flows"] != data["flows"]


def test_scenarios_lists_each_with_a_description():
    out = ntib("scenarios")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert "status_quo" in names and "full_ntib" in names and len(names) >= 8


@pytest.mark.parametrize(("args", "fragment"), [
    (("run", "--years", "0"), "--years"),
    (("run", "--years", "abc"), "--years"),
    (("run", "--seed", "-1"), "--seed"),
    (("run", "--firm-scale", "5"), "--firm-scale"),
    (("run", "--bogus"), "unrecognized arguments"),
    (("run", "--scenario", "nowhere"), "not found"),
    (("run", "--set", "USA.nonsense=1"), "unknown lever 'nonsense'"),
    (("run", "--set", "USA.content_min=7"), "out of range"),
    (("frobnicate",), "invalid choice"),
    (("run", "--out", ""), "--out: expected a folder path, got ''"),
    (("sweep", "x.toml", "--out", " "), "--out: expected a folder path"),
    (("viz", "--host", "no-such-host.invalid", "--port", "1"), "expected an address of this machine"),
])
def test_bad_input_gets_one_line_and_nonzero_exit(args, fragment):
    out = ntib(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_out_writes_results_with_manifest(tmp_path):
    out = ntib("run", "--years", "3", "--out", str(tmp_path / "res"), "--set", "USA.preference_margin=0.3")
    assert out.returncode == 0, out.stderr
    files = {p.name for p in (tmp_path / "res").iterdir()}
    assert {"summary.json", "timeseries.csv", "manifest.json", "integration_index.png", "flows_heatmap.png",
            "technology.png", "unit_cost_index.png"} <= files
    manifest = json.loads((tmp_path / "res" / "manifest.json").read_text())
    assert manifest["overrides"] == ["USA.preference_margin=0.3"] and manifest["seed"] == 1
    assert manifest["params"]["tech_gap"] > 0 and manifest["versions"]["mesa"].startswith("3.")
    assert not [p for p in (tmp_path / "res").iterdir() if p.name.startswith(".staging")]


def test_bad_input_writes_nothing_to_out(tmp_path):
    target = tmp_path / "res"
    out = ntib("run", "--out", str(target), "--set", "USA.content_min=9")
    assert out.returncode == 2
    assert not target.exists() or not any(target.iterdir())


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = ntib("run", "--years", "1", "--out", str(blocker / "sub"))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "--out" in out.stderr


def test_bench_passes_options_through_and_refuses_a_bad_flag_in_one_line():
    done = ntib("bench", "--no-such-flag")
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "--no-such-flag" in done.stderr and "Traceback" not in done.stderr
    assert "--sweep-runs" in ntib("bench", "--help").stdout


def test_a_reader_that_leaves_early_is_not_an_error():
    shell = subprocess.run(f"{sys.executable} -m model.ui.cli run --years 1 | true", shell=True,
                           capture_output=True, text=True)
    assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr


def test_version_and_errors_name_the_command_once():
    version = ntib("--version")
    assert version.returncode == 0 and version.stdout.startswith("ntib ")
    bad = ntib("run", "--years", "0")
    assert bad.returncode == 2 and bad.stderr.startswith("ntib run: error: argument --years")
    assert bad.stderr.count("ntib run") == 2  # the prefix, and the pointer to 'ntib run --help'


def test_out_over_an_earlier_result_warns(tmp_path):
    first = ntib("run", "--years", "1", "--out", str(tmp_path / "res"))
    assert first.returncode == 0 and "warning" not in first.stderr
    again = ntib("run", "--years", "1", "--out", str(tmp_path / "res"))
    assert again.returncode == 0 and "holds an earlier result; its files will be replaced" in again.stderr


def test_readable_table_gives_every_unit_and_says_why_a_value_is_undefined():
    summary = json.loads(ntib("run", "--years", "1", "--json").stdout)
    summary["hhi"]["NZL"] = None  # as the summary stores NaN: New Zealand's primes won no awards
    summary["tech"]["EUR"] = float("nan")
    text = readable(summary)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("country"))
    assert lines[header].split() == ["country", "foreign", "to-US", "tech", "unit", "cost", "firms", "HHI"]
    assert lines[header + 1].split() == ["%", "of", "buys", "%", "of", "buys", "2025", "US", "=", "1", "2025Q1", "=",
                                         "1", "sampled", "0-1"]
    rows = {line.split()[0]: line.split() for line in lines[header + 2: header + 8]}
    assert rows["GBR"][1] == f"{100 * summary['foreign_share']['GBR']:.1f}"
    assert rows["NZL"][-1] == "n/a" and rows["EUR"][3] == "n/a" and rows["USA"][2] == "n/a"
    assert "n/a: HHI of NZL: its primes won no end-item awards in the run" in lines
    assert "n/a: tech of EUR: it has no active firms at the end" in lines
    assert any(line.startswith("n/a: to-US of USA: ") for line in lines)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    paid = next(line for line in lines if line.startswith("money, US$bn a year"))
    assert f"governments paid {summary['money']['government_paid'] / summary['years']:.1f}," in paid


def test_readable_run_prints_no_nan():
    out = ntib("run", "--years", "1")
    assert out.returncode == 0 and "% of buys" in out.stdout and "2025Q1 = 1" in out.stdout
    assert not re.search(r"\bnan\b", out.stdout, re.IGNORECASE)
