"""Processes for the tests that start servers and sweeps: each in a session of its own, found through /proc
(so a descendant that escaped its group is still found) and killed by process group when the test ends."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GONE_SECONDS = 10.0  # how long the descendants of a killed process may take to end


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...), or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`, by following parent links through /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None and fields[0] not in ("Z", "X"):
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def group_of(pid: int) -> int | None:
    fields = _stat(pid)
    return None if fields is None else int(fields[2])


def in_group(pgid: int) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and alive(int(p.name)) and group_of(int(p.name)) == pgid]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def port_free(port: int) -> bool:
    """Whether a new server could bind the port (with SO_REUSEADDR, as ntib viz and Solara do)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_gone(pids: set[int], seconds: float = GONE_SECONDS) -> set[int]:
    """The processes of `pids` still alive after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _hangup_as_default() -> None:
    """In the child before exec: SIGHUP back to its default. Under nohup the tests inherit it ignored, and the
    program rightly keeps an ignored SIGHUP ignored, so without this the SIGHUP case would test nohup."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@contextlib.contextmanager
def started(command: list[str], folder: Path, **env: str) -> Iterator[subprocess.Popen]:
    """`command` in a session of its own, output to folder/out.log and folder/err.log; at the end, SIGKILL to its
    group and to the group of every descendant it has then (a child may have a group of its own)."""
    with open(folder / "out.log", "w") as out, open(folder / "err.log", "w") as err:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, **env},
                                preexec_fn=_hangup_as_default)  # noqa: PLW1509 - it only resets one signal
    try:
        yield proc
    finally:
        groups = {proc.pid} | {g for p in descendants(proc.pid) if (g := group_of(p)) is not None}
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        proc.wait()


