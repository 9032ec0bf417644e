"""The statistics every table and figure reports: means with 95 % t-intervals across seeds (or runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values: pd.DataFrame | pd.Series | np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the 95 % t-interval across rows (zero half-width for a single row)."""
    arr = np.asarray(values, dtype=float)
    n = arr.shape[axis]
    if n == 0:  # nothing to average (e.g. no run recovered): NaN, not a numpy warning
        empty = np.full(np.delete(arr.shape, axis), np.nan)
        return empty, empty
    mean = np.nanmean(arr, axis=axis)
    if n < 2:
        return mean, np.zeros_like(mean)
    half = stats.t.ppf(0.975, n - 1) * np.nanstd(arr, axis=axis, ddof=1) / np.sqrt(n)
    return mean, half
