"""The live page's charts as Vega-Lite specifications, drawn in the browser with a tooltip on every mark.

A chart's layout (marks, scales, axes, legend) is built with Altair once per model; each step only supplies the
named datasets and the title (`LiveChart.data`, `LiveChart.title`). Altair copies its whole object tree on every
combination of layers, about 0.2 s for the time-series panel, so rebuilding it per step would cost more than the
model step.
(The page's first version rendered matplotlib PNGs on the server: about 0.8 s per step for four panels.) The
charts need no browser, so tests and benchmarks/viz_step.py use them directly.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any, ClassVar, override

import altair as alt
import numpy as np
import pandas as pd

from model.common.countries import COUNTRIES, PRIME, PRODUCERS, C
from model.common.quarters import START_YEAR, quarter_label
from model.metrics.outcomes import codev_pairs
from model.simulation.model import NTIBModel
from model.ui.figures import year_of
from model.ui.names import COUNTRY_NAMES, scenario_label
from model.ui.style import COLOURS

# Fixed, roughly geographic positions, so nodes never move between frames.
POSITIONS: dict[str, tuple[float, float]] = {
    "CAN": (-1.0, 1.0), "USA": (-1.2, 0.0), "GBR": (0.5, 1.15), "EUR": (1.45, 0.75),
    "ROW": (-0.35, -1.2), "AUS": (1.1, -0.95), "NZL": (1.8, -1.3),
}
CODEV_COLOUR = "#17a2b8"
ROW_COLOUR = "#9e9e9e"
MIN_FLOW = 0.05  # US$bn a year: a smaller flow gets no arrow and reads '<0.05' (its tooltip gives it)
FLOW_DOMAIN = (0.01, 1000.0)  # US$bn: one colour scale for every frame and scenario
MAX_FIRMS_SHOWN = 2000
HEIGHT = 300  # pixels of plotting area in a full-size panel
SMALL_HEIGHT = 130  # one of a panel's small multiples
SERIES = (("integration", "integration index, last four quarters (%)"),
          ("foreign_share", "foreign share of purchases (%)"),
          ("tech", "technology (mean quality, 2025 US = 1)"),
          ("unit_cost_index", "unit-cost index (2025Q1 = 1)"))
COMPARED = (("integration", "integration index, last four quarters (%)"),
            ("foreign_share.USA", "US foreign share of purchases (%)"), ("tech.USA", "US technology (mean quality)"),
            ("unit_cost_index.USA", "US unit-cost index (2025Q1 = 1)"))
COMPARED_COLUMNS = {"integration": ("integration_index", 100), "foreign_share.USA": ("foreign_share.USA", 100),
                    "tech.USA": ("tech.USA", 1), "unit_cost_index.USA": ("unit_cost_index.USA", 1)}
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # the page draws with Vega-Lite 5, as Solara loads it
COUNTRY_SCALE = alt.Scale(domain=[COUNTRY_NAMES[c] for c in PRODUCERS], range=[COLOURS[c] for c in PRODUCERS])


def window_flows(m: NTIBModel) -> np.ndarray:
    """Buyer x supplier value over the last four quarters (US$bn, so about a year's worth)."""
    return m.ledger.recent_flows.sum(axis=0)


def when(m: NTIBModel) -> str:
    """The quarter just simulated, or 'start' before the first step."""
    return quarter_label(m.steps - 1) if m.steps else "start"


def themed(chart: alt.TopLevelMixin, dark: bool) -> alt.TopLevelMixin:
    """The page's look: a transparent background, so the chart sits on the page's light or dark card, with text and
    grid lines that read on it; the axis labels inside the column's width, laid out again as data arrives."""
    ink, grid = ("#e0e0e0", "#555555") if dark else ("#222222", "#dddddd")
    return chart.configure(background="transparent", font="sans-serif", autosize=alt.AutoSizeParams(
        type="fit-x", contains="padding", resize=True)).configure_view(stroke=None).configure_axis(
        labelColor=ink, titleColor=ink, gridColor=grid, domainColor=ink, tickColor=ink, labelFontSize=10,
        titleFontSize=10).configure_legend(labelColor=ink, titleColor=ink, symbolOpacity=1).configure_title(
        color=ink, fontSize=12, anchor="start").configure_text(color=ink)


class LiveChart:
    """A chart whose layout is built once for a model (`layout`, on named datasets; kept as `spec`) and whose data
    and title come from the model at each step (`data`, `title`). The title is shown above the chart by the page,
    so that a step changes only data."""

    def __init__(self, m: NTIBModel, dark: bool = False) -> None:
        self.spec: dict[str, Any] = {**themed(self.layout(m, dark), dark).to_dict(validate=False),
                                     "$schema": SCHEMA}

    def data_json(self, m: NTIBModel) -> str:
        """The named datasets of the model's present state as one JSON object of rows, NaN as null (written by
        pandas' JSON writer, in C; the page sends this text as it is)."""
        tables = self.datasets(m).items()
        return "{" + ", ".join(f"{json.dumps(name)}: {table.to_json(orient='records', double_precision=6)}"
                               for name, table in tables) + "}"

    def data(self, m: NTIBModel) -> dict[str, list[dict[str, Any]]]:
        """`data_json` as Python values."""
        return json.loads(self.data_json(m))

    def full_spec(self, m: NTIBModel) -> dict[str, Any]:
        """The layout with the present data and title: what the browser draws, as one Vega-Lite document."""
        return {**self.spec, "datasets": self.data(m), "title": self.title(m)}

    def layout(self, m: NTIBModel, dark: bool = False) -> alt.TopLevelMixin:
        raise NotImplementedError

    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        raise NotImplementedError

    def title(self, m: NTIBModel) -> str:
        raise NotImplementedError


def _years(m: NTIBModel) -> alt.X:
    """A quarter's year on a whole-year axis spanning the run."""
    step = 1 if m.years <= 6 else 5
    return alt.X("year:Q", title=None, scale=alt.Scale(domain=[START_YEAR, START_YEAR + m.years], nice=False),
                 axis=alt.Axis(format="d", values=list(range(START_YEAR, START_YEAR + m.years + 1, step))))


def _series(ts: pd.DataFrame, **columns: pd.Series) -> pd.DataFrame:
    """Long form of some series of a time-series table: one row per quarter and series."""
    out = pd.concat([pd.DataFrame({"quarter": ts["quarter"], "series": name, "value": values.round(4)})
                     for name, values in columns.items()], ignore_index=True)
    out["year"] = year_of(out["quarter"])
    return out


@lru_cache(maxsize=4)
def _timeseries(m: NTIBModel, steps: int) -> pd.DataFrame:  # noqa: ARG001 - `steps` keys the cache
    """The model's time series at `steps`, made once for all the small multiples that draw from it."""
    return m.timeseries()


class SeriesChart(LiveChart):
    """One measure over the run, a line per country (or one for the alliance), on the run's whole-year axis;
    invisible points carry the tooltips (a line's own tooltip gives only its first point). The page shows four,
    two to a row, as small multiples: one chart each, so that each fits its column's width."""

    def __init__(self, m: NTIBModel, measure: str, dark: bool = False) -> None:
        self.measure = measure
        super().__init__(m, dark)

    def colour(self, dark: bool) -> alt.Color | alt.ColorValue:
        if self.measure == "integration":
            return alt.ColorValue("#dddddd" if dark else "#222222")
        legend = alt.Legend(orient="bottom", columns=3) if self.measure == "foreign_share" else None
        return alt.Color("series:N", scale=COUNTRY_SCALE, title=None, legend=legend)

    @override
    def layout(self, m: NTIBModel, dark: bool = False) -> alt.TopLevelMixin:
        base = alt.Chart(alt.Data(name="series"), height=SMALL_HEIGHT, width="container").encode(
            _years(m), alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)), color=self.colour(dark))
        return base.mark_line(strokeWidth=1.5) + base.mark_circle(size=30, opacity=0.001).encode(tooltip=[
            alt.Tooltip("series:N", title="country"), "quarter:N", alt.Tooltip("value:Q", format=".3~f")])

    @override
    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        if not m.steps:
            return {"series": pd.DataFrame(columns=["quarter", "series", "value", "year"])}
        ts = _timeseries(m, m.steps)
        if self.measure == "integration":
            return {"series": _series(ts, **{"Five Eyes": 100 * ts["integration_index"]})}
        scale = 100 if self.measure == "foreign_share" else 1
        return {"series": _series(ts, **{COUNTRY_NAMES[c]: scale * ts[f"{self.measure}.{c}"] for c in PRODUCERS})}

    @override
    def title(self, m: NTIBModel) -> str:
        return dict(SERIES)[self.measure]


