"""Layer 5, what is measured: outcome reporters and the run summary (pure functions of a model's state, read
through the `ModelState` protocol), the outcomes the reports derive from the flat runs table (`derived`), the
calibration targets, and the statistics the reports use.

May import `model.common`, `model.policy` and `model.market`; it reads the model without importing it.
"""

from model.metrics.outcomes import run_summary

__all__ = ["run_summary"]
