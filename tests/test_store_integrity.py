"""Stores that verify their files: a damaged, foreign or repeated chunk is moved aside with one warning line, its
runs run again, and the results equal those of an untouched store."""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from model.common.errors import InputError
from model.runs import output
from model.runs import store as store_module
from model.runs.experiment import Point, Sweep, common_seeds, load, run_sweep
from model.runs.store import ResultStore

# four tiny runs, one chunk each: chunk N holds run N of the design (point 0 seed 0, point 0 seed 1, point 1 ...)
SWEEP = Sweep("integrity", tuple(Point.of("status_quo", [f"USA.preference_margin={m}"], margin=m) for m in (0.0, 1.0)),
              common_seeds(5, 2), master_seed=5, years=1, firm_scale=0.01)


def sweep(store: Path) -> int:
    """Run (or resume) the sweep one run per chunk; the number of runs it had to run."""
    return run_sweep(SWEEP, store, progress=False, chunk=1).ran


def results(store: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a figure is drawn from: the ok runs without their timings, and the quarterly series."""
    got = load(SWEEP, store)
    return got.runs.drop(columns=["seconds"]), got.series


def warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("pristine") / "store"
    assert sweep(store) == 4
    return store


@pytest.fixture(scope="module")
def reference(pristine: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs, series = results(pristine)
    assert len(runs) == 4 and len(series) == 4 * 4 * SWEEP.years
    return runs, series


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the untouched store, to damage."""
    shutil.copytree(pristine, tmp_path / "store")
    return tmp_path / "store"


def truncate(store: Path) -> None:
    data = (store / "runs-00001.parquet").read_bytes()
    (store / "runs-00001.parquet").write_bytes(data[: len(data) // 2])


def empty(store: Path) -> None:
    (store / "series-00002.parquet").write_bytes(b"")


def flip_a_bit(store: Path) -> None:
    data = bytearray((store / "runs-00000.parquet").read_bytes())
    data[len(data) // 2] ^= 0b0001_0000
    (store / "runs-00000.parquet").write_bytes(bytes(data))


def times_ten(store: Path, number: str = "00001") -> None:
    """A runs chunk rewritten as valid Parquet with every integration index x10."""
    frame = pq.read_table(store / f"runs-{number}.parquet").to_pandas()
    frame["integration_index"] *= 10
    frame.to_parquet(store / f"runs-{number}.parquet", index=False)


def junk_record(store: Path) -> None:
    (store / "record-00002.json").write_text("{not json")


def foreign_record(store: Path) -> None:
    """Chunk 2's record made to vouch for chunk 0's runs file instead of its own."""
    record = json.loads((store / "record-00000.json").read_text())
    (store / "record-00002.json").write_text(json.dumps(record))


def lost_series(store: Path) -> None:
    (store / "series-00001.parquet").unlink()


def stray_file(store: Path) -> None:
    """A valid runs chunk nobody recorded, with run 0's key and other numbers: it must not shadow run 0."""
    frame = pq.read_table(store / "runs-00000.parquet").to_pandas()
    frame["integration_index"] = 0.123
    frame.to_parquet(store / "runs-00009.parquet", index=False)


def stray_directory(store: Path) -> None:
    (store / "runs-00007.parquet").mkdir()
    (store / "runs-00007.parquet" / "part-0.parquet").write_bytes((store / "runs-00000.parquet").read_bytes())


def stray_series_directory(store: Path) -> None:
    (store / "series-00008.parquet").mkdir()


def copied_pair(store: Path) -> None:
    for kind in ("series", "runs"):
        shutil.copy(store / f"{kind}-00000.parquet", store / f"{kind}-00004.parquet")


def copied_pair_with_its_record(store: Path) -> None:
    """Chunk 0 copied as chunk 4 with a record that vouches for the copies: its checksums hold, its runs repeat."""
    copied_pair(store)
    record = json.loads((store / "record-00000.json").read_text())
    record["files"] = {name.replace("00000", "00004"): sha for name, sha in record["files"].items()}
    (store / "record-00004.json").write_text(json.dumps(record))


def chunk_without_status(store: Path) -> None:
    with ResultStore(store) as writer:
        writer.append([{"key": "0" * 24, "point": 0, "seed": 1}], [])


def no_records(store: Path) -> None:
    """A store of the format before chunks carried checksums."""
    for path in store.glob("record-*.json"):
        path.unlink()


def whole(number: str) -> list[str]:
    """The files of a chunk that kept its series."""
    return [f"record-{number}.json", f"runs-{number}.parquet", f"series-{number}.parquet"]


CASES = {  # damage, why the warning says, the files moved into quarantine, the runs run again
    "truncated": (truncate, "runs-00001.parquet fails its checksum", whole("00001"), 1),
    "emptied": (empty, "series-00002.parquet fails its checksum", whole("00002"), 1),
    "bit flipped": (flip_a_bit, "runs-00000.parquet fails its checksum", whole("00000"), 1),
    "rewritten x10": (times_ten, "runs-00001.parquet fails its checksum", whole("00001"), 1),
    "junk record": (junk_record, "record-00002.json is not a checksum record", whole("00002"), 1),
    "record of another chunk": (foreign_record, "record-00002.json is not a checksum record", whole("00002"), 1),
    "series deleted": (lost_series, "series-00001.parquet is missing", whole("00001")[:2], 1),
    "stray file": (stray_file, "runs-00009.parquet has no checksum record", ["runs-00009.parquet"], 0),
    "stray directory": (stray_directory, "runs-00007.parquet is not a regular file", ["runs-00007.parquet"], 0),
    "stray series directory": (stray_series_directory, "series-00008.parquet is not a regular file",
                               ["series-00008.parquet"], 0),
    "copied pair": (copied_pair, "runs-00004.parquet has no checksum record", whole("00004")[1:], 0),
    "copied pair and record": (copied_pair_with_its_record, "runs-00004.parquet repeats 1 stored run",
                               whole("00004"), 0),
    "missing column": (chunk_without_status, "runs-00004.parquet lacks the column status", whole("00004")[:2], 0),
}


@pytest.mark.parametrize(("damage", "why", "moved", "rerun"), CASES.values(), ids=CASES.keys())
def test_a_damaged_chunk_is_moved_aside_named_once_and_its_runs_run_again(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str],
        damage: Callable[[Path], None], why: str, moved: list[str], rerun: int):
    damage(store)
    evidence = {name: (store / name).read_bytes() if (store / name).is_file() else None for name in moved}
    capsys.readouterr()
    assert sweep(store) == rerun
    lines = warnings(capsys)
    assert len(lines) == 1 and lines[0].startswith(f"ntib: warning: {store}: moved 1 damaged chunk into quarantine/ ")
    assert f"({why})" in lines[0]
    assert sorted(path.name for path in (store / "quarantine").iterdir()) == moved
    for name, data in evidence.items():  # moved whole, never deleted or rewritten
        assert not (store / name).exists()
        assert (store / "quarantine" / name).is_dir() if data is None else \
            (store / "quarantine" / name).read_bytes() == data
    runs, series = results(store)
    assert not warnings(capsys)  # the store is sound again
    pd.testing.assert_frame_equal(runs, reference[0])
    pd.testing.assert_frame_equal(series, reference[1])


def test_the_rewritten_numbers_are_kept_as_evidence_but_never_reported(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame]):
    times_ten(store)
    sweep(store)
    kept = pq.read_table(store / "quarantine" / "runs-00001.parquet").to_pandas()
    original = reference[0].set_index("key")["integration_index"]
    assert kept["integration_index"].tolist() == [10 * original[kept["key"][0]]]
    assert results(store)[0].set_index("key")["integration_index"].to_dict() == original.to_dict()


def test_a_store_without_checksums_is_moved_aside_whole_and_run_again(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str]):
    no_records(store)
    for number in (10, 11):
        (store / f"runs-{number:05d}.parquet").write_bytes(b"junk")
    capsys.readouterr()
    assert sweep(store) == 4
    lines = warnings(capsys)
    assert len(lines) == 1 and "moved 6 damaged chunks into quarantine/" in lines[0]
    assert all(f"runs-0000{n}.parquet has no checksum record" in lines[0] for n in range(4))
    assert "runs-00010.parquet has no checksum record; and 1 more)" in lines[0]  # many are counted, not listed
    assert len(list((store / "quarantine").glob("runs-*.parquet"))) == 6
    pd.testing.assert_frame_equal(results(store)[0], reference[0])


def test_a_chunk_number_quarantined_twice_overwrites_nothing(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str]):
    for _ in range(2):
        times_ten(store, "00003")  # the last chunk, so its rerun is committed as chunk 3 again
        assert sweep(store) == 1
    assert sorted(path.name for path in (store / "quarantine").iterdir()) == [
        "record-00003.1.json", "record-00003.json", "runs-00003.1.parquet", "runs-00003.parquet",
        "series-00003.1.parquet", "series-00003.parquet"]
    original = reference[0].set_index("key")["integration_index"]
    for name in ("runs-00003.parquet", "runs-00003.1.parquet"):
        kept = pq.read_table(store / "quarantine" / name).to_pandas()
        assert kept["integration_index"].tolist() == [10 * original[kept["key"][0]]]
    pd.testing.assert_frame_equal(results(store)[0], reference[0])
    capsys.readouterr()


