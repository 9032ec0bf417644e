"""How long the interactive page takes per quarter at the default size: the target is half a second.

Two measurements over the same number of steps:
  - figures: model.step() plus repainting every panel and saving it as PNG, as the server does on each step;
  - page: a click on Step in the rendered page (solara.render, no browser), which adds Mesa's and Solara's
    re-render and widget updates to the above.

    python benchmarks/viz_step.py              # 20 steps at the default firm scale
    python benchmarks/viz_step.py --steps 40 --firm-scale 0.05
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time
from collections.abc import Callable

import ipyvuetify as v
import solara

from model.simulation.model import DEFAULT_FIRM_SCALE
from model.ui.app import ExploreModel, Page
from model.ui.viz import CHARTS

Timing = tuple[float, float]  # (wall, CPU) seconds


def timed(action: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def figures(steps: int, firm_scale: float) -> dict[str, list[Timing]]:
    """Per step: model.step(), each panel (repaint + PNG, charts built once as the page does), and their total."""
    m = ExploreModel(firm_scale=firm_scale)
    charts = {name: chart(m) for name, chart in CHARTS.items()}
    for chart in charts.values():  # warm-up: fonts and caches load on the first figure
        chart.update(m).savefig(io.BytesIO(), format="png")
    times: dict[str, list[Timing]] = {"step": [], **{name: [] for name in CHARTS}, "total": []}

    def one_step() -> None:
        times["step"].append(timed(m.step))
        for name, chart in charts.items():
            times[name].append(timed(lambda chart=chart: chart.update(m).savefig(io.BytesIO(), format="png")))

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
    print(f"{'':18s} {'median':>7s} {'max':>7s} {'CPU med':>8s}")
    for name, values in rows.items():
        wall, cpu = zip(*values)
        print(f"{name:18s} {statistics.median(wall):7.3f} {max(wall):7.3f} {statistics.median(cpu):8.3f}")


if __name__ == "__main__":
    main()
