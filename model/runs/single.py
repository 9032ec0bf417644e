"""One seeded run from plain arguments, returning plain results: the unit every command and sweep uses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.metrics.outcomes import run_summary
from model.policy.scenario import ScenarioSpec
from model.simulation.model import DEFAULT_FIRM_SCALE, NTIBModel


def run_one(scenario: str | ScenarioSpec, seed: int, years: int = 20, firm_scale: float = DEFAULT_FIRM_SCALE,
            overrides: Sequence[str] = ()) -> tuple[dict, pd.DataFrame, np.ndarray]:
    """Run to the end; return the summary, the quarterly time series and the all-value flow matrix."""
    model = NTIBModel(scenario, seed=seed, years=years, firm_scale=firm_scale, overrides=overrides).run()
    return run_summary(model), model.timeseries(), model.ledger.flows.copy()