@pytest.mark.parametrize("how", ["deleted", "invalid", "no provenance"])
def test_a_missing_or_invalid_manifest_is_rebuilt_from_the_verified_chunks(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str], how: str):
    manifest = store / "manifest.json"
    old = manifest.read_text()
    if how == "deleted":
        manifest.unlink()
    elif how == "invalid":
        manifest.write_text('{"status": "comple')
    else:  # what a store made before chunks carried checksums wrote
        manifest.write_text(json.dumps({k: v for k, v in json.loads(old).items() if k != "written_by"}))
    moved = None if how == "deleted" else manifest.read_text()
    capsys.readouterr()
    with ResultStore(store):
        pass
    lines = warnings(capsys)
    what = "is missing" if how == "deleted" else "is not a manifest of this store (moved into quarantine/)"
    assert lines == [f"ntib: warning: {manifest} {what}; rebuilt from 4 verified chunks"]
    rebuilt = json.loads(manifest.read_text())
    assert rebuilt["status"] == "rebuilt"
    assert rebuilt["written_by"] == [{"git_commit": output.git_commit(), "chunks": 4, "runs": 4}]
    if moved is not None:
        assert (store / "quarantine" / "manifest.json").read_text() == moved
    assert sweep(store) == 0 and not warnings(capsys)
    assert json.loads(manifest.read_text())["status"] == "complete"
    pd.testing.assert_frame_equal(results(store)[0], reference[0])


