"""Layer 7, running and storing: one seeded run from plain arguments, the sweep engine (process pool or Dask,
resumable, failures recorded), the crash-safe Parquet store, and atomic output folders with manifests.

May import `model.simulation` and everything below it.
"""

from model.runs.experiment import load_output

__all__ = ["load_output"]
