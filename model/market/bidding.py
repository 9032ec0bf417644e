"""The bid rule, the one way the model ranks offers: governments ranking primes' bids for end items
(procurement) and primes ranking suppliers' offers for component lots (sourcing) both score

    quality_weight * log(quality) - log(price * (1 + penalty) * (1 + lateness)) + bid_noise * noise,

where `price` is what the buyer would pay (duties and licence costs included), `penalty` the evaluated-price
penalty the buyer adds (a preference margin, home bias), and `lateness` the penalty on quarters of lead time
beyond what the buyer accepts. The prime cost formula (own work plus landed components) is here too, since
the price a prime bids and the cost of capability the outcomes report both rest on it.
"""

from __future__ import annotations

import numpy as np

from model.market.firms import FirmTable
from model.policy.params import Params


def prime_cost(firms: FirmTable, rows: np.ndarray, component_share: float) -> np.ndarray:
    """Cost of one product unit of the primes in `rows`: their own work plus their landed components."""
    return (1.0 - component_share) * firms.unit_cost[rows] + component_share * firms.comp_price[rows]


def prime_unit_price(firms: FirmTable, rows: np.ndarray, params: Params) -> np.ndarray:
    """Net price of one product unit: the prime cost with the markup."""
    return prime_cost(firms, rows, params.component_share) * (1.0 + params.markup)


def lead_quarters(backlog: np.ndarray, new_units: np.ndarray, usable_capacity: np.ndarray) -> np.ndarray:
    """Quarters until an order of `new_units` would be delivered behind the work already in hand."""
    return (backlog + new_units) / usable_capacity


def lateness(lead: np.ndarray, params: Params) -> np.ndarray:
    """Evaluated-price penalty for lead time beyond the `lead_time_ref` quarters a buyer accepts."""
    return params.lead_time_weight * np.maximum(lead - params.lead_time_ref, 0.0)


def bid_score(quality: np.ndarray, price: np.ndarray, penalty: np.ndarray | float, late: np.ndarray | float,
              noise: np.ndarray | float, params: Params, noise_sd: float | None = None) -> np.ndarray:
    """Best value: higher is better. `noise` is standard normal (fit to the requirement, unobserved), scaled by
    `noise_sd` (the bid noise unless given: sourcing gives its own)."""
    return (params.quality_weight * np.log(quality)
            - np.log(price * (1.0 + penalty) * (1.0 + late))
            + (params.bid_noise if noise_sd is None else noise_sd) * noise)
