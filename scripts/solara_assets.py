"""Put the browser files Solara's page loads into Solara's own asset cache, from the npm registry.

Solara's server fetches its front end (the Vuetify app, RequireJS, the grid layout, Font Awesome) from a CDN on
first use and keeps it in <prefix>/share/solara/cdn. A machine that reaches the npm registry but no CDN (CI here)
gets an empty page without them, so this script fills that cache with `npm pack`. Run it with the venv's Python:

    .venv/bin/python scripts/solara_assets.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import ipyvue
import solara
from solara.server import settings

# What the page loads beyond the template: Mesa's panel grid (solara.GridDraggable) and the icon font.
EXTRA = ("@widgetti/vue-grid-layout@2.3.13-alpha.2", "font-awesome@4.5.0")


def packages() -> list[str]:
    """npm package specs (name@version) the page template names for this Vue version, plus EXTRA."""
    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    named = re.findall(r"\{\{cdn\}\}/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/", template.read_text())
    app = "solara-vuetify3-app" if ipyvue.__version__.startswith("3") else "solara-vuetify-app"  # as Solara picks
    return sorted({spec for spec in named if "vuetify" not in spec or f"/{app}@" in spec} | set(EXTRA))


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
    cache = Path(settings.assets.proxy_cache_dir)
    if shutil.which("npm") is None:
        print("solara_assets: error: npm is not installed (Debian: apt-get install npm)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        for spec in packages():
            if (cache / spec / "package.json").exists():  # unpacked before (the CDN proxy stores single files)
                continue
            install(spec, cache, Path(tmp))
            print(f"solara_assets: {spec} -> {cache / spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
