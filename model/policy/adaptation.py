"""How governments adapt their policies, in one place: the modes and their settings, the history of barriers
they look back on, and the reaction rules. A reaction returns lever changes, which the government applies
through the same validation as a scenario file.

reciprocal: answer each partner's barrier toward us (seen `lag` quarters ago) by moving our tariffs toward it;
with `contagion`, also follow the protection the other Five Eyes pairs practise among themselves, raising our
tariffs on every Five Eyes partner. industrial: when the home share of procurement has fallen by `threshold`,
raise the preference margin, the content minimum and the share of work directed to home primes without
competition by `step` (qualifying partners escape the first two by their MOUs; the third reaches them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from model.common.countries import FIVE_EYES, FIVE_EYES_MASK, C
from model.common.errors import InputError
from model.common.validation import number, shown

# mode -> setting -> (default, low, high, meaning)
ADAPTATION: dict[str, dict[str, tuple[float, float, float, str]]] = {
    "static": {},
    "reciprocal": {
        "lag": (2, 0, 40, "quarters before a partner's barrier is answered"),
        "response": (0.5, 0.0, 1.0, "share of the barrier gap matched per answer"),
        "threshold": (0.02, 0.0, 5.0, "smallest barrier gap that is answered"),
        "probability": (0.7, 0.0, 1.0, "probability of answering a gap in a quarter"),
        "max_tariff": (1.0, 0.0, 5.0, "highest retaliatory tariff"),
        "contagion": (0.0, 0.0, 1.0, "share of the gap between the other Five Eyes pairs' mean barrier and our "
                                     "own mean barrier on the Five Eyes closed per answer, toward all of them "
                                     "(0: answer each partner only for what it does to us)"),
    },
    "industrial": {
        "lag": (4, 0, 40, "quarters over which the home share is observed"),
        "threshold": (0.05, 0.0, 1.0, "fall in the home share of procurement that triggers protection"),
        "step": (0.05, 0.0, 1.0, "increase in preference margin, content minimum and non-competed share per "
                                 "reaction"),
        "max_margin": (1.0, 0.0, 5.0, "highest preference margin"),
        "max_content": (0.9, 0.0, 1.0, "highest content minimum"),
        "max_noncompeted": (0.8, 0.0, 1.0, "highest share of tenders directed to home primes"),
    },
}
ADAPTATION_MODES = tuple(ADAPTATION)
WHOLE_SETTINGS = frozenset({"lag"})  # counted in quarters: 2.0 is read as 2, 2.5 is refused
MAX_LAG = int(max(settings["lag"][2] for settings in ADAPTATION.values() if "lag" in settings))
NEVER = -(10**6)  # quarter of the last reaction before any has happened


@dataclass
class Adaptation:
    """A government's adaptation mode and its settings (defaults filled in)."""

    mode: str = "static"
    settings: dict[str, float] = field(default_factory=dict)


def adapts(code: str, adaptation: Adaptation) -> bool:
    """Whether a government's levers move during a run: only Five Eyes governments adapt (the EUR and ROW blocs
    keep their rules fixed), and only in a mode other than static."""
    return code in FIVE_EYES and adaptation.mode != "static"


def parse_adaptation(value: object, where: str) -> Adaptation:
    """An `adaptation = { mode = ..., setting = ... }` table from a scenario file or --set."""
    if not isinstance(value, dict) or "mode" not in value:
        raise InputError(f"{where}: expected a table with mode = one of {', '.join(ADAPTATION)}, got {shown(value)}")
    mode = value["mode"]
    if not isinstance(mode, str) or mode not in ADAPTATION:
        raise InputError(f"{where}.mode: unknown mode {shown(mode)}; allowed: {', '.join(ADAPTATION)}")
    spec = ADAPTATION[mode]
    settings = {key: default for key, (default, *_rest) in spec.items()}
    for key, setting in value.items():
        if key == "mode":
            continue
        if key not in spec:
            allowed = ", ".join(spec) or "none"
            raise InputError(f"{where}.{key}: unknown setting for mode '{mode}'; allowed: {allowed}")
        _, low, high, _ = spec[key]
        settings[key] = number(setting, low, high, f"{where}.{key}")
        if key in WHOLE_SETTINGS and not settings[key].is_integer():
            raise InputError(f"{where}.{key}: {setting!r} is not a whole number of quarters; allowed: a whole "
                             f"number from {low} to {high}")
    return Adaptation(mode, settings)


