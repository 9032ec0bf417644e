"""The page's browser files: `make demo` stores them, `ntib viz` says in one line when they are missing, and
scripts/solara_assets.py fills the gap or says in one line why it cannot."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from model.ui import cli

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "solara_assets.py"
NOTE = "ntib: note: the page's browser files are not stored here"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def no_server(monkeypatch) -> list[dict[str, str] | None]:
    """ntib viz up to the point where it would start the server; records the environment it would get."""
    environments: list[dict[str, str] | None] = []
    monkeypatch.setattr(cli, "serve", lambda _command, environment=None: environments.append(environment) or 0)
    return environments


def test_viz_notes_missing_browser_files_in_one_line(no_server, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "front_end_cache", lambda: tmp_path)
    assert cli.main(["viz", "--port", str(free_port())]) == 0
    err = capsys.readouterr().err
    assert err.count(NOTE) == 1 and err.count("\n") == 1 and "make demo" in err
    assert no_server[0].get("SOLARA_ASSETS_CDN") != cli.NO_CDN  # without the files, the CDN is the way to get them


def test_viz_says_nothing_when_the_browser_files_are_stored(no_server, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "front_end_cache", lambda: tmp_path)
    needed = cli.missing_front_end()
    assert "font-awesome@4.5.0" in needed and any("solara-vuetify" in spec for spec in needed)
    for spec in needed:
        (tmp_path / spec).mkdir(parents=True)
        (tmp_path / spec / "package.json").write_text("{}")
    assert cli.missing_front_end() == []
    assert cli.main(["viz", "--port", str(free_port())]) == 0
    assert capsys.readouterr().err == ""
    assert no_server[0]["SOLARA_ASSETS_CDN"] == cli.NO_CDN  # every file stored: no request makes it fetch one


def assets_script(cache: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache), **env})


def test_script_without_npm_fails_in_one_line(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    out = assets_script(tmp_path / "cdn", PATH=str(empty))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("solara_assets: error: npm is not installed")


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_script_without_the_registry_fails_in_one_line(tmp_path):
    out = assets_script(tmp_path / "cdn", npm_config_registry=f"http://127.0.0.1:{free_port()}/",
                        npm_config_fetch_retries="0", npm_config_cache=str(tmp_path / "npm"))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "npm pack" in out.stderr and "registry" in out.stderr


def test_script_with_every_file_stored_needs_no_npm(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "front_end_cache", lambda: tmp_path / "cdn")
    for spec in cli.missing_front_end():
        (tmp_path / "cdn" / spec).mkdir(parents=True)
        (tmp_path / "cdn" / spec / "package.json").write_text("{}")
    empty = tmp_path / "bin"
    empty.mkdir()
    out = assets_script(tmp_path / "cdn", PATH=str(empty))
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_stores_the_browser_files_first():
    plan = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    lines = plan.splitlines()
    fetch = next(i for i, line in enumerate(lines) if "scripts/solara_assets.py" in line)
    demo = next(i for i, line in enumerate(lines) if "ntib demo" in line)
    assert fetch < demo
