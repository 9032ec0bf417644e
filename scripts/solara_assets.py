"""Put the browser files Solara's page loads into Solara's own asset cache, from the npm registry.

Solara's server fetches its front end (the Vuetify app, RequireJS, the grid layout, Font Awesome) from a CDN on
first use and keeps it in <prefix>/share/solara/cdn. A machine that reaches the npm registry but no CDN (CI here)
gets an empty page without them, so this script fills that cache with `npm pack`; `make demo` runs it, and
`ntib viz` says when the files are missing (model.ui.cli.missing_front_end decides which). Run it with the venv's
Python:

    .venv/bin/python scripts/solara_assets.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from model.ui.cli import front_end_cache, missing_front_end


def install(spec: str, cache: Path, work: Path) -> None:
    """Unpack one package from the registry into cache/<name@version>/, replacing whatever was there."""
    out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(work)],
                         check=True, capture_output=True, text=True).stdout.split()[-1]
    target = cache / spec
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(work / out) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/") and (m.isfile() or m.isdir())]
        for m in members:
            m.name = m.name.removeprefix("package/")
        tar.extractall(target, members=members, filter="data")


def main() -> int:
    missing = missing_front_end()
    if not missing:
        return 0
    if shutil.which("npm") is None:
        print("solara_assets: error: npm is not installed (Debian: apt-get install npm); without it the page "
              "loads its browser files from a CDN", file=sys.stderr)
        return 2
    cache = front_end_cache()
    with tempfile.TemporaryDirectory() as tmp:
        for spec in missing:
            try:
                install(spec, cache, Path(tmp))
            except subprocess.CalledProcessError as exc:
                why = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit status {exc.returncode}"]
                print(f"solara_assets: error: npm pack {spec} failed ({why[0]}); is the npm registry reachable?",
                      file=sys.stderr)
                return 2
            print(f"solara_assets: {spec} -> {cache / spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
