"""A sweep on a Dask cluster whose scheduler dies: the runs in flight are lost, not stored as failures; the
sweep ends non-zero saying how many are missing, and the same command on a new cluster runs exactly those.
The scheduler and its worker listen on 127.0.0.1 only and are killed by process group."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import ROOT, free_port, listening, started

from model.runs.experiment import Point, Sweep, common_seeds, load
from model.runs.store import ResultStore

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux's /proc")]
DASK = str(Path(sys.executable).with_name("dask"))
SWEEP = Sweep("loss", (Point.of("status_quo"),), common_seeds(3, 12), master_seed=3, years=8)
# The sweep as a command of its own, so the scheduler can die under it: prints the error line and exits 1
SWEEP_SCRIPT = """
import sys
from pathlib import Path
from model.common.errors import InputError
from model.runs.experiment import Point, Sweep, common_seeds, run_sweep
sweep = Sweep("loss", (Point.of("status_quo"),), common_seeds(3, 12), master_seed=3, years=8)
try:
    run_sweep(sweep, Path(sys.argv[2]), scheduler=sys.argv[1], chunk=1, progress=False)
except InputError as exc:
    sys.exit(f"ntib: error: {exc}")
"""


@contextlib.contextmanager
def cluster(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A scheduler and one single-threaded worker on 127.0.0.1; yields its address and the scheduler process."""
    port = free_port()
    folder.mkdir()
    (folder / "scheduler").mkdir()
    (folder / "worker").mkdir()
    with started([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                 folder / "scheduler") as scheduler:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert scheduler.poll() is None and time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = f"tcp://127.0.0.1:{port}"
        with started([DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                      "--host", "127.0.0.1"], folder / "worker", PYTHONPATH=str(ROOT)):
            yield address, scheduler


def test_a_sweep_whose_scheduler_dies_ends_non_zero_and_its_rerun_completes_every_run(tmp_path):
    store = tmp_path / "store"
    (tmp_path / "sweep").mkdir()
    with cluster(tmp_path / "first") as (address, scheduler), started(
            [sys.executable, "-c", SWEEP_SCRIPT, address, str(store)], tmp_path / "sweep") as sweep:
        deadline = time.monotonic() + 120
        while not (store / "runs-00001.parquet").exists():  # two runs stored: mid-sweep
            assert sweep.poll() is None and time.monotonic() < deadline, (tmp_path / "sweep" / "err.log").read_text()
            time.sleep(0.1)
        scheduler.kill()
        sweep.wait(timeout=120)
    assert sweep.returncode == 1
    err = (tmp_path / "sweep" / "err.log").read_text()
    error = err.strip().splitlines()[-1]
    assert error.startswith("ntib: error: loss: ") and "runs were lost by the executor" in error, err
    lost = int(error.split("loss: ")[1].split()[0])
    missing = int(error.split(" of the design's 12 runs")[0].split()[-1])
    with ResultStore(store) as opened:
        stored = opened.stored_keys()
    assert lost >= 1 and len(stored) + missing == 12  # the lost ones are not stored, as failures or otherwise
    with cluster(tmp_path / "second") as (address, _):
        rerun = subprocess.run([sys.executable, "-c", SWEEP_SCRIPT, address, str(store)], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    results = load(SWEEP, store)
    assert len(results.runs) == 12 and results.failed.empty