class ComparedChart(SeriesChart):
    """One measure of two models stepped together (the page's and the one it is compared with, same seed and
    settings) on shared axes, a line per scenario."""

    def __init__(self, m: NTIBModel, other: NTIBModel, measure: str, dark: bool = False) -> None:
        self.other = other
        self.names = [f"{scenario_label(m.spec.name)} (this page)", f"{scenario_label(other.spec.name)} (compared)"]
        super().__init__(m, measure, dark)

    @override
    def colour(self, dark: bool) -> alt.Color:
        legend = alt.Legend(orient="bottom") if self.measure == COMPARED[0][0] else None
        return alt.Color("series:N", title=None, legend=legend,
                         scale=alt.Scale(domain=self.names, range=["#1f4e9c", "#e07b00"]))

    @override
    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        parts = [pd.DataFrame(columns=["quarter", "series", "value", "year"])]
        column, scale = COMPARED_COLUMNS[self.measure]
        for model, name in zip((m, self.other), self.names):
            if model.steps:
                ts = _timeseries(model, model.steps)
                parts.append(_series(ts, **{name: scale * ts[column]}))
        return {"series": pd.concat(parts, ignore_index=True)}

    @override
    def title(self, m: NTIBModel) -> str:
        return dict(COMPARED)[self.measure]


