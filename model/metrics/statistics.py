"""The statistics every table and figure reports: means with 95 % t-intervals across seeds (or runs)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values: pd.DataFrame | pd.Series | np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the 95 % t-interval across rows, over the rows that hold a number (NaN rows, e.g.
    runs in which a share had no denominator, are left out, not counted); NaN where no row holds one, and
    zero half-width where one does."""
    arr = np.asarray(values, dtype=float)
    present = ~np.isnan(arr)
    n = present.sum(axis=axis)
    total = np.where(present, arr, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        deviation = np.where(present, arr - np.expand_dims(mean, axis), 0.0)
        sd = np.sqrt((deviation**2).sum(axis=axis) / np.maximum(n - 1, 1))
        t_value = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n > 1, t_value * sd / np.sqrt(np.maximum(n, 1)), np.where(n == 1, 0.0, np.nan))
    return mean, half


def ci_columns(label: str, values: np.ndarray | pd.Series, scale: float = 1.0) -> dict[str, float]:
    """'<label> mean', '<label> lo', '<label> hi': the mean over seeds and its 95 % interval, as numbers a
    table keeps numeric (NaN where there is nothing to average)."""
    mean, half = mean_ci(np.asarray(values, dtype=float) * scale)
    return {f"{label} mean": float(mean), f"{label} lo": float(mean - half), f"{label} hi": float(mean + half)}


def runs_needed(mean: float, sd: float, precision: float = 0.25) -> float:
    """Smallest n with t(0.975, n-1) * sd / sqrt(n) <= precision * |mean|: the runs a 95 % interval of
    +-precision of the effect needs (inf when there is no effect to measure)."""
    if not math.isfinite(sd) or mean == 0 or not math.isfinite(mean):
        return math.inf
    if sd == 0:
        return 2.0
    for n in range(2, 100_001):
        if stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= precision * abs(mean):
            return float(n)
    return math.inf
