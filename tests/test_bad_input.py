"""Every malformed input from tests/bad_inputs.py gets one clear error line, a non-zero exit, no traceback and
no results; a few go through a real `ntib` process to prove the same holds outside pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from bad_inputs import BadInput, expect_empty, generate, out_state, problems, run_in_process, shipped

from model.common.errors import InputError
from model.common.validation import MAX_TOML_BYTES
from model.policy.params import Params
from model.policy.scenario import load_scenario, scenario_names
from model.ui.cli import main

CASES = generate()
IN_PROCESS = [c for c in CASES if c.category != "output"]


def test_there_are_thousands_of_bad_inputs_and_some_in_every_category() -> None:
    counts = Counter(c.category for c in CASES)
    assert len(CASES) >= 3_000
    assert min(counts.values()) >= 3, counts
    assert counts["truncated"] >= 40  # cuts that still parse are left out, so check enough remain
    assert len({(c.category, c.name) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("category", sorted({c.category for c in IN_PROCESS}))
def test_bad_inputs_are_refused_in_one_line(category: str, tmp_path: Path) -> None:
    failures = {}
    for i, case in enumerate(c for c in IN_PROCESS if c.category == category):
        if found := run_in_process(case, tmp_path / str(i)):
            failures[case.name] = found
    assert not failures, failures


@pytest.mark.parametrize("case", [c for c in CASES if c.category == "output"], ids=lambda c: c.name)
def test_unwritable_out_and_full_disk_leave_no_results(case: BadInput, tmp_path: Path) -> None:
    assert run_in_process(case, tmp_path) == []
    assert not list(tmp_path.rglob(".staging-*"))


SUBPROCESS = [("flags", "unknown flag"), ("encoding", "0xff byte"), ("adaptation", "mode as a list"),
              ("file kinds", "a FIFO")]


@pytest.mark.parametrize(("category", "name"), SUBPROCESS)
def test_a_real_process_prints_one_line_and_exits_2(category: str, name: str | None, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.category == category and name in (None, c.name))
    argv, out = case.materialise(tmp_path)
    before = expect_empty(out_state(out))
    ntib = Path(sys.executable).with_name("ntib")
    command = [str(ntib)] if ntib.exists() else [sys.executable, "-m", "model.ui.cli"]
    done = subprocess.run([*command, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert problems(case, done.returncode, done.stdout, done.stderr, before, expect_empty(out_state(out))) == []


def test_read_only_out_folder_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes through read-only permissions; the mkdir failure is simulated in the output cases")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    case = BadInput("output", "read-only", ("run", "--years", "1", "--out", str(locked / "res")), "--out")
    assert run_in_process(case, tmp_path) == []


# -- regressions: inputs that crashed or were accepted before this suite ---------------------------------

def test_whole_number_floats_for_integer_params_become_ints() -> None:
    params = Params(lots=5.0, spinup_quarters=2.0, max_tenders=4.0)
    assert (params.lots, params.spinup_quarters, params.max_tenders) == (5, 2, 4)
    assert all(type(v) is int for v in (params.lots, params.spinup_quarters, params.max_tenders))


@pytest.mark.parametrize("assignment", ['CAN.adaptation={mode=["x"]}', 'shocks=[{kind=["demand"], at=2026, factor=2}]'])
def test_unhashable_mode_or_kind_is_an_input_error(assignment: str) -> None:
    with pytest.raises(InputError, match=r"expected|allowed"):
        load_scenario("status_quo", [assignment])


def test_extends_cannot_be_set_on_the_command_line() -> None:
    with pytest.raises(InputError, match="extends"):
        load_scenario("status_quo", ["extends=pre_2025"])


def test_an_error_message_is_always_one_line() -> None:
    assert "\n" not in str(InputError("unknown key 'a\nb'")) and "\\n" in str(InputError("a\nb"))


# -- what the new kinds of bad input must not catch: valid files that look like them ------------------------

@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_shipped_scenarios_saved_with_crlf_or_cr_line_endings_load_the_same(newline: bytes, tmp_path: Path) -> None:
    for name in scenario_names():
        path = tmp_path / f"{name}.toml"
        path.write_bytes(shipped(name).replace(b"\n", newline))
        assert load_scenario(str(path)).raw == load_scenario(name).raw, name


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    body = b'extends = "status_quo"\n'
    path = tmp_path / "big.toml"
    path.write_bytes(body + b"#" * (MAX_TOML_BYTES - len(body) - 1) + b"\n")
    assert path.stat().st_size == MAX_TOML_BYTES
    assert load_scenario(str(path)).raw == load_scenario("status_quo").raw


OVERLAPS = {  # two entries setting one lever at one quarter: valid, the later wins, one warning line
    "a year and its first quarter": '[[USA.schedule]]\nat = 2030\ncontent_min = 0.7\n'
                                    '[[USA.schedule]]\nat = "2030Q1"\ncontent_min = 0.8\n',
    "one quarter twice, two levers shared": '[[GBR.schedule]]\nat = "2031Q3"\nsafe_share = 0.1\noffset_rate = 0.2\n'
                                            '[[GBR.schedule]]\nat = "2031Q3"\nsafe_share = 0.2\noffset_rate = 0.3\n',
    "over the entry of the file extended": 'extends = "status_quo"\n[[USA.schedule]]\nat = 2029\ncontent_min = 0.8\n',
}


@pytest.mark.parametrize("text", OVERLAPS.values(), ids=list(OVERLAPS))
def test_overlapping_schedule_entries_run_with_one_warning_line(text: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "overlap.toml"
    path.write_text(text)
    assert main(["run", "--years", "1", "--firm-scale", "0.004", "--scenario", str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("ntib: warning:") and "the later entry wins" in err[0], err