class FlowsChart(LiveChart):
    """Buyer x supplier value of the last four quarters in US$bn, on one log colour scale for every frame; a
    cell with no trade is left empty, and every cell's exact value is in its tooltip."""

    @override
    def layout(self, m: NTIBModel, dark: bool = False) -> alt.TopLevelMixin:
        base = alt.Chart(alt.Data(name="flows"), height=HEIGHT, width="container").encode(
            alt.X("supplier:N", sort=list(PRODUCERS), title="supplier country", axis=alt.Axis(labelAngle=0)),
            alt.Y("buyer:N", sort=list(COUNTRIES), title="buyer"),
            tooltip=["buyer:N", "supplier:N", alt.Tooltip("value:Q", title="US$bn, last four quarters",
                                                          format=".3f")])
        cells = base.mark_rect(stroke="#888888", strokeWidth=0.3).encode(
            alt.Color("value:Q", title="US$bn", legend=alt.Legend(format="~g"),
                      scale=alt.Scale(type="log", domain=list(FLOW_DOMAIN), scheme="viridis", clamp=True)),
            opacity=alt.condition(alt.datum.value > 0, alt.value(1), alt.value(0)))
        text = base.mark_text(fontSize=10).encode(text="label:N", color=alt.condition(
            alt.datum.value >= 10, alt.value("black"), alt.value("white")))  # legible on viridis' dark and light ends
        return cells + text

    @override
    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        flows = window_flows(m)[:, : len(PRODUCERS)]
        data = pd.DataFrame([{"buyer": buyer, "supplier": supplier, "value": round(float(flows[i, j]), 4)}
                             for i, buyer in enumerate(COUNTRIES) for j, supplier in enumerate(PRODUCERS)])
        data["label"] = [f"{value:.1f}" if value >= MIN_FLOW else f"<{MIN_FLOW:g}" if value > 0 else ""
                         for value in data["value"]]
        return {"flows": data}

    @override
    def title(self, m: NTIBModel) -> str:
        return f"Who buys from whom, four quarters to {when(m)} (US$bn)" + ("" if m.steps else ": press Step")


X_SCALE, Y_SCALE = alt.Scale(domain=[-1.8, 2.3]), alt.Scale(domain=[-1.7, 1.5])
HIDDEN = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)


def _place(layer: alt.Chart, x: str = "x", y: str = "y") -> alt.Chart:
    return layer.encode(alt.X(f"{x}:Q", scale=X_SCALE, axis=HIDDEN), alt.Y(f"{y}:Q", scale=Y_SCALE, axis=HIDDEN))


