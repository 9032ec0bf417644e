"""A sweep's results on disk: Parquet chunks appended as runs finish, safe against a kill at any instant.

Each chunk is two files, `series-NNNNN.parquet` (quarterly rows) then `runs-NNNNN.parquet` (one row per run).
Both are written to a temporary name, flushed to disk and renamed, and the runs file goes last: it is the
commit record. A kill leaves at most a temporary file or a series chunk without its runs chunk; opening the
store removes both, so every stored run appears exactly once and every file that is present is complete.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.common.errors import InputError

PART = re.compile(r"(runs|series)-(\d{5,})\.parquet")


class ResultStore:
    """Append-only chunks of run rows and series rows, with one writer at a time (an advisory lock)."""

    def __init__(self, path: Path, write: bool = True) -> None:
        self.path = path
        self._lock = None
        if write:
            try:
                path.mkdir(parents=True, exist_ok=True)
                self._lock = open(path / ".lock", "w")  # noqa: SIM115 - held for the store's lifetime
            except OSError as exc:
                raise InputError(f"--out {path.parent}: cannot write the results folder ({exc.strerror})") from None
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise InputError(f"--out {path.parent}: another sweep is writing to this folder; wait for it or "
                                 "choose another --out") from None
            self._tidy()
        elif not path.is_dir():
            raise InputError(f"{path}: no stored results here")

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _parts(self, kind: str) -> dict[int, Path]:
        out = {}
        for p in self.path.iterdir() if self.path.is_dir() else ():
            m = PART.fullmatch(p.name)
            if m and m.group(1) == kind:
                out[int(m.group(2))] = p
        return out

    def _tidy(self) -> None:
        """Remove what a killed writer left: temporary files, and series chunks whose runs chunk never landed."""
        for p in self.path.glob(".*.tmp"):
            p.unlink(missing_ok=True)
        committed = self._parts("runs")
        for number, p in self._parts("series").items():
            if number not in committed:
                p.unlink(missing_ok=True)

    def stored_keys(self) -> set[str]:
        """Keys of every committed run, ok or failed."""
        keys: set[str] = set()
        for p in self._parts("runs").values():
            keys.update(pq.read_table(p, columns=["key"]).column("key").to_pylist())
        return keys

    def append(self, runs: list[dict], series: list[pd.DataFrame]) -> None:
        """Commit one chunk: series first, then the runs rows that vouch for them."""
        if not runs:
            return
        numbers = [*self._parts("runs"), *self._parts("series")]
        number = max(numbers, default=-1) + 1
        if series:
            self._write(pd.concat(series, ignore_index=True), f"series-{number:05d}.parquet")
        self._write(pd.DataFrame(runs), f"runs-{number:05d}.parquet")

    def _write(self, frame: pd.DataFrame, name: str) -> None:
        tmp = self.path / f".{name}.tmp"
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / name)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise InputError(f"--out {self.path.parent}: writing results failed ({why}); the runs stored so far "
                             "are intact, rerun the same command to resume") from None

    def read(self, kind: str, keys: set[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """All committed rows of `kind` ('runs' or 'series'), optionally only those of the given run keys."""
        committed = self._parts("runs")
        frames = []
        for number, p in sorted(self._parts(kind).items()):
            if number not in committed:
                continue
            present = set(pq.read_schema(p).names)
            table = pq.read_table(p, columns=None if columns is None else
                                  ["key", *(c for c in columns if c in present)])
            frame = table.to_pandas()
            frames.append(frame if keys is None else frame[frame["key"].isin(keys)])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"key": []})

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError):
            self.close()
