"""The model's Mesa agents: governments (few, plain methods) and firms (thin views onto the firm arrays)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.common.countries import C, COUNTRIES, FE_MASK, FIVE_EYES, SECTORS, TIERS
from model.policy.levers import Policy

FE_PARTNERS = np.array(FE_MASK)

if TYPE_CHECKING:
    from model.simulation.model import NTIBModel


class Firm(mesa.Agent):
    """One firm: its state is row `row` of `model.market.firms`, so array phases and agent code see the same numbers."""

    def __init__(self, model: NTIBModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    def _get(self, column: str):
        return getattr(self.model.firms, column)[self.row]

    @property
    def country(self) -> str:
        return COUNTRIES[self._get("country")]

    @property
    def sector(self) -> str:
        return SECTORS[self._get("sector")]

    @property
    def tier(self) -> str:
        return TIERS[self._get("tier")]

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

    Holds its current `Policy`, applies its schedule, and adapts when its adaptation mode says so.
    """

    def __init__(self, model: NTIBModel, code: str, policy: Policy, schedule: list[tuple[int, dict]]) -> None:
        super().__init__(model)
        self.code = code
        self.index = C[code]
        self.external = code not in FIVE_EYES
        self.policy = policy.copy()
        self._schedule = list(schedule)
        self._last_reaction = -10**6

    def apply_schedule(self, t: int, where: str) -> bool:
        """Put into force the schedule entries due at quarter t; True if any did."""
        changed = False
        while self._schedule and self._schedule[0][0] <= t:
            _, levers = self._schedule.pop(0)
            self.policy.apply(levers, where)
            changed = True
        return changed

    def _alliance_gap(self, barrier_then: np.ndarray, barrier_now: np.ndarray) -> float:
        """Mean barrier among the other Five Eyes pairs (seen `lag` quarters ago) minus ours on the Five Eyes."""
        fe = np.flatnonzero(FE_PARTNERS)
        others = fe[fe != self.index]
        block = barrier_then[np.ix_(others, others)]
        third = block[~np.eye(len(others), dtype=bool)].mean()
        return float(third - barrier_now[self.index, others].mean())

    def adapt(self, t: int, barrier_then: np.ndarray, barrier_now: np.ndarray, home_share: float,
              home_share_ref: float, rng: np.random.Generator) -> bool:
        """Change the policy from what was observed; True if it changed.

        reciprocal: answer each partner's barrier toward us (seen `lag` quarters ago) by moving our tariffs
        toward it; with `contagion`, also follow the protection the other Five Eyes pairs practise among
        themselves, raising our tariffs on every Five Eyes partner. industrial: when the home share of
        procurement has fallen by `threshold`, raise the preference margin and the content minimum by `step`.
        """
        mode, s = self.policy.adaptation.mode, self.policy.adaptation.settings
        p, i = self.policy, self.index
        if mode == "reciprocal":
            gap = barrier_then[:, i] - barrier_now[i, :]  # what each partner imposes on us minus ours on it
            gap[i] = 0.0
            gap[C["ROW"]] = 0.0
            act = (np.abs(gap) > s["threshold"]) & (rng.random(len(gap)) < s["probability"])
            delta = np.where(act, s["response"] * gap, 0.0)
            if s["contagion"] > 0:
                follow = self._alliance_gap(barrier_then, barrier_now)
                if follow > s["threshold"] and rng.random() < s["probability"]:
                    partners = FE_PARTNERS & (np.arange(len(delta)) != i)
                    delta = np.where(partners, delta + s["contagion"] * follow, delta)
                    act |= delta != 0
            if not act.any():
                return False
            p.tariff_end_items = np.clip(p.tariff_end_items + delta, 0.0, s["max_tariff"])
            p.tariff_components = np.clip(p.tariff_components + delta, 0.0, s["max_tariff"])
            return True
        if mode == "industrial" and t - self._last_reaction >= s["lag"]:
            if home_share < home_share_ref - s["threshold"]:
                # never lower a lever that already stands above the cap
                p.preference_margin = np.maximum(p.preference_margin,
                                                 np.minimum(p.preference_margin + s["step"], s["max_margin"]))
                p.content_min = max(p.content_min, min(p.content_min + s["step"], s["max_content"]))
                self._last_reaction = t
                return True
        return False