def _arrow_rows(m: NTIBModel) -> list[dict[str, Any]]:
    """One row per supplier -> buyer flow worth drawing, shifted to the right of its direction so that the two
    directions of a pair do not overlap, with its head 70 % of the way to the buyer."""
    flows, rows = window_flows(m), []
    for i, buyer in enumerate(COUNTRIES):
        for j, supplier in enumerate(COUNTRIES):
            if i == j or flows[i, j] < MIN_FLOW:
                continue
            (x0, y0), (x1, y1) = POSITIONS[supplier], POSITIONS[buyer]
            length = math.hypot(x1 - x0, y1 - y0)
            shift_x, shift_y = 0.05 * (y1 - y0) / length, -0.05 * (x1 - x0) / length
            rows.append({"supplier": supplier, "buyer": buyer, "value": round(float(flows[i, j]), 3),
                         "x": x0 + shift_x, "y": y0 + shift_y, "x2": x1 + shift_x, "y2": y1 + shift_y,
                         "head_x": x0 + 0.7 * (x1 - x0) + shift_x, "head_y": y0 + 0.7 * (y1 - y0) + shift_y,
                         "angle": round(math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360, 1),
                         "width": round(0.6 + 1.5 * math.log10(1 + 10 * flows[i, j]), 2),
                         "colour": COLOURS.get(supplier, ROW_COLOUR)})
    return rows


class NetworkChart(LiveChart):
    """Countries sized by what their firms delivered in the last four quarters, arrows from supplier to buyer
    weighted by value, co-development pairs as dashed links labelled with their programmes."""

    LINK_TOOLTIP: ClassVar[list[str]] = ["pair:N", "active:Q", "completed:Q"]
    TRADE_TOOLTIP: ClassVar[list] = ["supplier:N", "buyer:N",
                                     alt.Tooltip("value:Q", title="US$bn, last four quarters")]

    @override
    def layout(self, m: NTIBModel, dark: bool = False) -> alt.TopLevelMixin:
        links, trade, nodes = (alt.Chart(alt.Data(name=name)) for name in ("links", "trade", "nodes"))
        return alt.layer(
            _place(links.mark_rule(strokeDash=[4, 3], color=CODEV_COLOUR, strokeWidth=1.5)).encode(
                x2="x2:Q", y2="y2:Q", tooltip=self.LINK_TOOLTIP),
            _place(links.mark_text(color=CODEV_COLOUR, fontSize=10, dy=-6), "mid_x", "mid_y").encode(
                text="label:N", tooltip=self.LINK_TOOLTIP),
            _place(trade.mark_rule(opacity=0.75)).encode(
                x2="x2:Q", y2="y2:Q", strokeWidth=alt.StrokeWidth("width:Q", scale=None),
                color=alt.Color("colour:N", scale=None), tooltip=self.TRADE_TOOLTIP),
            _place(trade.mark_point(shape="triangle", filled=True, size=60, opacity=0.9), "head_x", "head_y").encode(
                angle=alt.Angle("angle:Q", scale=None), color=alt.Color("colour:N", scale=None),
                tooltip=self.TRADE_TOOLTIP),
            _place(nodes.mark_circle(opacity=1, stroke="black", strokeWidth=1)).encode(
                size=alt.Size("size:Q", scale=None), color=alt.Color("colour:N", scale=None),
                tooltip=["country:N", alt.Tooltip("output:Q", title="delivered, US$bn, last year")]),
            _place(nodes.mark_text(dy=22, fontSize=10)).encode(text="label:N"),
            height=HEIGHT, width="container")

    @override
    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        output = window_flows(m).sum(axis=0)
        nodes = pd.DataFrame([{
            "code": c, "country": COUNTRY_NAMES[c], "x": POSITIONS[c][0], "y": POSITIONS[c][1],
            "output": round(float(output[C[c]]), 3), "colour": COLOURS.get(c, ROW_COLOUR),
            "label": f"{c} {output[C[c]]:.1f}" if c in PRODUCERS else f"{c} (buys only)",
            "size": round(150 + 350 * math.log10(1 + output[C[c]]), 1)} for c in COUNTRIES])
        links = []
        for key, count in codev_pairs(m).items():
            (xa, ya), (xb, yb) = (POSITIONS[code] for code in key.split("-"))
            links.append({"pair": " - ".join(COUNTRY_NAMES[code] for code in key.split("-")), "x": xa, "y": ya,
                          "x2": xb, "y2": yb, "mid_x": (xa + xb) / 2, "mid_y": (ya + yb) / 2,
                          "active": count["active"], "completed": count["completed"],
                          "label": str(count["active"] + count["completed"])})
        return {"nodes": nodes, "links": pd.DataFrame(links), "trade": pd.DataFrame(_arrow_rows(m))}

    @override
    def title(self, m: NTIBModel) -> str:
        return f"Alliance network, {when(m)}: node = what a country's firms delivered (US$bn, last year)"


