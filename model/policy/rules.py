"""All governments' policies compiled into buyer x partner matrices, the form the market phases index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.common.countries import N_COUNTRIES
from model.policy.levers import Policy
from model.policy.params import Params


@dataclass(frozen=True)
class Rules:
    """Matrices [importer or buyer, partner] (or [exporter, destination] for export controls)."""

    margin: np.ndarray  # preference margin a buyer adds to a partner's offers (0 where qualifying)
    foreign_margin: np.ndarray  # (buyer,) margin on an offer that fails its content test: as on non-qualifying
    domestic: np.ndarray  # partner treated as domestic (same country, or NTIB treatment between members)
    content_ok: np.ndarray  # partner's content counts toward the buyer's content minimum
    content_min: np.ndarray  # (buyer,)
    tariff_end: np.ndarray  # duty on end items the buyer imports from the partner, after duty-free entry
    tariff_comp: np.ndarray  # duty on components the importer brings in, before duty-free entry
    duty_free: np.ndarray  # (country,) share of its own defence imports exempted
    friction: np.ndarray  # [exporter, destination] price cost of licensing (compliance + delay)
    denial: np.ndarray  # [exporter, destination] probability a licence is denied
    licence_days: np.ndarray  # [exporter, destination] effective delay after exemptions
    offset_rate: np.ndarray  # (buyer,)
    offset_threshold: np.ndarray  # (buyer,) US$bn
    offset_exempt: np.ndarray  # [buyer, partner]
    sovereign: np.ndarray  # [buyer, sector]
    safe_share: np.ndarray  # (buyer,)
    noncompeted_share: np.ndarray  # (buyer,)
    codev_support: np.ndarray  # [government, partner country]
    barrier: np.ndarray  # [imposer, target] tariff + preference + licence cost, for adaptation and outputs


def compile_rules(policies: list[Policy], ntib_members: np.ndarray, params: Params) -> Rules:
    """Build the matrices from each government's current policy (rows in COUNTRIES order)."""
    stack = lambda name: np.array([getattr(p, name) for p in policies])  # noqa: E731
    eye = np.eye(N_COUNTRIES, dtype=bool)
    treated = stack("ntib_treatment")[:, None] & ntib_members[None, :] & ntib_members[:, None]
    domestic = eye | treated
    qualifying = stack("qualifying") | domestic
    written_margin = stack("preference_margin")
    margin = np.where(qualifying, 0.0, written_margin)
    content_ok = domestic | (qualifying & stack("content_counts_qualifying")[:, None])
    duty_free = stack("duty_free_entry")
    off_diag = ~eye
    tariff_end = stack("tariff_end_items") * (1.0 - duty_free[:, None]) * off_diag
    m = params.metal_content
    tariff_comp = ((1.0 - m) * stack("tariff_components") + m * stack("tariff_metals")) * off_diag
    controlled = (1.0 - stack("exempt")) * off_diag
    licence_days = stack("licence_days") * controlled
    friction = controlled * params.compliance_cost + licence_days * params.licence_cost_per_day
    return Rules(
        margin=margin, foreign_margin=written_margin.max(axis=1), domestic=domestic, content_ok=content_ok,
        content_min=stack("content_min"),
        tariff_end=tariff_end, tariff_comp=tariff_comp, duty_free=duty_free, friction=friction,
        denial=stack("denial_prob") * controlled, licence_days=licence_days,
        offset_rate=stack("offset_rate"), offset_threshold=stack("offset_threshold_bn"),
        offset_exempt=stack("offset_exempt") | domestic, sovereign=stack("sovereign_sectors"),
        safe_share=stack("safe_share"), noncompeted_share=stack("noncompeted_share"),
        codev_support=stack("codev_support"),
        barrier=tariff_end + margin + friction,
    )
