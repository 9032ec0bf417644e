"""The calibration targets (docs/calibration.md), and checks not used in tuning, measured on a model run, so tests
and the report share one definition."""

from __future__ import annotations

from model.common.countries import C
from model.metrics.outcomes import ModelState, effective_primes, foreign_share_of, us_revenue_share_of


def target_values(model: ModelState) -> dict[str, float]:
    """Model values of the calibration targets over the run since the start date."""
    led = model.ledger
    prime = led.prime_flows
    can = prime[C["CAN"]]
    return {
        "us_foreign_share": foreign_share_of(prime)["USA"],
        "can_share_to_us": float(can[C["USA"]] / can.sum()) if can.sum() > 0 else float("nan"),
        "us_effective_primes": effective_primes(model, "USA"),
    }


def check_values(model: ModelState) -> dict[str, float]:
    """Model values of the checks: observed figures reported beside the targets but not tuned to."""
    us = model.ledger.components[C["USA"]]
    return {"us_primes_foreign_components": float(1.0 - us[C["USA"]] / us.sum()) if us.sum() > 0 else float("nan"),
            "us_revenue_share": us_revenue_share_of(model.ledger.flows)}