class Extent:
    """A range that only grows, so the firms chart's axes do not jump between frames."""

    def __init__(self) -> None:
        self.low, self.high = math.inf, -math.inf

    def cover(self, values: np.ndarray) -> list[float]:
        if len(values):
            self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        if not math.isfinite(self.low):
            return [0.0, 1.0]
        pad = 0.05 * (self.high - self.low) or 0.05
        return [self.low - pad, self.high + pad]


class FirmsChart(LiveChart):
    """Active firms' quality against unit cost, by country; primes large and outlined. A fixed-seed sample keeps
    large populations legible and quick to send; the axes only grow (two invisible corner points hold them), so
    points move and the frame stays."""

    def __init__(self, m: NTIBModel, dark: bool = False) -> None:
        self.cost, self.quality = Extent(), Extent()
        super().__init__(m, dark)

    @override
    def layout(self, m: NTIBModel, dark: bool = False) -> alt.TopLevelMixin:
        x = alt.X("unit_cost:Q", title="unit cost (US$bn per unit)", scale=alt.Scale(nice=False, zero=False))
        y = alt.Y("quality:Q", title="quality (technology level)", scale=alt.Scale(nice=False, zero=False))
        corners = alt.Chart(alt.Data(name="extent")).mark_point(opacity=0).encode(x, y)  # holds the axes open
        return corners + alt.Chart(alt.Data(name="firms")).mark_point(filled=True).encode(
            x, y,
            alt.Color("country:N", scale=COUNTRY_SCALE, title=None, legend=alt.Legend(orient="bottom", columns=3)),
            size=alt.Size("tier:O", scale=alt.Scale(domain=["supplier", "prime"], range=[12, 60]), legend=None),
            stroke=alt.condition(alt.datum.tier == "prime", alt.value("black"), alt.value(None)),
            opacity=alt.condition(alt.datum.tier == "prime", alt.value(1.0), alt.value(0.5)),
            tooltip=["country:N", "tier:N", alt.Tooltip("unit_cost:Q", title="unit cost, US$bn"),
                     alt.Tooltip("quality:Q", format=".3f")]).properties(height=HEIGHT, width="container")

    def shown(self, m: NTIBModel) -> np.ndarray:
        """Rows of the producing countries' active firms, at most MAX_FIRMS_SHOWN of them (a fixed-seed sample)."""
        f = m.firms
        rows = np.flatnonzero(f.active & np.isin(f.country, [C[c] for c in PRODUCERS]))
        if len(rows) > MAX_FIRMS_SHOWN:
            rows = np.sort(np.random.default_rng(0).choice(rows, MAX_FIRMS_SHOWN, replace=False))
        return rows

    @override
    def datasets(self, m: NTIBModel) -> dict[str, pd.DataFrame]:
        f, rows = m.firms, self.shown(m)
        cost, quality = self.cost.cover(f.unit_cost[rows]), self.quality.cover(f.quality[rows])
        return {"firms": pd.DataFrame({
                    "country": [COUNTRY_NAMES[COUNTRIES[code]] for code in f.country[rows]],
                    "tier": np.where(f.tier[rows] == PRIME, "prime", "supplier"),
                    "unit_cost": f.unit_cost[rows].round(5), "quality": f.quality[rows].round(4)}),
                "extent": pd.DataFrame({"unit_cost": cost, "quality": quality})}

    @override
    def title(self, m: NTIBModel) -> str:
        active, shown = int(m.firms.active.sum()), len(self.shown(m))
        sample = "" if shown == active else f", {shown:,} shown"
        return f"Firms at {when(m)}: {active:,} active{sample}; primes outlined"


PANEL_CHARTS: dict[str, type[LiveChart]] = {"network": NetworkChart, "flows": FlowsChart, "firms": FirmsChart}
