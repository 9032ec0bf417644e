"""A sweep's results on disk: Parquet chunks appended as runs finish, safe against a kill at any instant, and
checked whenever the store is opened, so a damaged or foreign file never reaches a result.

Chunk N is up to three files, each written to a temporary name, flushed to disk and renamed, in this order:
`series-N.parquet` (quarterly rows, if kept), `record-N.json` (the SHA-256 of each Parquet file's bytes and
the commit of the code that wrote them) and `runs-N.parquet` (one row per run). The runs file goes last: it is
the commit. A kill leaves at most temporary files, or a series file and a record without their runs file, and
opening the store removes those, so every file that is present is complete.

The checksums sit in one small record per chunk rather than in the Parquet files or in one ledger for the
store: a file cannot carry the checksum of its own bytes, and a ledger would be rewritten at every commit, so
one bad write or one lost file would leave no chunk verifiable. A record is written once, beside the one chunk
it vouches for, and it lands before the runs file, so a runs file without a record is never one this store
wrote.

On open every chunk is checked: its files must be regular files matching their recorded checksums, readable
Parquet with the columns the engine needs, and no run may repeat one already seen. A chunk that fails is moved
whole into `quarantine/` (never deleted) and named in one warning line; its runs then count as not stored, so
the sweep runs them again. Reads check the bytes once more, so every number returned was written by a
completed run of this store. A missing or invalid `manifest.json` is rebuilt from the verified chunks (an
invalid one is moved to quarantine first), and every manifest lists the commits that wrote the stored chunks
(`written_by`, from the records), so reusing a store with newer code keeps the provenance of its older runs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.common.errors import InputError, warn
from model.runs.output import git_commit, manifest, write_json

PART = re.compile(r"(runs|series|record)-(\d{5,})\.(parquet|json)")
REQUIRED = {"runs": ("key", "point", "seed", "status"), "series": ("key", "t")}  # what load() reads
NAMED = 5  # damaged chunks named in a warning: a store of an older format may have hundreds


def part_name(kind: str, number: int) -> str:
    """The one spelling of a chunk's file name: a file spelled otherwise is not part of the store."""
    return f"{kind}-{number:05d}.{'json' if kind == 'record' else 'parquet'}"


def regular(path: Path) -> bool:
    """Whether `path` is a regular file, not a directory, link or device: the only kind the store writes."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def contents(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file that can be read."""
    try:
        return path.read_bytes() if regular(path) else None
    except OSError:
        return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as the bytes of a Parquet file, so the checksum recorded is that of exactly what is written."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem.K.suffix` with the first K free: quarantine never overwrites evidence."""
    path, count = folder / name, 0
    while path.exists() or path.is_symlink():
        count += 1
        path = folder / f"{Path(name).stem}.{count}{Path(name).suffix}"
    return path


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


@dataclass(frozen=True)
class Chunk:
    """A verified chunk: the checksum of each of its files, the commit that wrote it and the runs it holds."""

    number: int
    digests: dict[str, str]
    commit: str
    keys: frozenset[str]


