"""Layer 7, running and storing: one seeded run from plain arguments, the sweep engine (process pool or Dask,
resumable, failures recorded), the crash-safe Parquet store, atomic output folders with manifests, the validation
suite, the calibration and the EMA Workbench adapter.

May import `model.simulation` and everything below it.
"""

from model.runs.experiment import load_output

__all__ = ["load_output"]
