"""The interactive page end to end: `ntib viz` serves it, Debian's headless Chromium (driven by Playwright) opens
it and uses it as a person would. Saves a screenshot and the step timing to out/browser/ (the README's pictures
come from scripts/screenshots.py)."""

import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
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
def browser_page(server):
    """A fresh page of the server in headless Chromium, recording page errors, console errors and every request
    that leaves 127.0.0.1 (there must be none: the page's files are all stored locally)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url, log = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda message: problems.append(f"console error: {message.text}")
                if message.type == "error" else None)
        page.on("request", lambda request: problems.append(f"request off this machine: {request.url}")
                if not request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
        page.goto(url)
        try:
            page.wait_for_function(f"document.querySelectorAll('{CHARTS} canvas').length >= 7", timeout=90_000)
        except sync_api.Error as exc:
            pytest.fail(f"page did not load ({type(exc).__name__}); {problems}. Solara loads its front end from "
                        "a CDN or its cache: offline, run `.venv/bin/python scripts/solara_assets.py`.\n"
                        + log.read_text()[-3000:])
        yield page, problems
        browser.close()


CHARTS = ".ntib-live-chart"


def frames(page) -> list[int]:
    """How many frames each chart has drawn (each counts them in its data-frames attribute)."""
    return page.eval_on_selector_all(CHARTS, "charts => charts.map(chart => Number(chart.dataset.frames || 0))")


def status(page) -> str:
    return page.get_by_text(" · seed ").inner_text()


def step(page, quarter: int) -> float:
    """Click Step; wait for the status line's new quarter and a new frame of every chart; the seconds taken."""
    before = frames(page)
    started = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(f"step {quarter} of").wait_for(timeout=20_000)
    deadline = time.monotonic() + 20
    while any(now <= then for now, then in zip(frames(page), before)) and time.monotonic() < deadline:
        page.wait_for_timeout(5)
    return time.perf_counter() - started


def choose(page, label: str, option: str) -> None:
    """Pick an option of one of the sidebar's selects."""
    page.locator(".v-select", has=page.locator("label", has_text=label)).click()
    page.locator(".v-menu__content .v-list-item", has_text=option).first.click()


def test_the_page_in_a_real_browser(server, browser_page, tmp_path):
    """Loads with no error and no request off the machine; every control group; step, play to the end, Reset;
    a tooltip; the CSV download against `ntib run`; a comparison; an uploaded scenario. Step + redraw is timed
    and reported (out/browser/timing.txt), not asserted."""
    page, problems = browser_page
    for group in ("Run", "Scenario", "Levers", "Compare"):
        assert page.locator(".v-card__title", has_text=group).count() >= 1, group
    for label in ("Seed: 1", "Years: 20", "Firm scale: 0.012", "Preference margin: 0.50", "Tariff: 0.10",
                  "Export friction: 0.40"):
        assert page.get_by_text(label, exact=True).count() == 1, label
    assert "status_quo · seed 1 · start, step 0 of 80" in status(page)

    seconds = [step(page, quarter) for quarter in range(1, 13)]
    assert "2027Q4, step 12 of 80" in status(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT)
    median = statistics.median(seconds[2:])
    (SCREENSHOT.parent / "timing.txt").write_text(f"step + redraw, median of {len(seconds) - 2} steps after two: "
                                                  f"{median:.3f} s; each: {', '.join(f'{s:.3f}' for s in seconds)}\n")
    print(f"step + redraw median {median:.3f} s")

    heat = page.locator(CHARTS).nth(1).locator("canvas")
    box = heat.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.locator("#vg-tooltip-element.visible").wait_for(timeout=5_000)
    assert "buyer" in page.inner_text("#vg-tooltip-element")

    page.get_by_role("button", name="▶").click()
    page.get_by_text("step 80 of 80").wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # a play that did not stop would step on
    assert "2044Q4, step 80 of 80" in status(page)
    assert page.get_by_role("button", name="Step").is_disabled()

    with page.expect_download() as download:
        page.get_by_role("button", name="time series (CSV)").click()
    downloaded = Path(download.value.path()).read_text()
    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "model.ui.cli", "run", "--scenario", "status_quo", "--seed", "1",
                    "--years", "20", "--out", str(out)], check=True, capture_output=True, cwd=ROOT)
    assert downloaded == (out / "timeseries.csv").read_text()
    assert len(pd.read_csv(io.StringIO(downloaded))) == 80

    page.get_by_role("button", name="Reset").click()
    page.get_by_text("start, step 0 of 80").wait_for(timeout=20_000)

    choose(page, "Compare with", "america_first")
    page.get_by_text("Changed since the last Reset: Compare with.").wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(f"document.querySelectorAll('{CHARTS} canvas').length >= 11", timeout=30_000)
    step(page, 1)
    page.get_by_text("status quo (late 2025) against America First escalation to 2025Q1").wait_for(timeout=10_000)

    scenario = tmp_path / "mine.toml"
    scenario.write_text('name = "mine"\nextends = "full_ntib"\n')
    page.locator("input[type=file]").set_input_files(scenario)
    page.get_by_text("Using mine.toml, not the Scenario select").wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("mine · seed 1 · start, step 0 of 80").wait_for(timeout=20_000)
    assert page.get_by_text("ntib run --scenario mine.toml --seed 1").count() == 1

    body = page.inner_text("body")
    assert "Traceback" not in body and "error in step" not in body and "Refused" not in body
    assert problems == []
    assert SCREENSHOT.stat().st_size > 50_000