def test_a_store_made_by_another_commit_keeps_its_provenance(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    store, now = tmp_path / "store", output.git_commit()
    monkeypatch.setattr(store_module, "git_commit", lambda: "0ld0c0de")
    monkeypatch.setattr(output, "git_commit", lambda: "0ld0c0de")
    assert run_sweep(Sweep(SWEEP.name, SWEEP.points[:1], SWEEP.seeds, 5, 1, 0.01), store, progress=False,
                     chunk=1).ran == 2
    monkeypatch.undo()
    capsys.readouterr()
    assert sweep(store) == 2
    assert warnings(capsys) == [f"integrity: note: reusing runs stored by commit 0ld0c0de; this code is {now}. "
                                "Use a new --out to rerun everything with this code."]
    written = json.loads((store / "manifest.json").read_text())
    assert written["git_commit"] == now
    assert written["written_by"] == [{"git_commit": "0ld0c0de", "chunks": 2, "runs": 2},
                                     {"git_commit": now, "chunks": 2, "runs": 2}]
    assert [json.loads((store / f"record-0000{n}.json").read_text())["git_commit"] for n in range(4)] == \
        ["0ld0c0de"] * 2 + [now] * 2


def test_a_reader_beside_a_writer_moves_nothing_and_leaves_the_damaged_chunk_out(
        store: Path, reference: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str]):
    lost = pq.read_table(store / "runs-00000.parquet").column("key")[0].as_py()
    flip_a_bit(store)
    capsys.readouterr()
    with open(store / ".lock", "w") as lock:  # a sweep is writing here
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        runs, series = results(store)
    lines = warnings(capsys)
    assert len(lines) == 1 and "left out 1 damaged chunk (not moved: another sweep is writing here" in lines[0]
    assert "(runs-00000.parquet fails its checksum)" in lines[0]
    assert (store / "runs-00000.parquet").is_file() and not (store / "quarantine").exists()
    expected = reference[0][reference[0]["key"] != lost].reset_index(drop=True)
    pd.testing.assert_frame_equal(runs.reset_index(drop=True), expected)
    assert lost not in set(series["key"]) and len(series) == 3 * 4 * SWEEP.years


def test_a_file_changed_after_the_store_was_opened_is_refused_in_one_line(store: Path):
    reader = ResultStore(store, write=False)
    times_ten(store)
    with pytest.raises(InputError, match=r"runs-00001\.parquet: changed while the store was being read"):
        reader.read("runs")


def test_what_a_killed_writer_left_is_removed_without_a_warning(store: Path, capsys: pytest.CaptureFixture[str]):
    """A kill after the series file and the record landed, before the runs file: the chunk was never committed."""
    for name in ("series-{}.parquet", "record-{}.json"):
        shutil.copy(store / name.format("00000"), store / name.format("00004"))
    capsys.readouterr()
    with ResultStore(store) as opened:
        assert len(opened.stored_keys()) == 4
    assert not warnings(capsys) and not (store / "quarantine").exists()
    assert sorted(path.name for path in store.glob("*-00004.*")) == []
