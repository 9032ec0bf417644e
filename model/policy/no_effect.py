"""Overrides that change nothing, found before the run: a `--set` equal to the value already in force, or one
that sets a lever the scenario's compiled rules pass on to no offer, for a structural reason.

The check compares the scenario just before an override with the scenario just after it. It reads only the
levers, at the start and after each scheduled change, never a run's dynamics. Every rule is a sufficient
condition, so a warning is always true. An override that bites only weakly, or never wins a tender in
practice, is not reported. The rules, for government G:

- already in force: the scenario (with the overrides before this one) has the same value;
- own country, or no firms: G's tariffs, licence delay, denial, exemption, qualifying list or offset
  exemption toward G itself, or its tariffs, qualifying list or offset exemption toward a country without
  firms (ROW), which sells nothing;
- no margin can apply: every partner with firms is on G's qualifying list or treated as domestic, and no offer
  can fail G's content test, since a prime's own work (1 - component_share of an offer) always counts as
  content (model.market.procurement.offer_content); G does not adapt, since adaptation can raise its content
  minimum;
- duty-free: G's end-item tariffs while all of G's defence imports enter duty-free (duty_free_entry = 1);
- licence-free: G's licence delay or denial toward destinations G fully exempts from licences (exempt = 1);
- NTIB treatment by G when G is not an NTIB member or no other country is; membership when no government gives
  NTIB treatment.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.common.countries import COUNTRIES, N_COUNTRIES, PRODUCER_MASK, C
from model.policy.adaptation import adapts
from model.policy.levers import LEVERS, Policy
from model.policy.rules import compile_rules

if TYPE_CHECKING:
    from model.policy.scenario import ScenarioSpec

# levers whose entry toward the government's own country is never used (the rules take only foreign pairs, or
# treat the own country as domestic anyway)
OWN_ENTRY_UNUSED = ("tariff_end_items", "tariff_components", "tariff_metals", "licence_days", "denial_prob", "exempt",
                    "qualifying", "offset_exempt")
# levers by origin of the offer, whose entry toward a country without firms is never used
ORIGIN_LEVERS = ("tariff_end_items", "tariff_components", "tariff_metals", "qualifying", "offset_exempt")
ALLIANCE = "alliance"  # the owner of ntib_members in a Change


@dataclass(frozen=True)
class Change:
    """One lever an override changed: whose (a country code, or ALLIANCE) and, for a lever by partner, which
    partners (None for a single value)."""

    owner: str
    lever: str
    partners: np.ndarray | None


def _same(a: object, b: object) -> bool:
    """Equal values, arrays and dataclasses compared element by element."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and bool(np.array_equal(a, b))
    if is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _changes(before: ScenarioSpec, after: ScenarioSpec) -> list[Change] | None:
    """The levers that differ at the start; None if anything else differs (schedules, parameters, budgets...)."""
    for f in fields(after):
        if f.name not in ("policies", "ntib_members", "source", "raw") and not _same(getattr(before, f.name),
                                                                                   getattr(after, f.name)):
            return None
    out = []
    for code in COUNTRIES:
        for lever in LEVERS:
            old, new = getattr(before.policies[code], lever), getattr(after.policies[code], lever)
            if not _same(old, new):
                out.append(Change(code, lever, old != new if isinstance(new, np.ndarray) else None))
    if not _same(before.ntib_members, after.ntib_members):
        out.append(Change(ALLIANCE, "ntib_members", before.ntib_members != after.ntib_members))
    return out


def _states(spec: ScenarioSpec, code: str) -> list[Policy]:
    """A government's policy at the start and after each of its scheduled changes."""
    policy = spec.policies[code].copy()
    states = [policy.copy()]
    for _, levers in spec.schedules[code]:
        policy.apply(levers, f"{code}.schedule")
        states.append(policy.copy())
    return states


def _names(mask: np.ndarray) -> str:
    return ", ".join(COUNTRIES[i] for i in np.flatnonzero(mask))