class BarrierHistory:
    """The effective barrier matrices of past quarters, as many as the longest allowed lag looks back."""

    def __init__(self) -> None:
        self._past: deque[np.ndarray] = deque(maxlen=MAX_LAG + 1)

    def __len__(self) -> int:
        return len(self._past)

    def record(self, barrier: np.ndarray) -> None:
        self._past.append(barrier)

    def seen(self, lag: int, now: np.ndarray) -> np.ndarray:
        """The barriers as they stood `lag` quarters ago (today's before that much history exists)."""
        return self._past[-lag] if 0 < lag <= len(self._past) else now


@dataclass(frozen=True)
class Observation:
    """What a government sees when it decides whether to react."""

    t: int
    barrier_then: np.ndarray  # [imposer, target], `lag` quarters ago
    barrier_now: np.ndarray
    home_share: float  # its own firms' share of its end-item awards, last four quarters
    home_share_ref: float  # the same at the start date


class AdaptiveLevers(Protocol):
    """The levers a reaction reads (a Policy has them)."""

    tariff_end_items: np.ndarray
    tariff_components: np.ndarray
    preference_margin: np.ndarray
    content_min: float
    noncompeted_share: float


class Reaction:
    """One government's reactions: the rules of its mode, and when it last reacted."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.last_reaction = NEVER

    def respond(self, adaptation: Adaptation, levers: AdaptiveLevers, seen: Observation,
                rng: np.random.Generator) -> dict[str, object]:
        """The lever changes this quarter's observation calls for (empty if none)."""
        if adaptation.mode == "reciprocal":
            return self._reciprocal(adaptation.settings, levers, seen, rng)
        if adaptation.mode == "industrial" and seen.t - self.last_reaction >= adaptation.settings["lag"]:
            changes = _industrial(adaptation.settings, levers, seen)
            if changes:
                self.last_reaction = seen.t
            return changes
        return {}

    def _reciprocal(self, settings: dict[str, float], levers: AdaptiveLevers, seen: Observation,
                    rng: np.random.Generator) -> dict[str, object]:
        i = self.index
        gap = seen.barrier_then[:, i] - seen.barrier_now[i, :]  # what each partner imposes on us minus ours on it
        gap[i] = 0.0
        gap[C["ROW"]] = 0.0
        act = (np.abs(gap) > settings["threshold"]) & (rng.random(len(gap)) < settings["probability"])
        delta = np.where(act, settings["response"] * gap, 0.0)
        if settings["contagion"] > 0:
            follow = self._alliance_gap(seen.barrier_then, seen.barrier_now)
            if follow > settings["threshold"] and rng.random() < settings["probability"]:
                partners = FIVE_EYES_MASK & (np.arange(len(delta)) != i)
                delta = np.where(partners, delta + settings["contagion"] * follow, delta)
                act |= delta != 0
        if not act.any():
            return {}
        return {"tariff_end_items": np.clip(levers.tariff_end_items + delta, 0.0, settings["max_tariff"]),
                "tariff_components": np.clip(levers.tariff_components + delta, 0.0, settings["max_tariff"])}

    def _alliance_gap(self, barrier_then: np.ndarray, barrier_now: np.ndarray) -> float:
        """Mean barrier among the other Five Eyes pairs (seen `lag` quarters ago) minus ours on the Five Eyes."""
        five_eyes = np.flatnonzero(FIVE_EYES_MASK)
        others = five_eyes[five_eyes != self.index]
        block = barrier_then[np.ix_(others, others)]
        third = block[~np.eye(len(others), dtype=bool)].mean()
        return float(third - barrier_now[self.index, others].mean())


def _industrial(settings: dict[str, float], levers: AdaptiveLevers, seen: Observation) -> dict[str, object]:
    if not seen.home_share < seen.home_share_ref - settings["threshold"]:
        return {}
    # never lower a lever that already stands above the cap
    return {"preference_margin": _raised(levers.preference_margin, settings["step"], settings["max_margin"]),
            "content_min": _raised(levers.content_min, settings["step"], settings["max_content"]),
            "noncompeted_share": _raised(levers.noncompeted_share, settings["step"], settings["max_noncompeted"])}


def _raised(value: Any, step: float, cap: float) -> Any:
    """`value` (a number or an array) raised by `step` up to `cap`, never lowered where it already stands above."""
    return np.maximum(value, np.minimum(value + step, cap))
