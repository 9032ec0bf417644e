"""No process outlives its parent: `ntib viz` stopped by SIGTERM, SIGINT, SIGHUP or SIGKILL leaves no server
behind and frees its port, and a sweep whose main process is killed leaves no worker, forkserver or resource
tracker. Descendants are recorded from /proc before the kill, so one that escaped its group is still found.
Every process a test starts is in a session of its own and is killed by process group when the test ends."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path

import pytest
from processes import (
    GONE_SECONDS,
    ROOT,
    descendants,
    free_port,
    group_of,
    in_group,
    listening,
    port_free,
    started,
    wait_gone,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux's /proc")

# -- ntib viz -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL],
                         ids=lambda s: s.name)
def test_viz_stopped_by_a_signal_leaves_no_process_and_frees_its_port(stop, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "model.ui.cli", "viz", "--host", "127.0.0.1", "--port", str(port)]
    with started(command, tmp_path) as viz:
        deadline = time.monotonic() + 90
        while not listening(port):
            assert viz.poll() is None and time.monotonic() < deadline, (tmp_path / "err.log").read_text()
            time.sleep(0.2)
        below = descendants(viz.pid)
        assert below, "the server runs as a child of ntib viz"
        groups = {viz.pid} | {group_of(p) for p in below}
        viz.send_signal(stop)
        viz.wait(timeout=30)
        assert wait_gone(below) == set()
        assert [p for g in groups if g is not None for p in in_group(g)] == []
        deadline = time.monotonic() + GONE_SECONDS  # the kernel may close a killed process's socket just after
        while (listening(port) or not port_free(port)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not listening(port) and port_free(port)
        err = (tmp_path / "err.log").read_text()
        if stop != signal.SIGKILL:
            assert viz.returncode == 130 and err.endswith("ntib: interrupted\n")


# -- a sweep ------------------------------------------------------------------------------------------


def pool_started(main: int) -> bool:
    """Whether the sweep's process pool is up: the resource tracker, the forkserver and its two workers."""
    lines = []
    for pid in descendants(main):
        with contextlib.suppress(OSError):
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
    return (sum(b"resource_tracker" in line for line in lines) == 1
            and sum(b"forkserver" in line for line in lines) >= 3)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_a_killed_sweep_leaves_no_worker_forkserver_or_resource_tracker(stop, tmp_path):
    command = [sys.executable, str(ROOT / "experiments" / "preference_sweep.py"), "--runs", "2", "--seeds", "50",
               "--years", "2", "--workers", "2", "--quiet", "--out", str(tmp_path / "out")]
    with started(command, tmp_path) as sweep:
        deadline = time.monotonic() + 90
        while not pool_started(sweep.pid):
            assert sweep.poll() is None and time.monotonic() < deadline, (tmp_path / "err.log").read_text()
            time.sleep(0.05)
        below = descendants(sweep.pid)
        sweep.send_signal(stop)
        sweep.wait(timeout=30)
        assert wait_gone(below) == set()
        assert in_group(sweep.pid) == []
        if stop == signal.SIGTERM:  # like Ctrl-C: what finished is stored, and the script says so in one line
            assert sweep.returncode == 130
            assert "interrupted; the runs finished so far are stored" in (tmp_path / "err.log").read_text()
