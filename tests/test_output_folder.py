"""`ntib run --out` never replaces what it did not write: a folder holding anything but an earlier result of its
own is refused, --force adds files beside the user's and still replaces none of them, and staging folders a
killed run left behind are removed by the next run."""

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model.runs.output import remove_stale_staging
from model.ui.cli import main

RUN = ["run", "--years", "1", "--firm-scale", "0.004"]
PNG = b"\x89PNG\r\n\x1a\n the user's own picture"


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def ntib(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main([*RUN, *args])
    return status, capsys.readouterr().err.splitlines()


def test_a_folder_with_files_of_its_own_is_refused_and_left_as_it_was(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "summary.json").write_text('{"mine": true}')
    before = contents(out)
    status, err = ntib(capsys, "--out", str(out))
    assert status == 2 and len(err) == 1
    assert err[0].startswith(f"ntib run: error: --out {out} holds what ntib run did not write (notes.txt, "
                             "summary.json)")
    assert "--force" in err[0]
    assert contents(out) == before and sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.json"]


def test_a_foreign_manifest_does_not_make_a_folder_its_own(tmp_path, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"experiment": "preference_sweep", "files": {}}))
    status, err = ntib(capsys, "--out", str(out))
    assert status == 2 and "(manifest.json)" in err[0]


def test_force_writes_beside_the_users_files_and_keeps_them(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "photo.png").write_bytes(PNG)
    status, _ = ntib(capsys, "--out", str(out), "--force")
    assert status == 0
    assert (out / "notes.txt").read_text() == "my notes" and (out / "photo.png").read_bytes() == PNG
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["written_by"] == "ntib run"
    assert set(manifest["files"]) == {p.name for p in out.iterdir()} - {"notes.txt", "photo.png", "manifest.json"}
    assert {"summary.json", "timeseries.csv", "technology.png"} <= set(manifest["files"])


def test_force_never_replaces_a_file_of_the_users_with_a_name_it_writes(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "summary.json").write_text('{"mine": true}')
    (out / "technology.png").write_bytes(PNG)
    before = contents(out)
    status, err = ntib(capsys, "--out", str(out), "--force")
    assert status == 2 and len(err) == 1
    assert "summary.json, technology.png were not written by ntib" in err[0] and "nothing was written" in err[0]
    assert contents(out) == before and sorted(p.name for p in out.iterdir()) == ["summary.json", "technology.png"]


def test_an_earlier_result_is_replaced_but_not_once_the_user_changed_it(tmp_path, capsys):
    out = tmp_path / "res"
    assert ntib(capsys, "--out", str(out))[0] == 0
    first = json.loads((out / "manifest.json").read_text())
    status, err = ntib(capsys, "--out", str(out), "--seed", "2")
    assert status == 0 and err == [f"ntib: warning: --out {out} holds an earlier result; its files will be replaced"]
    assert json.loads((out / "summary.json").read_text())["seed"] == 2
    assert json.loads((out / "manifest.json").read_text())["files"] != first["files"]
    (out / "timeseries.csv").write_text("edited by hand\n")
    status, err = ntib(capsys, "--out", str(out))
    assert status == 2 and "(timeseries.csv)" in err[0]
    status, err = ntib(capsys, "--out", str(out), "--force")
    assert status == 2 and "timeseries.csv was not written by ntib" in err[0]
    assert (out / "timeseries.csv").read_text() == "edited by hand\n"
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


def test_stale_staging_folders_are_removed_and_live_or_other_ones_kept(tmp_path):
    old = time.time() - 3600
    stale, live, other = (tmp_path / name for name in (".staging-abc_1234", ".staging-livewrit", ".staging-mine"))
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "summary.json").write_text("{}")
        os.utime(folder, (old, old))
    lock = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a writer still at work holds it
    try:
        remove_stale_staging(tmp_path)
    finally:
        os.close(lock)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".staging-livewrit", ".staging-mine"]
    new = tmp_path / ".staging-new_1234"
    new.mkdir()  # made after this process started: may be this process's own
    remove_stale_staging(tmp_path)
    assert new.exists()


KILLED_WHILE_STAGING = """
import os, signal, sys
from pathlib import Path
from model.runs.output import staged
with staged(Path(sys.argv[1])) as tmp:
    (tmp / "summary.json").write_text("{}")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_run_leaves_staging_that_the_next_run_removes(tmp_path):
    out = tmp_path / "res"
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_STAGING, str(out)], capture_output=True, timeout=60)
    assert killed.returncode == -9
    assert [p.name.startswith(".staging-") for p in out.iterdir()] == [True]
    done = subprocess.run([sys.executable, "-m", "model.ui.cli", *RUN, "--out", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
    assert (out / "manifest.json").is_file()
