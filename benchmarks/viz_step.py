"""How long the interactive page's server takes per quarter at the default size (the page's target for step plus
redraw in the browser is 0.3 s; tests/test_browser.py and scripts/screenshots.py time that).

Two measurements over the same number of steps:
  - charts: model.step() plus each live chart's data as JSON, as the server sends it on each step (the layouts
    are built once, as the page does);
  - page: a click on Step in the rendered page (solara.render, no browser), which adds Mesa's and Solara's
    re-render and widget updates to the above.

    python benchmarks/viz_step.py              # 20 steps at the default firm scale
    python benchmarks/viz_step.py --steps 40 --firm-scale 0.05
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import time
from collections.abc import Callable

import ipyvuetify as v
import solara

from model.simulation.model import DEFAULT_FIRM_SCALE
from model.ui.app import ExploreModel, Page
from model.ui.charts import PANEL_CHARTS, SERIES, LiveChart, SeriesChart

Timing = tuple[float, float]  # (wall, CPU) seconds


def timed(action: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def figures(steps: int, firm_scale: float) -> dict[str, list[Timing]]:
    """Per step: model.step(), each chart's data as JSON (layouts built once, as the page does), and the total."""
    m = ExploreModel(firm_scale=firm_scale)
    charts: dict[str, LiveChart] = {name: chart(m) for name, chart in PANEL_CHARTS.items()}
    charts |= {f"series {measure}": SeriesChart(m, measure) for measure, _ in SERIES}
    times: dict[str, list[Timing]] = {"step": [], **{name: [] for name in charts}, "total": []}

    def one_step() -> None:
        times["step"].append(timed(m.step))
        for name, chart in charts.items():
            times[name].append(timed(lambda chart=chart: json.dumps(chart.data(m))))

    for _ in range(steps):
        times["total"].append(timed(one_step))
    return times


def page(steps: int) -> list[Timing]:
    """Per click on Step in the rendered page at the default sidebar settings."""
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Solara prints the app bar's elements
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()  # warm-up
    return [timed(step.click) for _ in range(steps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps to time (default 20)")
    parser.add_argument("--firm-scale", type=float, default=DEFAULT_FIRM_SCALE,
                        help=f"firm population scale for the figures measurement (default {DEFAULT_FIRM_SCALE})")
    args = parser.parse_args()
    rows = figures(args.steps, args.firm_scale)
    if args.firm_scale == DEFAULT_FIRM_SCALE:
        rows["page (click Step)"] = page(args.steps)
    print(f"{args.steps} steps, firm scale {args.firm_scale}; seconds per step; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes slow the wall times)")
    print(f"{'':28s} {'median':>7s} {'max':>7s} {'CPU med':>8s}")
    for name, values in rows.items():
        wall, cpu = zip(*values)
        print(f"{name:28s} {statistics.median(wall):7.3f} {max(wall):7.3f} {statistics.median(cpu):8.3f}")


if __name__ == "__main__":
    main()
