"""Kill a sweep with SIGKILL at random instants, rerun it, and check the store: shared by the crash-safety test
and scripts/reliability.py, so the report counts what the test does."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from model.runs.experiment import Point, Sweep, common_seeds, load, run_sweep

MARGINS = (0.0, 0.25, 0.5, 1.0)
SWEEP = Sweep("kill", tuple(Point.of("status_quo", [f"USA.preference_margin={m}"], margin=m) for m in MARGINS),
              common_seeds(3, 4), 3, years=4)
CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from sweep_kills import SWEEP
from model.runs.experiment import run_sweep
run_sweep(SWEEP, Path(sys.argv[1]), workers=2, chunk=2, progress=False)
"""


def raw_keys(store: Path) -> list[str]:
    """Every committed run key, duplicates included (what a corrupt store would show)."""
    return [k for p in sorted(store.glob("runs-*.parquet")) for k in pq.read_table(p).column("key").to_pylist()]


def outcome(store: Path, sweep: Sweep = SWEEP) -> pd.DataFrame:
    """What a figure would be drawn from: the ok rows without timings, in design order."""
    return load(sweep, store).runs.drop(columns=["seconds"]).reset_index(drop=True)


@dataclass
class KillReport:
    kills: int
    stored_after_each: list[int]
    keys: list[str]  # committed keys after the final rerun, duplicates included
    unreadable: list[str]  # Parquet files that failed to read at any point
    leftovers: list[str]  # temporary files left after the final rerun
    matches_uninterrupted: bool
    series_rows: int
    series_duplicates: int


def kill_and_resume(folder: Path, kills: int, seed: int) -> KillReport:
    """Start the sweep in its own session, wait until it commits something new, SIGKILL the whole group at a
    random instant up to 0.3 s later; `kills` times; then rerun it to the end and compare with a clean run."""
    store, rng = folder / "store", random.Random(seed)
    code = CHILD.format(tests=str(Path(__file__).resolve().parent))
    stored, unreadable = [0], []
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", code, str(store)], start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(raw_keys(store)) <= stored[-1] and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        with contextlib.suppress(ProcessLookupError):  # it may have finished first
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        for p in store.glob("*.parquet"):
            try:
                pq.read_table(p)
            except Exception:
                unreadable.append(p.name)
        stored.append(len(raw_keys(store)))
    run_sweep(SWEEP, store, progress=False)
    clean = folder / "clean"
    run_sweep(SWEEP, clean, progress=False)
    series = load(SWEEP, store).series
    return KillReport(kills, stored[1:], raw_keys(store), unreadable, [p.name for p in store.glob(".*.tmp")],
                      outcome(store).equals(outcome(clean)), len(series),
                      int(series.duplicated(["key", "t"]).sum()))
