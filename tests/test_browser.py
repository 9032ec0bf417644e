"""The interactive page end to end: `ntib viz` serves it, Debian's headless Chromium (driven by Playwright) opens
it, steps the model, resets it, and checks what a person would see. Saves a screenshot to out/browser/viz.png (the
README's docs/img/viz.png is refreshed from it by hand, when the page's look changes on purpose)."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "out" / "browser" / "viz.png"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`ntib viz` on a free port, in its own process group so that it and its Solara child stop together."""
    port = free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "model.ui.cli", "viz", "--port", str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ntib viz did not answer on {url}:\n{log.read_text()}")
                time.sleep(0.5)
        yield url, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        browser.close()


PANEL_PNGS = """() => Promise.all([...document.querySelectorAll('.vue-grid-layout img')].map(
    img => fetch(img.src).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))))"""


def panel_digests(page) -> list[str]:
    """A digest of each panel's PNG as the browser holds it (blob URLs change even when the picture does not)."""
    return [hashlib.sha256(bytes(png)).hexdigest() for png in page.evaluate(PANEL_PNGS)]


def wait_for_pictures(page, previous: list[str], same: bool, timeout: float = 20) -> list[str]:
    """Panels equal to (or all different from) `previous`, once the server's updates have arrived."""
    deadline = time.monotonic() + timeout
    while True:
        now = panel_digests(page)
        done = now == previous if same else len(now) == 4 and all(a != b for a, b in zip(now, previous))
        if done or time.monotonic() > deadline:
            return now
        page.wait_for_timeout(200)


def test_step_and_reset_in_a_real_browser(server, browser_page):
    url, log = server
    page, errors = browser_page
    page.goto(url)
    try:
        page.get_by_text("Time: 0.0").wait_for(timeout=90_000)
        page.locator(".vue-grid-layout img").nth(3).wait_for(timeout=30_000)
    except Exception as exc:
        pytest.fail(f"page did not load ({type(exc).__name__}); page errors {errors}. Solara loads its front end "
                    "from a CDN or its cache: offline, run `.venv/bin/python scripts/solara_assets.py`.\n"
                    + log.read_text()[-3000:])
    status = page.get_by_text("seed 1 ·")
    assert "status_quo · seed 1 · start, step 0 of 80" in status.inner_text()
    start = wait_for_pictures(page, [], same=False)
    assert len(start) == 4

    for quarter in range(1, 13):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Time: {quarter}.0").wait_for(timeout=20_000)
    assert "2027Q4, step 12 of 80" in status.inner_text()
    stepped = wait_for_pictures(page, start, same=False)
    assert all(a != b for a, b in zip(start, stepped)), "every panel changes after stepping"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT)

    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Time: 0.0").wait_for(timeout=20_000)
    assert "start, step 0 of 80" in status.inner_text()
    assert wait_for_pictures(page, start, same=True) == start, "Reset brings the start pictures back"

    body = page.inner_text("body")
    assert "Traceback" not in body and "error in step" not in body
    assert page.locator(".v-alert.error").count() == 0
    assert errors == []
    assert SCREENSHOT.stat().st_size > 50_000