class ResultStore:
    """Append-only chunks of run rows and series rows, with one writer at a time (an advisory lock).

    A reader that can take the lock tidies and quarantines as a writer does, then lets the lock go; one that
    cannot (a sweep is writing, or the folder is read-only) moves nothing and leaves damaged chunks out."""

    def __init__(self, path: Path, write: bool = True) -> None:
        self.path = path
        self._lock: TextIO | None = None
        self._commit = git_commit() if write else "unknown"  # a reader writes no chunks
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
        elif not path.is_dir():
            raise InputError(f"{path}: no stored results here")
        else:
            self._lock = self._try_lock()
        parts = self._parts()
        self._chunks, damaged = self._verify(parts)
        if self._lock is None:
            self._report(damaged, moved=False)
        else:
            self._tidy(parts, damaged)
            self._mend_manifest()
        if not write:
            self.close()

    def _try_lock(self) -> TextIO | None:
        """The lock if nobody holds it and the folder can be written, else None."""
        try:
            lock = open(self.path / ".lock", "w")  # noqa: SIM115 - closed by close()
        except OSError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return None
        return lock

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _parts(self) -> dict[tuple[str, int], Path]:
        """Every entry spelled like a chunk's file, by (kind, number), whatever it is (file, folder, link)."""
        out = {}
        for path in self.path.iterdir():
            match = PART.fullmatch(path.name)
            if match and path.name == part_name(match.group(1), int(match.group(2))):
                out[match.group(1), int(match.group(2))] = path
        return out

    def _verify(self, parts: dict[tuple[str, int], Path]) -> tuple[dict[int, Chunk], dict[int, str]]:
        """The chunks that pass every check, and why each of the others failed (by chunk number)."""
        chunks: dict[int, Chunk] = {}
        damaged: dict[int, str] = {}
        seen: set[str] = set()
        for number in sorted(number for kind, number in parts if kind == "runs"):
            checked = self._check(number, parts, seen)
            if isinstance(checked, Chunk):
                chunks[number] = checked
                seen |= checked.keys
            else:
                damaged[number] = checked
        return chunks, damaged

    def _check(self, number: int, parts: dict[tuple[str, int], Path], seen: set[str]) -> Chunk | str:
        """Chunk `number` if its record, files and run keys are sound, else why not."""
        if not regular(parts["runs", number]):
            return f"{part_name('runs', number)} is not a regular file"
        record = self._record(number)
        if isinstance(record, str):
            return record
        digests, commit = record
        present = {path.name for (kind, other), path in parts.items() if other == number and kind != "record"}
        if unrecorded := sorted(present - set(digests)):
            return f"{unrecorded[0]} is not in its record"
        keys: list[str] = []
        for name in sorted(digests):
            checked = self._check_file(name, digests[name])
            if isinstance(checked, str):
                return checked
            keys += checked
        if repeated := len(keys) - len(set(keys) - seen):
            return f"{part_name('runs', number)} repeats {plural(repeated, 'stored run')}"
        return Chunk(number, digests, commit, frozenset(keys))

    def _record(self, number: int) -> tuple[dict[str, str], str] | str:
        """The checksums and commit that chunk `number`'s record holds, or why it holds none. A record names
        its own runs file and at most its own series file, so it can never send a read outside the chunk."""
        name, runs_name = part_name("record", number), part_name("runs", number)
        data = contents(self.path / name)
        if data is None:
            return f"{runs_name} has no checksum record"
        try:
            entry = json.loads(data)
            digests, commit = entry["files"], entry["git_commit"]
        except (ValueError, TypeError, KeyError):
            return f"{name} is not a checksum record"
        own = {runs_name, part_name("series", number)}
        valid = isinstance(digests, dict) and runs_name in digests and set(digests) <= own and isinstance(commit, str)
        return (digests, commit) if valid else f"{name} is not a checksum record"

    def _check_file(self, name: str, expected: str) -> list[str] | str:
        """The run keys in file `name` (none in a series file) if it is a regular file with the recorded checksum
        and readable Parquet with the columns load() needs, else why not."""
        path = self.path / name
        data = contents(path)
        if data is None:
            return f"{name} is {'not a regular file' if path.exists() or path.is_symlink() else 'missing'}"
        if digest(data) != expected:
            return f"{name} fails its checksum"
        kind = name.partition("-")[0]
        try:
            table = pq.ParquetFile(pa.BufferReader(data))
            lacking = [column for column in REQUIRED[kind] if column not in table.schema_arrow.names]
            keys = table.read(columns=["key"]).column("key").to_pylist() if kind == "runs" and not lacking else []
        except pa.ArrowException:
            return f"{name} is not readable Parquet"
        return f"{name} lacks the column {', '.join(lacking)}" if lacking else keys

    def _tidy(self, parts: dict[tuple[str, int], Path], damaged: dict[int, str]) -> None:
        """Remove what a killed writer left (temporary files; series files and records whose runs file never
        landed), then move every damaged chunk, and any leftover that is not a regular file, into quarantine."""
        for path in self.path.glob(".*.tmp"):
            if regular(path):
                path.unlink()
        committed = {number for kind, number in parts if kind == "runs"}
        for number in sorted({number for _, number in parts} - committed):
            files = [path for (_, other), path in sorted(parts.items()) if other == number]
            odd = [path.name for path in files if not regular(path)]
            if odd:
                damaged[number] = f"{odd[0]} is not a regular file"
            else:
                for path in files:
                    path.unlink()
        # runs files last: a kill half-way leaves a runs file without its record, which is quarantined next time
        self._quarantine([path for (kind, number), path in sorted(parts.items(), key=lambda item: item[0][0] == "runs")
                          if number in damaged])
        self._report(damaged, moved=True)

    def _quarantine(self, paths: list[Path]) -> None:
        """Move `paths` into quarantine/, in the order given, under names that overwrite nothing there."""
        folder = self.path / "quarantine"
        try:
            if paths:
                folder.mkdir(exist_ok=True)
            for path in paths:
                os.replace(path, free_path(folder, path.name))
        except OSError as exc:
            raise InputError(f"{self.path}: cannot move damaged files into {folder} ({exc.strerror or exc}); "
                             "expected a folder you can write to") from None

    def _report(self, damaged: dict[int, str], moved: bool) -> None:
        """One warning line naming the damaged chunks (the first few, if there are many) and why each failed."""
        if not damaged:
            return
        listed = "; ".join(why for _, why in sorted(damaged.items())[:NAMED])
        more = f"; and {len(damaged) - NAMED} more" if len(damaged) > NAMED else ""
        count = plural(len(damaged), "damaged chunk")
        where = f"moved {count} into quarantine/" if moved else \
            f"left out {count} (not moved: another sweep is writing here, or the folder is read-only)"
        warn(f"{self.path}: {where} ({listed}{more}); their runs count as not stored, so the sweep runs them again")

    def _mend_manifest(self) -> None:
        """Rebuild a missing or invalid manifest from the verified chunks, keeping an invalid one in quarantine."""
        path = self.path / "manifest.json"
        exists = path.exists() or path.is_symlink()
        if not (exists or self._chunks) or self._manifest_is_valid():
            return
        self._quarantine([path] if exists else [])
        what = "is not a manifest of this store (moved into quarantine/)" if exists else "is missing"
        warn(f"{path} {what}; rebuilt from {plural(len(self._chunks), 'verified chunk')}")
        self.write_manifest({"status": "rebuilt"})

    def _manifest_is_valid(self) -> bool:
        """A manifest this code writes: a JSON object with the commit that wrote it and the chunks' commits."""
        try:
            data = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and isinstance(data.get("git_commit"), str) and \
            isinstance(data.get("written_by"), list)

    def write_manifest(self, fields: dict) -> None:
        """The store's manifest: the caller's fields, what produced it, and every commit that wrote chunks."""
        write_json(self.path / "manifest.json", manifest(**fields, written_by=self.written_by()))

    def written_by(self) -> list[dict[str, object]]:
        """Each commit that wrote stored chunks, in the order it first wrote, with its chunk and run counts."""
        counts: dict[str, list[int]] = {}
        for chunk in self._sorted():
            tally = counts.setdefault(chunk.commit, [0, 0])
            tally[0] += 1
            tally[1] += len(chunk.keys)
        return [{"git_commit": commit, "chunks": chunks, "runs": runs} for commit, (chunks, runs) in counts.items()]

    def commits(self, keys: set[str]) -> list[str]:
        """The commits that wrote the stored runs among `keys`, in the order they first wrote."""
        return list(dict.fromkeys(chunk.commit for chunk in self._sorted() if chunk.keys & keys))

    def _sorted(self) -> list[Chunk]:
        return [self._chunks[number] for number in sorted(self._chunks)]

    def stored_keys(self) -> set[str]:
        """Keys of every verified run, ok or failed."""
        return set[str]().union(*(chunk.keys for chunk in self._chunks.values()))

    def append(self, runs: list[dict], series: list[pd.DataFrame]) -> None:
        """Commit one chunk: series first, then the record of both files' checksums, then the runs rows that
        vouch for them."""
        if not runs:
            return
        number = max((other for _, other in self._parts()), default=-1) + 1
        names = {kind: part_name(kind, number) for kind in ("series", "record", "runs")}
        try:
            files = {names["series"]: parquet_bytes(pd.concat(series, ignore_index=True))} if series else {}
            files[names["runs"]] = parquet_bytes(pd.DataFrame(runs))
            digests = {name: digest(data) for name, data in files.items()}
            record = json.dumps({"files": digests, "git_commit": self._commit}, indent=1).encode()
            for name, data in ((names["series"], files.get(names["series"])), (names["record"], record),
                               (names["runs"], files[names["runs"]])):
                if data is not None:
                    self._put(name, data)
        except OSError as exc:
            why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise InputError(f"--out {self.path.parent}: writing results failed ({why}); the runs stored so far "
                             "are intact, rerun the same command to resume") from None
        self._chunks[number] = Chunk(number, digests, self._commit, frozenset(row["key"] for row in runs))

    def _put(self, name: str, data: bytes) -> None:
        """Write `name` whole or not at all: a temporary file, flushed to disk, renamed, and the rename flushed."""
        tmp = self.path / f".{name}.tmp"
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path / name)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        folder = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def read(self, kind: str, keys: set[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """All verified rows of `kind` ('runs' or 'series'), optionally only those of the given run keys."""
        frames = []
        for chunk in self._sorted():
            name = part_name(kind, chunk.number)
            if name not in chunk.digests:
                continue  # a chunk of a sweep that kept no series
            data = contents(self.path / name)
            if data is None or digest(data) != chunk.digests[name]:
                raise InputError(f"{self.path / name}: changed while the store was being read; rerun the command")
            table = pq.ParquetFile(pa.BufferReader(data))
            present = set(table.schema_arrow.names)
            frame = table.read(columns=None if columns is None else
                               ["key", *(c for c in columns if c in present)]).to_pandas()
            frames.append(frame if keys is None else frame[frame["key"].isin(keys)])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"key": []})

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError):
            self.close()
