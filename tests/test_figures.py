"""The report figures name the shipped scenarios as a reader does ("full NTIB"), not by their codes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from model.common.countries import COUNTRIES
from model.ui import figures


def _series(names: list[str]) -> pd.DataFrame:
    """A few quarters of a made-up integration index for each scenario over two seeds."""
    rows = [{"scenario": name, "seed": seed, "year": 2025 + q / 4, "integration_index": 0.1 + 0.01 * (q + seed)}
            for name in names for seed in (1, 2) for q in range(4)]
    return pd.DataFrame(rows)


@pytest.fixture
def drawn(monkeypatch):
    """The figures a drawing function saves, kept to read (they are still written to their files)."""
    kept = []
    save = figures.save

    def keep(fig, path, *args, **kwargs):
        kept.append(fig)
        return save(fig, path, *args, **kwargs)

    monkeypatch.setattr(figures, "save", keep)
    return kept


def _svg_texts(paths: list) -> list[str]:
    """The texts an SVG figure shows (matplotlib writes each beside its glyphs as a comment)."""
    return re.findall(r"<!-- (.*?) -->", next(p for p in paths if p.suffix == ".svg").read_text())


def test_scenarios_over_time_titles_each_panel_with_the_scenarios_human_name(tmp_path, drawn):
    figures.headless()
    paths = figures.scenarios_over_time(_series(["status_quo", "full_ntib"]), ["status_quo", "full_ntib"],
                                        "integration_index", 100, "integration (%)", "Integration", tmp_path / "f")
    (fig,) = drawn
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["status quo (late 2025)", "full NTIB"]
    assert "grey: status quo (late 2025)" in fig.get_suptitle()
    shown = _svg_texts(paths)
    assert "full NTIB" in shown and not any("full_ntib" in text or "status_quo" in text for text in shown)


def test_integration_legend_and_flows_titles_use_human_names_and_keep_unknown_names(tmp_path, drawn):
    figures.headless()
    figures.integration_over_time(_series(["pre_2025", "my_own"]), tmp_path / "legend")
    legend = [text.get_text() for text in drawn[0].axes[0].get_legend().get_texts()]
    assert legend == ["before the 2025 US tariffs", "my_own"]  # a user's scenario keeps its own name
    flows = {name: np.ones((len(COUNTRIES), len(COUNTRIES))) for name in ("aukus_only", "america_first")}
    shown = _svg_texts(figures.flows_heatmap(flows, 2, tmp_path / "flows"))
    assert "AUKUS only" in shown and "America First escalation" in shown and "aukus_only" not in shown
