"""How long the interactive page takes per quarter at the default size: the target is half a second.

Two measurements over the same number of steps:
  - figures: model.step() plus drawing every panel to PNG, as the server does on each step;
  - page: a click on Step in the rendered page (solara.render, no browser), which adds Mesa's and Solara's
    re-render and widget updates to the above.

    python benchmarks/viz_step.py              # 20 steps at the default firm scale
    python benchmarks/viz_step.py --steps 40 --firm-scale 0.05
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import ipyvuetify as v
import solara

from model.app import ExploreModel, Page
from model.model import DEFAULT_FIRM_SCALE
from model.viz import FIGURES


def figures(steps: int, firm_scale: float) -> dict[str, list[float]]:
    """Seconds per step for model.step(), each panel (draw + PNG) and their total."""
    m = ExploreModel(firm_scale=firm_scale)
    for draw in FIGURES.values():  # warm-up: fonts and caches load on the first figure
        draw(m).savefig(io.BytesIO(), format="png")
    times: dict[str, list[float]] = {"step": [], **{name: [] for name in FIGURES}, "total": []}
    for _ in range(steps):
        start = time.perf_counter()
        m.step()
        times["step"].append(time.perf_counter() - start)
        for name, draw in FIGURES.items():
            t = time.perf_counter()
            draw(m).savefig(io.BytesIO(), format="png")
            times[name].append(time.perf_counter() - t)
        times["total"].append(time.perf_counter() - start)
    return times


def page(steps: int) -> list[float]:
    """Seconds per click on Step in the rendered page at the default sidebar settings."""
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Solara prints the app bar's elements
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()  # warm-up
    out = []
    for _ in range(steps):
        start = time.perf_counter()
        step.click()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps to time (default 20)")
    parser.add_argument("--firm-scale", type=float, default=DEFAULT_FIRM_SCALE,
                        help=f"firm population scale for the figures measurement (default {DEFAULT_FIRM_SCALE})")
    args = parser.parse_args()
    rows = {**figures(args.steps, args.firm_scale)}
    if args.firm_scale == DEFAULT_FIRM_SCALE:
        rows["page (click Step)"] = page(args.steps)
    print(f"{args.steps} steps, firm scale {args.firm_scale}; seconds per step")
    print(f"{'':18s} {'median':>7s} {'max':>7s}")
    for name, values in rows.items():
        print(f"{name:18s} {statistics.median(values):7.3f} {max(values):7.3f}")


if __name__ == "__main__":
    main()
