"""Writing results: every output folder is filled atomically and carries a manifest to regenerate it."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from model.common.errors import InputError

PACKAGES = ("ntib-model", "mesa", "numpy", "scipy", "pandas", "matplotlib", "pyarrow")


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


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `out`; on success move its files into `out` (manifest.json last),
    on failure remove it and whatever was already moved, so `out` never holds part of a result."""
    writable_dir(out)
    tmp = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    moved: list[Path] = []
    try:
        yield tmp
        files = sorted((p for p in tmp.rglob("*") if p.is_file()), key=lambda p: p.name == "manifest.json")
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
