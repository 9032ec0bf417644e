"""Phase 5, production: deliver against backlog up to capacity, learn, pay costs, and resize capacity."""

from __future__ import annotations

import numpy as np

from model.common.countries import PRIME
from model.market.firms import FirmTable
from model.policy.params import Params


def produce(firms: FirmTable, params: Params, supply_factor: np.ndarray) -> None:
    """One quarter of work for every active firm.

    `supply_factor` (country x sector) scales usable capacity during a supply disruption. Unit cost falls
    with cumulative output by the progress ratio and rises with quality (firms.unit_cost_of); capacity moves
    toward (backlog before delivery) / target_backlog, growing by partial adjustment (paid for) and shrinking
    slowly when idle.
    """
    active = firms.active
    usable = firms.capacity * supply_factor[firms.country, firms.sector]
    delivered = np.where(active, np.minimum(firms.backlog, usable), 0.0)
    own_share = np.where(firms.tier == PRIME, 1.0 - params.component_share, 1.0)
    firms.cash -= delivered * own_share * firms.unit_cost
    firms.cash -= np.where(active, params.fixed_cost * firms.capacity * firms.unit_cost, 0.0)
    firms.backlog -= delivered
    firms.delivered[:] = delivered
    firms.delivery_capacity[:] = np.where(active, firms.capacity, 0.0)
    firms.cum_output *= 1.0 - params.experience_depreciation
    firms.cum_output += delivered
    firms.update_unit_cost(params)

    gap = (firms.backlog + delivered) / params.target_backlog - firms.capacity
    grow = np.where(active & (gap > 0), params.capacity_adjust * gap, 0.0)
    shrink = np.where(active & (gap < 0), params.capacity_decay * gap, 0.0)
    firms.cash -= params.capex_cost * grow * firms.unit_cost * own_share
    np.maximum(firms.capacity + grow + shrink, 1e-9, out=firms.capacity)


def close_accounts(firms: FirmTable, cash_before: np.ndarray, params: Params, smoothing: float = 0.1) -> None:
    """Smooth receipts and profit (change in cash), count loss-making quarters, and pay out cash held beyond
    `cash_buffer` quarters of revenue (dividends leave the model, so cash cannot pile up for ever)."""
    active = firms.active
    profit = firms.cash - cash_before
    firms.revenue_ema[:] = np.where(active, (1 - smoothing) * firms.revenue_ema + smoothing * firms.receipts, 0.0)
    firms.profit_ema[:] = np.where(active, (1 - smoothing) * firms.profit_ema + smoothing * profit, 0.0)
    firms.loss_streak[:] = np.where(active & (firms.profit_ema < 0), firms.loss_streak + 1, 0)
    firms.receipts[:] = 0.0
    buffer = params.cash_buffer * np.maximum(firms.revenue_ema, 0.0)
    np.minimum(firms.cash, np.maximum(buffer, cash_before.clip(max=buffer)), out=firms.cash, where=active)
