"""Regenerate the README's pictures of the page: `ntib viz` in headless Chromium at 1600 and 1024 px wide, in
dark mode and comparing two scenarios, each after twelve quarters; and time Step + redraw as a person sees it
(from the click until every chart has drawn its new data), median of ten steps.

    .venv/bin/python scripts/screenshots.py          # make screenshots: docs/img/viz*.png

Needs Debian's Chromium (/usr/bin/chromium) and the page's browser files (make demo stores them).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# file -> (width, colour scheme, scenario compared with, or None)
SHOTS = {"viz.png": (1600, "light", None), "viz-1024.png": (1024, "light", None), "viz-dark.png": (1600, "dark", None),
         "viz-compare.png": (1600, "light", "full_ntib")}
CHARTS = ".ntib-live-chart"  # each counts the frames it has drawn in its data-frames attribute
CHARTS_SHOWN = 7  # network, flows, firms, and the four over the run


@contextmanager
def viz_server() -> Iterator[str]:
    """`ntib viz` on a free port of 127.0.0.1, in a process group of its own, stopped with its child at the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "model.ui.cli", "viz", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"screenshots: ntib viz did not answer on {url}")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def frames(page: Page) -> list[int]:
    """How many frames each chart on the page has drawn."""
    return page.eval_on_selector_all(CHARTS, "charts => charts.map(chart => Number(chart.dataset.frames || 0))")


def step(page: Page, quarter: int) -> float:
    """Click Step and wait until the status line shows the new quarter and every chart has drawn a new frame;
    the seconds it took."""
    before = frames(page)
    started = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(f"step {quarter} of").wait_for(timeout=20_000)
    while any(now <= then for now, then in zip(frames(page), before)):
        page.wait_for_timeout(5)
    return time.perf_counter() - started


def compare_with(page: Page, scenario: str) -> None:
    """Choose a scenario in the Compare with select and Reset, so that both run side by side."""
    page.locator(".v-select", has=page.locator("label", has_text="Compare with")).click()
    page.locator(".v-menu__content .v-list-item", has_text=scenario).first.click()
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(f"document.querySelectorAll('{CHARTS} canvas').length >= {CHARTS_SHOWN + 4}",
                           timeout=30_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder (default docs/img)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"screenshots: {CHROMIUM} is missing; expected Debian's chromium (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with viz_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, (width, scheme, compared) in SHOTS.items():
            page = browser.new_page(viewport={"width": width, "height": 1250}, color_scheme=scheme)
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_function(f"document.querySelectorAll('{CHARTS} canvas').length >= {CHARTS_SHOWN}",
                                   timeout=90_000)
            first_paint = time.perf_counter() - started
            if scheme == "dark":
                page.get_by_role("button").filter(has=page.locator(".mdi-brightness-auto, .mdi-white-balance-sunny"
                                                                   )).first.click()
            if compared:
                compare_with(page, compared)
            seconds = [step(page, quarter) for quarter in range(1, 13)]
            page.screenshot(path=args.out / name)
            setting = f"{width} px, {scheme}" + (f", compared with {compared}" if compared else "")
            print(f"{name}: {setting}; first paint {first_paint:.2f} s; step + redraw median "
                  f"{statistics.median(seconds[2:]):.2f} s (of {len(seconds) - 2}, after two warm-up steps)")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
