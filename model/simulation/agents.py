"""The model's Mesa agents: governments (few, plain methods) and firms (thin views onto the firm arrays)."""

from __future__ import annotations

from typing import Protocol

import mesa
import numpy as np

from model.common.countries import COUNTRIES, SECTORS, TIERS, C
from model.market.firms import FirmTable
from model.policy.adaptation import Observation, Reaction, adapts
from model.policy.levers import Policy


class HoldsFirms(Protocol):
    """What a firm view needs of its model: the firm table (NTIBModel has it)."""

    firms: FirmTable


class Firm(mesa.Agent):
    """One firm: its state is row `row` of the model's FirmTable, so array phases and agent code see the same
    numbers."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    def _get(self, column: str) -> np.generic:
        table: HoldsFirms = self.model  # always an NTIBModel
        return getattr(table.firms, column)[self.row]

    @property
    def country(self) -> str:
        return COUNTRIES[int(self._get("country"))]

    @property
    def sector(self) -> str:
        return SECTORS[int(self._get("sector"))]

    @property
    def tier(self) -> str:
        return TIERS[int(self._get("tier"))]

    @property
    def quality(self) -> float:
        return float(self._get("quality"))

    @property
    def unit_cost(self) -> float:
        return float(self._get("unit_cost"))

    @property
    def capacity(self) -> float:
        return float(self._get("capacity"))

    @property
    def backlog(self) -> float:
        return float(self._get("backlog"))

    @property
    def cash(self) -> float:
        return float(self._get("cash"))


class Government(mesa.Agent):
    """A buyer: a Five Eyes government, or an external bloc (EUR, ROW) that keeps its rules fixed.

    Holds its current `Policy`, applies its schedule, and adapts when its adaptation mode says so; every
    change passes through the same validation as a scenario file.
    """

    def __init__(self, model: mesa.Model, code: str, policy: Policy, schedule: list[tuple[int, dict]]) -> None:
        super().__init__(model)
        self.code = code
        self.index = C[code]
        self.policy = policy.copy()
        self._schedule = list(schedule)
        self._reaction = Reaction(self.index)

    @property
    def adaptive(self) -> bool:
        return adapts(self.code, self.policy.adaptation)

    def apply_schedule(self, t: int, where: str) -> bool:
        """Put into force the schedule entries due at quarter t; True if any did."""
        changed = False
        while self._schedule and self._schedule[0][0] <= t:
            _, levers = self._schedule.pop(0)
            self.policy.apply(levers, where)
            changed = True
        return changed

    def adapt(self, seen: Observation, rng: np.random.Generator) -> bool:
        """React to what was observed (model.policy.adaptation); True if the policy changed."""
        changes = self._reaction.respond(self.policy.adaptation, self.policy, seen, rng)
        if changes:
            self.policy.apply(changes, f"{self.code} adaptation in quarter {seen.t}")
        return bool(changes)