def _own_or_no_firms(change: Change, _specs: tuple[ScenarioSpec, ScenarioSpec]) -> str | None:
    """The rules take only foreign pairs and count a government's own firms as domestic; ROW sells nothing."""
    if change.partners is None or change.lever not in OWN_ENTRY_UNUSED:
        return None
    own = np.arange(N_COUNTRIES) == C[change.owner]
    unused = own | ~PRODUCER_MASK if change.lever in ORIGIN_LEVERS else own
    if (change.partners & ~unused).any():
        return None
    toward = [f"{change.owner} itself"] * bool((change.partners & own).any())
    toward += [f"{_names(change.partners & ~own)}, which has no firms"] * bool((change.partners & ~own).any())
    return f"{change.owner}.{change.lever} is never used toward {' or toward '.join(toward)}"


def _no_margin_applies(change: Change, specs: tuple[ScenarioSpec, ScenarioSpec]) -> str | None:
    """A margin reaches an offer from a partner that is neither qualifying nor domestic, or one that fails the
    content test; the compiled rules say which partners are which."""
    if change.lever != "preference_margin":
        return None
    g = C[change.owner]
    partners = PRODUCER_MASK & (np.arange(N_COUNTRIES) != g)
    own_work = 1.0 - specs[1].params.component_share
    for spec in specs:
        for state in _states(spec, change.owner):
            if adapts(change.owner, state.adaptation) or state.content_min > own_work:
                return None
            policies = [state if code == change.owner else spec.policies[code] for code in COUNTRIES]
            if compile_rules(policies, spec.ntib_members, spec.params).margin[g, partners].any():
                return None
    return (f"every partner with firms is on {change.owner}'s qualifying list or treated as domestic, and no offer "
            f"can fail its content test (a prime's own work, {own_work:.0%} of an offer, always counts), so no "
            f"offer ever pays {change.owner}'s preference margin")


def _duty_free(change: Change, specs: tuple[ScenarioSpec, ScenarioSpec]) -> str | None:
    if change.lever != "tariff_end_items" or any(state.duty_free_entry < 1.0 for spec in specs
                                                 for state in _states(spec, change.owner)):
        return None
    return (f"all of {change.owner}'s defence imports enter duty-free (duty_free_entry = 1), so no end-item tariff "
            "applies")


def _licence_free(change: Change, specs: tuple[ScenarioSpec, ScenarioSpec]) -> str | None:
    if change.lever not in ("licence_days", "denial_prob") or change.partners is None:
        return None
    exempt = np.logical_and.reduce([state.exempt >= 1.0 for spec in specs for state in _states(spec, change.owner)])
    exempt[C[change.owner]] = True  # exports to oneself need no licence
    if (change.partners & ~exempt).any():
        return None
    return (f"{change.owner} exempts every export to {_names(change.partners)} from licences (exempt = 1), so "
            f"no licence delay or denial applies to them")


def _ntib(change: Change, specs: tuple[ScenarioSpec, ScenarioSpec]) -> str | None:
    if change.lever == "ntib_treatment":
        members = [spec.ntib_members for spec in specs]
        if not all(m[C[change.owner]] for m in members):
            return f"{change.owner} is not an NTIB member (alliance.ntib_members), so its NTIB treatment reaches nobody"
        if all(m.sum() < 2 for m in members):
            return (f"no other country is an NTIB member (alliance.ntib_members), so {change.owner}'s treatment "
                    "reaches nobody")
    if change.owner == ALLIANCE and not any(state.ntib_treatment for spec in specs for code in COUNTRIES
                                            for state in _states(spec, code)):
        return "no government gives NTIB treatment (ntib_treatment), so NTIB membership changes nothing"
    return None


# each takes one change and the scenarios (before, after) and returns why the change does nothing, or None
RULES = (_own_or_no_firms, _no_margin_applies, _duty_free, _licence_free, _ntib)


def why_no_effect(before: ScenarioSpec, after: ScenarioSpec) -> str | None:
    """Why going from `before` to `after` (one override applied) changes nothing, or None if it may change
    something."""
    if all(_same(getattr(before, f.name), getattr(after, f.name)) for f in fields(after)
           if f.name not in ("source", "raw")):
        return f"{after.name} already has that value"
    changes = _changes(before, after)
    if not changes:
        return None
    reasons = [next((why for rule in RULES if (why := rule(change, (before, after)))), None) for change in changes]
    return "; ".join(dict.fromkeys(r for r in reasons if r)) if all(reasons) else None
