"""Behavioural parameters: not observed facts, so each says how it was set (tuned, assumed, or a literature value).

`make calibration` (scripts/calibrate.py) learns a posterior over the real-valued ones by ABC rejection, under the
priors of model/data/priors.toml, and ships it in model/data/posterior.csv; docs/calibration.md shows it. The
experiment scripts draw their parameters from that posterior; the defaults here are the point a single run
uses (see docs/calibration.md for how they relate to the posterior).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from model.common.validation import finite, shown


def _p(default: float, low: float, high: float, doc: str) -> Any:
    """Declare one parameter: its default, allowed range and how it was set."""
    return field(default=default, metadata={"range": (low, high), "doc": doc})


@dataclass(frozen=True)
class Params:
    """Behavioural parameters with their allowed ranges (validated when set from a scenario or --set)."""

    # Bidding and awards
    markup: float = _p(0.10, 0.0, 1.0, "firm markup over unit cost (assumption)")
    quality_weight: float = _p(1.5, 0.0, 5.0, "exponent on quality in bid scores (tuned)")
    bid_noise: float = _p(0.15, 0.0, 2.0, "s.d. of log fit-to-requirement noise in bid scores (tuned)")
    home_bias: float = _p(0.0, 0.0, 2.0, "evaluated-price penalty on foreign offers beyond the written rules "
                          "and the non-competed share (tuned: zero fits the US and Canadian levels once non-competed "
                          "work is modelled)")
    lead_time_ref: float = _p(4.0, 0.0, 40.0, "quarters of backlog a buyer accepts without penalty (assumption)")
    lead_time_weight: float = _p(0.15, 0.0, 1.0, "evaluated-price penalty per quarter of lead time above the reference "
                                                 "(assumption)")
    tenders_per_bn: float = _p(1.5, 0.01, 100.0, "tenders issued per US$bn of quarterly sector budget (assumption)")
    max_tenders: int = _p(16, 1, 200, "most tenders per buyer, sector and quarter (speed bound)")
    # Frictions
    licence_cost_per_day: float = _p(0.0005, 0.0, 0.01, "the seller's carrying cost of a day of licence delay, as a "
                                     "share of price (the buyer's wait is in the lead time) (tuned)")
    compliance_cost: float = _p(0.02, 0.0, 0.5, "price cost of export-control compliance on a licensed transfer "
                                                "(assumption)")
    offset_cost: float = _p(0.10, 0.0, 1.0, "price cost per unit of offset obligation; offsets are priced in "
                                            "(Kanniainen & Lehtonen 2019) (tuned)")
    taa_factor: float = _p(3.6, 1.0, 10.0, "technical-assistance agreements take this many times a licence: 94/26 days "
                                           "(docs/sources.md §2.3, FY2006 medians)")
    metal_content: float = _p(0.15, 0.0, 1.0, "metal share of component value that pays the metals tariff (assumption)")
    # Supply chain
    component_share: float = _p(0.45, 0.05, 0.95, "share of a prime's product bought from tier-2 suppliers "
                                                  "(assumption)")
    lots: int = _p(5, 1, 20, "component lots per contract (resolution of the domestic-content rule)")
    supplier_choice_noise: float = _p(0.5, 0.0, 5.0, "logit scale with which a segment's work is shared among its "
                                      "suppliers by bid score (assumption: suppliers make different parts, so "
                                      "they substitute less than whole offers; at the bid noise, 0.15, learning "
                                      "concentrates a segment on a few suppliers within a decade, above 2 cost "
                                      "hardly matters)")
    sourcing_noise: float = _p(0.32, 0.0, 2.0, "s.d. of the fit noise between countries' offers of a lot: "
                               "pi / (sqrt(6) * 4), the logit of an Armington elasticity of 4, the default of the "
                               "tariff-retaliation ABM (docs/sources.md §4); parts from different countries "
                               "substitute imperfectly")
    sourcing_home_bias: float = _p(0.6, 0.0, 3.0, "primes' cost-equivalent preference for their home supply base "
                                   "(proximity, security of supply, design authority), tuned with switching_cost "
                                   "to the order of magnitude of US primes' foreign share of component spending, "
                                   "about 5 % (sources §2.4); large, as border effects in trade are")
    switching_cost: float = _p(0.5, 0.0, 3.0, "cost-equivalent of qualifying a foreign supply base a prime does not "
                               "use yet, times the share of its components not already bought there, so a "
                               "chain moved by a policy stays where it went (tuned with sourcing_home_bias)")
    # Production
    progress_ratio: float = _p(0.85, 0.7, 1.0, "unit cost multiplier per doubling of cumulative output (assumption: a "
                                               "usual learning-curve value; from 0.7, as below it learning runs "
                                               "away: docs/ODD.md, population and price bounds)")
    quality_cost_elasticity: float = _p(1.25, 0.0, 3.0, "elasticity of unit cost to quality: a more capable "
                                        "product costs more to make (Kirkpatrick 1995). Assumption: between 1, "
                                        "above which capability costs more per unit of it, and quality_weight, "
                                        "below which buyers still choose it (best value); the midpoint")
    experience_depreciation: float = _p(0.0125, 0.0, 0.5, "share of cumulative experience lost a quarter as products "
                                        "age (organisational forgetting; assumption)")
    target_backlog: float = _p(3.0, 1.0, 40.0, "quarters of backlog firms size capacity for (assumption)")
    capacity_adjust: float = _p(0.15, 0.0, 1.0, "share of the capacity gap closed per quarter (assumption)")
    capacity_decay: float = _p(0.05, 0.0, 0.5, "capacity lost per idle quarter (assumption)")
    capex_cost: float = _p(1.0, 0.0, 20.0, "cost of one unit of quarterly capacity, in unit costs (assumption)")
    fixed_cost: float = _p(0.02, 0.0, 0.5, "quarterly holding cost of capacity, in unit costs (assumption)")
    # Innovation and co-development
    rd_share: float = _p(0.04, 0.0, 0.5, "own R&D as a share of revenue (assumption)")
    rd_budget_share: float = _p(0.10, 0.0, 0.5, "government R&D grants as a share of the equipment budget (assumption)")
    innovation_rate: float = _p(1.0, 0.0, 100.0, "success hazard per unit of R&D intensity per quarter (tuned)")
    innovation_step: float = _p(0.01, 0.0, 0.5, "mean relative quality gain of a success (tuned)")
    diffusion: float = _p(0.02, 0.0, 1.0, "quarterly catch-up toward the national sector mean (assumption)")
    seek_prime: float = _p(0.04, 0.0, 1.0, "quarterly probability a prime looks for a foreign partner (tuned)")
    seek_supplier: float = _p(0.006, 0.0, 1.0, "quarterly probability a supplier looks for a foreign partner (tuned)")
    deterrence_days: float = _p(90.0, 1.0, 3650.0, "licence delay (days) at which firms give up on e^-1 of "
                                                   "partnerships (tuned)")
    codev_join: float = _p(0.1, 0.0, 1.0, "probability that a firm of each further country with firms in the sector "
                           "is invited into a seeker's programme, beside its first partner (assumption; most "
                           "programmes are bilateral, a few multinational like the F-35 or AUKUS, sources §3.6)")
    codev_quarters: int = _p(12, 1, 80, "duration of a joint programme before licence delay (assumption)")
    codev_cost_weight: float = _p(0.5, 0.0, 1.0, "share of seekers an unfunded programme's cost deters (co-funding "
                                  "removes the deterrent in proportion; assumption)")
    codev_cost: float = _p(0.3, 0.0, 5.0, "national programme cost, in quarters of the firm's revenue (assumption)")
    codev_success: float = _p(0.6, 0.0, 1.0, "success probability of partners at the alliance mean technology (tuned)")
    codev_gain: float = _p(0.05, 0.0, 1.0, "quality gain over the better partner on success (tuned)")
    codev_absorption: float = _p(4.0, 0.0, 50.0, "elasticity of the share of the gap to the new frontier a partner "
                                 "closes to its technology relative to the leader's (absorptive capacity; 0 lifts "
                                 "both to the frontier; assumption)")
    joint_product_quarters: int = _p(40, 0, 400, "quarters each partner makes the joint product after a successful "
                                     "programme, with the other's workshare (assumption)")
    codev_workshare: float = _p(0.29, 0.0, 1.0, "share of a joint product's component work placed with the partner "
                                "country's suppliers (assumption: Australian industry's F-35 contracts, over A$5bn, "
                                "against Australia's A$17.1bn programme budget, sources §3.6)")
    cash_buffer: float = _p(4.0, 0.0, 100.0, "quarters of revenue firms keep as cash; the rest is paid out "
                                             "(assumption)")
    # Entry and exit
    exit_quarters: int = _p(8, 1, 80, "consecutive loss-making quarters before an idle firm exits (assumption)")
    entry_margin: float = _p(0.10, -1.0, 1.0, "profit margin of a country-sector that attracts entrants (assumption)")
    entry_rate: float = _p(0.005, 0.0, 0.05, "quarterly entrants per active supplier in an attractive country-sector "
                                             "(assumption)")
    # Initial state
    tech_gap: float = _p(0.13, 0.0, 0.5, "initial quality gap of non-US industries below the US (tuned)")
    experience_quarters: float = _p(80.0, 1.0, 400.0, "initial cumulative output, in quarters of initial capacity: "
                                    "the steady state of the experience depreciation below")
    size_sigma: float = _p(1.1, 0.0, 3.0, "s.d. of log firm size within a country-sector (assumption; 1.1 starts "
                           "the top tenth of US suppliers near the UK MOD's top-ten share of spending, 39 %, "
                           "sources §3.3, the least the broad tail pattern allows)")
    initial_joint_share: float = _p(0.2, 0.0, 1.0, "share of primes that start with a joint product in production "
                                    "(the model's own steady state, 0.15-0.33 of primes after 10-20 years, so "
                                    "workshare does not ramp up from none; tuned)")
    spinup_quarters: int = _p(12, 0, 80, "quarters run before the start date so capacity meets demand (not recorded)")

    def __post_init__(self) -> None:
        for f in fields(self):
            low, high = f.metadata["range"]
            value = getattr(self, f.name)
            whole = isinstance(f.default, int) and not isinstance(f.default, bool)
            if not finite(value):
                raise ValueError(f"params.{f.name}: expected a {'whole ' if whole else ''}number from {low} to "
                                 f"{high}, got {shown(value)}")
            if not low <= value <= high:
                raise ValueError(f"params.{f.name} = {shown(value)} is out of range; allowed: {low} to {high}")
            if whole:
                if value != int(value):
                    raise ValueError(f"params.{f.name} = {shown(value)}: expected a whole number from {low} to "
                                     f"{high}")
                object.__setattr__(self, f.name, int(value))  # 5.0 counts as 5; arrays need a true int

    @property
    def learning_exponent(self) -> float:
        """Elasticity of unit cost to cumulative output implied by the progress ratio."""
        return math.log2(self.progress_ratio)


def params_doc() -> list[tuple[str, object, str]]:
    """(name, default, how it was set) for every parameter, for the ODD and calibration reports."""
    return [(f.name, f.default, f.metadata["doc"]) for f in fields(Params)]
