"""Writing results: every output folder is filled atomically and carries a manifest to regenerate it.

A writer that names its manifest (`written_by`) and lists there the SHA-256 of each file it wrote can tell its
own earlier result from anything else in a folder (`own_files`), and `staged` then replaces only those files.
A killed writer can leave a staging folder behind; the next `staged` in that folder removes it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from model.common.errors import InputError

PACKAGES = ("ntib-model", "mesa", "numpy", "scipy", "pandas", "matplotlib", "pyarrow", "pyabc")
STAGING = re.compile(r"\.staging-[a-z0-9_]{8}")  # what staged() names its folders (tempfile.mkdtemp's names)
PROCESS_STARTED = time.time()  # a staging folder last changed before this was left by an earlier process


def git_commit() -> str:
    """Commit of the source tree the package runs from, with '-dirty' if it has uncommitted changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def manifest(**fields) -> dict:
    """What produced a result: the caller's fields plus command, versions, commit and time."""
    return {
        **{k: (dataclasses.asdict(v) if dataclasses.is_dataclass(v) and not isinstance(v, type) else v)
           for k, v in fields.items()},
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "versions": versions(),
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def writable_dir(path: Path) -> Path:
    """Create `path` if needed and check it can be written; a clear InputError otherwise."""
    expected = "expected a folder path you can write to"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {path}: cannot create the folder ({exc.strerror or exc}); {expected}") from None
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise InputError(f"--out {path}: not a writable folder; {expected}")
    return path


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by path relative to it: what a manifest lists as written."""
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def own_files(out: Path, writer: str) -> set[str]:
    """The files in `out` that `writer` wrote and nobody changed since: its manifest.json (one whose
    `written_by` is `writer`) and the files that manifest lists, where their bytes still match."""
    try:
        written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return set()
    if not isinstance(written, dict) or written.get("written_by") != writer or not isinstance(written.get("files"),
                                                                                                dict):
        return set()
    own = {"manifest.json"}
    for name, digest in written["files"].items():
        path = out / name
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and sha256(path) == digest:
                own.add(name)
    return own


def foreign_entries(out: Path, own: set[str]) -> list[str]:
    """The names of what `out` holds besides the `own` files and staging folders (sorted; none if `out` is
    not a folder)."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.name not in own and not STAGING.fullmatch(p.name))


@contextlib.contextmanager
def staged(out: Path, replaceable: set[str] | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside `out`; on success move its files into `out` (manifest.json last),
    on failure remove it and whatever was already moved, so `out` never holds part of a result.

    With `replaceable`, a file already in `out` is replaced only if it is named there; any other in the way
    stops the move before the first file, with an InputError. Staging folders that earlier, killed writers left
    in `out` are removed first (`remove_stale_staging`)."""
    writable_dir(out)
    remove_stale_staging(out)
    tmp = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    lock = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # tells remove_stale_staging in another process that this one is live
    moved: list[Path] = []
    try:
        yield tmp
        files = sorted((p for p in tmp.rglob("*") if p.is_file()), key=lambda p: p.name == "manifest.json")
        if replaceable is not None:
            names = sorted(p.relative_to(tmp).as_posix() for p in files)
            taken = [n for n in names if n not in replaceable and ((out / n).exists() or (out / n).is_symlink())]
            if taken:
                raise InputError(f"--out {out}: {', '.join(taken)} {'was' if len(taken) == 1 else 'were'} not "
                                 "written by ntib, which never replaces such a file, even with --force; nothing was "
                                 "written; expected another folder, or those files moved away")
        with contextlib.suppress(FileNotFoundError):
            (out / "manifest.json").unlink()  # an old manifest must not vouch for a mix of old and new files
        for src in files:
            dst = out / src.relative_to(tmp)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            moved.append(dst)
    except OSError as exc:
        for dst in moved:  # a disk that fills half-way must not leave half a result
            with contextlib.suppress(OSError):
                dst.unlink()
        raise InputError(f"--out {out}: writing results failed ({exc.strerror or exc}), nothing was kept; "
                         "expected a writable folder with free space") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(lock)


def remove_stale_staging(out: Path) -> None:
    """Remove the staging folders a killed writer left in `out`: named as `staged` names them, last changed before
    this process started, and locked by no live writer."""
    for path in out.iterdir():
        if not STAGING.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
            continue
        try:
            if path.stat().st_mtime >= PROCESS_STARTED:
                continue
            lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its writer is still at work
        else:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(lock)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`: a reader sees the old file or
    the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False,
                                     encoding="utf-8") as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o644)  # NamedTemporaryFile creates it owner-only
    os.replace(tmp.name, path)


def write_json(path: Path, data: dict) -> None:
    write_atomically(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")
