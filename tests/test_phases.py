"""Unit tests of each market phase on hand-built firm tables: a few firms, one buyer, one tender where possible.

Bid noise is off so awards are deterministic, and sourcing noise too wherever lots are counted; every test uses
its own `np.random.default_rng(0)` and Ledger.
Every Params comes from `pinned()`, which sets each value the expected numbers rest on explicitly, so that
retuning a default does not move them.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from model.common.countries import COUNTRIES, N_COUNTRIES, N_SECTORS, PRIME, SUPPLIER, C, S
from model.data.country_data import country_data
from model.market.demography import GROUP_GROWTH_LIMIT, PopulationLimits, entrants, exits
from model.market.firms import FirmTable, Groups, initial_population, unit_cost_of
from model.market.innovation import Programmes, codevelop, research
from model.market.ledger import Ledger
from model.market.procurement import Awards, issue_tenders, joint_partner, procure
from model.market.production import close_accounts, produce
from model.market.sourcing import AFFORDABLE, REQUOTE, source, supply_segments
from model.policy.adaptation import Observation, Reaction, parse_adaptation
from model.policy.levers import Policy
from model.policy.params import Params
from model.policy.rules import Rules, compile_rules

USA, GBR, CAN = C["USA"], C["GBR"], C["CAN"]
AIR, LAND = S["air"], S["land"]

FIRM_DEFAULTS = {
    "country": USA, "sector": AIR, "tier": PRIME, "active": True, "quality": 1.0, "base_cost": 1.0,
    "cum_output": 1.0, "unit_cost": 1.0, "capacity": 100.0, "backlog": 0.0, "cash": 0.0, "comp_price": 1.0,
    "represents": 1.0,
}


# The values the hand-computed numbers below rest on (today's defaults, bid noise off), set explicitly.
PINNED: dict[str, float] = {
    # bidding and awards
    "markup": 0.10, "quality_weight": 1.5, "bid_noise": 0.0, "home_bias": 0.0, "lead_time_ref": 4.0,
    "lead_time_weight": 0.15, "tenders_per_bn": 1.5, "max_tenders": 16,
    # frictions
    "licence_cost_per_day": 0.0005, "compliance_cost": 0.02, "offset_cost": 0.10, "taa_factor": 3.6,
    "metal_content": 0.15,
    # supply chain
    "component_share": 0.45, "lots": 5, "supplier_choice_noise": 0.5, "sourcing_noise": 0.32, "sourcing_home_bias": 0.6,
    "switching_cost": 0.5,
    # production
    "progress_ratio": 0.85, "quality_cost_elasticity": 1.25,
    "experience_depreciation": 0.0125, "target_backlog": 3.0, "capacity_adjust": 0.15,
    "capacity_decay": 0.05, "capex_cost": 1.0, "fixed_cost": 0.02, "cash_buffer": 4.0,
    # innovation and co-development
    "rd_share": 0.04, "innovation_rate": 1.0, "innovation_step": 0.01, "diffusion": 0.02, "seek_prime": 0.03,
    "seek_supplier": 0.003, "deterrence_days": 90.0, "codev_quarters": 12, "codev_cost_weight": 0.5,
    "codev_cost": 0.3, "codev_success": 0.6, "codev_gain": 0.05, "codev_absorption": 4.0,
    "joint_product_quarters": 40, "codev_workshare": 0.29, "initial_joint_share": 0.2, "codev_join": 0.1,
    # entry and exit
    "exit_quarters": 8, "entry_margin": 0.10, "entry_rate": 0.005, "experience_quarters": 80.0,
}


def pinned(**values: float) -> Params:
    """Params with every PINNED value set explicitly, and `values` on top."""
    return Params(**{**PINNED, **values})


def table(*firms: dict) -> FirmTable:
    """A FirmTable with one row per dict (country and sector given as codes); unset fields take FIRM_DEFAULTS."""
    names = dict.fromkeys([*FIRM_DEFAULTS, *(k for f in firms for k in f)])
    rows = [{**dict.fromkeys(names, 0), **FIRM_DEFAULTS, **f} for f in firms]
    for r in rows:
        r["country"] = C[r["country"]] if isinstance(r["country"], str) else r["country"]
        r["sector"] = S[r["sector"]] if isinstance(r["sector"], str) else r["sector"]
    out = FirmTable(reserve=8)
    out.add(**{name: np.array([r[name] for r in rows]) for name in names})
    return out


def rules(levers: dict[str, dict] | None = None, params: Params | None = None, ntib: tuple[str, ...] = ()) -> Rules:
    """Compiled rules from default policies, with {country code: {lever: value}} applied; licence friction is
    compiled from `params` (pinned() unless given)."""
    policies = [Policy() for _ in COUNTRIES]
    for code, values in (levers or {}).items():
        policies[C[code]].apply(values, "test")
    return compile_rules(policies, np.array([c in ntib for c in COUNTRIES]), params or pinned())


def budget(buyer: str = "USA", sector: str = "air", value: float = 2.0) -> np.ndarray:
    """A (buyer x sector) budget with one non-zero cell."""
    out = np.zeros((N_COUNTRIES, N_SECTORS))
    out[C[buyer], S[sector]] = value
    return out


def no_shock() -> np.ndarray:
    return np.ones((N_COUNTRIES, N_SECTORS))


# One tender, no noise; no home bias or compliance cost unless a test turns them on, so each barrier is isolated.
PROCURE = pinned(bid_noise=0.0, max_tenders=1, home_bias=0.0, compliance_cost=0.0)


def prules(levers: dict[str, dict] | None = None, ntib: tuple[str, ...] = ()) -> Rules:
    """Rules compiled with PROCURE: licence friction lives in the compiled rules (compliance_cost), not in the
    Params that procure() is given, so both must agree."""
    return rules(levers, PROCURE, ntib)


def run_procure(firms: FirmTable, rule: Rules, params: Params = PROCURE, value: float = 2.0,
                t: int = 0) -> tuple[Awards, Ledger]:
    ledger = Ledger()
    awards = procure(firms, rule, budget(value=value), no_shock(), params, t, np.random.default_rng(0), ledger)
    return awards, ledger


def us_and_uk_primes(uk_cost: float = 1.0, uk_quality: float = 1.0) -> FirmTable:
    """Row 0: a US air prime; row 1: a UK air prime (unit cost and component price both `uk_cost`)."""
    return table({"country": "USA"}, {"country": "GBR", "unit_cost": uk_cost, "comp_price": uk_cost,
                                       "quality": uk_quality})


# -- procurement ---------------------------------------------------------------------------------------------------


def test_issue_tenders_splits_each_budget_into_tenders_summing_to_it():
    """Tender count = clip(rint(budget * tenders_per_bn), 1, max_tenders); the values of a cell sum to its budget."""
    sector_budget = budget("USA", "air", 2.0)
    sector_budget[GBR, LAND] = 0.1  # rint(0.15) = 0, clipped up to one tender
    tenders = issue_tenders(sector_budget, rules(), pinned(), np.random.default_rng(0))
    us = tenders.buyer == USA
    assert us.sum() == 3  # rint(2.0 * 1.5)
    assert (tenders.sector[us] == AIR).all()
    assert tenders.value[us].sum() == pytest.approx(2.0)
    assert (tenders.buyer == GBR).sum() == 1
    assert tenders.value[tenders.buyer == GBR] == pytest.approx([0.1])
    assert not tenders.safe.any()
    assert not tenders.noncompeted.any()
    tenders = issue_tenders(budget(value=2.0), rules({"USA": {"safe_share": 1.0, "noncompeted_share": 1.0}}),
                            pinned(max_tenders=1), np.random.default_rng(0))
    assert tenders.value == pytest.approx([2.0])
    assert tenders.safe.all()  # safe_share = 1: every tender is SAFE-like
    assert tenders.noncompeted.all()  # noncompeted_share = 1: every tender is non-competed


def test_issue_tenders_draws_the_noncompeted_flag_after_the_safe_flag():
    """Per tender, one uniform draw decides SAFE (< safe_share) and then one more decides non-competed
    (< noncompeted_share), both by the buyer's share; 200 tenders of a 0.6 share are about 60% non-competed."""
    rule = rules({"USA": {"safe_share": 0.3, "noncompeted_share": 0.6}})
    tenders = issue_tenders(budget(value=200.0), rule, pinned(max_tenders=200), np.random.default_rng(0))
    n = len(tenders.value)
    assert n == 200  # clip(rint(200 * 1.5), 1, 200)
    rng = np.random.default_rng(0)
    rng.gamma(2.0, 1.0, n)  # the tender sizes
    assert tenders.safe.tolist() == (rng.random(n) < 0.3).tolist()
    assert tenders.noncompeted.tolist() == (rng.random(n) < 0.6).tolist()
    assert tenders.noncompeted.mean() == pytest.approx(0.6, abs=0.1)


def test_preference_margin_keeps_an_equal_uk_offer_out():
    """Equal cost and quality: a US margin on UK offers awards the US tender to the US prime."""
    awards, _ = run_procure(us_and_uk_primes(), prules({"USA": {"preference_margin": {"GBR": 0.5}}}))
    assert awards.firm.tolist() == [0]


def test_margin_beats_a_cheaper_uk_offer_and_without_it_the_cheaper_offer_wins():
    """UK 10% cheaper: with a 50% margin its evaluated price is 1.35x the US one (US wins); with no barrier it wins."""
    firms = us_and_uk_primes(uk_cost=0.9)
    awards, _ = run_procure(firms, prules({"USA": {"preference_margin": {"GBR": 0.5}}}))
    assert awards.firm.tolist() == [0]
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.9), prules())
    assert awards.firm.tolist() == [1]
    # a margin just under the price gap is not enough; just over it is (0.9 * 1.12 > 1 > 0.9 * 1.10)
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.9), prules({"USA": {"preference_margin": {"GBR": 0.10}}}))
    assert awards.firm.tolist() == [1]
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.9), prules({"USA": {"preference_margin": {"GBR": 0.12}}}))
    assert awards.firm.tolist() == [0]


def test_end_item_tariff_keeps_a_cheaper_uk_offer_out():
    """A 20% US duty on UK end items outweighs a 10% price advantage (0.9 * 1.2 > 1)."""
    awards, ledger = run_procure(us_and_uk_primes(uk_cost=0.9), prules({"USA": {"tariff_end_items": {"GBR": 0.2}}}))
    assert awards.firm.tolist() == [0]
    assert ledger.q_tariffs == 0.0  # the domestic winner pays no duty


def test_home_bias_alone_favours_the_domestic_prime():
    """home_bias is an evaluated-price penalty on every foreign offer, even with no written rule."""
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.8), prules(), pinned(bid_noise=0.0, max_tenders=1,
                                                                           home_bias=0.35, compliance_cost=0.0))
    assert awards.firm.tolist() == [0]  # 0.8 * 1.35 = 1.08 > 1


def test_higher_quality_can_beat_a_lower_price():
    """Quality enters with weight 1.5: UK quality 1.2 at price 1.2x scores 1.5 log 1.2 - log 1.2 > 0 over the US."""
    awards, _ = run_procure(us_and_uk_primes(uk_cost=1.2, uk_quality=1.2), prules())
    assert awards.firm.tolist() == [1]
    awards, _ = run_procure(us_and_uk_primes(uk_cost=1.2, uk_quality=1.05), prules())
    assert awards.firm.tolist() == [0]  # 1.5 log 1.05 < log 1.2


def test_sovereign_sector_excludes_the_foreign_prime():
    """A sovereign sector is closed to foreign primes however good their offer; with no domestic prime, no award."""
    sovereign = prules({"USA": {"sovereign_sectors": ["air"]}})
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5, uk_quality=2.0), sovereign)
    assert awards.firm.tolist() == [0]
    only_uk = table({"country": "GBR"})
    awards, ledger = run_procure(only_uk, sovereign)
    assert len(awards.firm) == 0
    # the tender is still counted as issued, but nothing is paid: the budget goes unspent
    assert ledger.q_tenders[USA] == pytest.approx(2.0)
    assert ledger.q_gov_paid == 0.0
    assert only_uk.backlog[0] == 0.0
    # another sector is not closed
    awards, _ = run_procure(only_uk, prules({"USA": {"sovereign_sectors": ["land"]}}))
    assert awards.firm.tolist() == [0]


def test_sovereign_sector_admits_ntib_treated_but_not_a_partners_joint_product():
    """NTIB treatment (domestic) opens a sovereign sector; a joint product does not: the UK partner of a joint
    programme makes the product for the UK and third markets, the US partner for the US."""
    only_uk = table({"country": "GBR"})
    ntib = prules({"USA": {"sovereign_sectors": ["air"], "ntib_treatment": True}}, ntib=("USA", "GBR"))
    awards, _ = run_procure(only_uk, ntib)
    assert awards.firm.tolist() == [0]
    assert awards.content_bound.tolist() == [True]  # an NTIB-domestic winner is bound by the content minimum
    only_uk.joint_until[0, USA] = 5
    awards, _ = run_procure(only_uk, prules({"USA": {"sovereign_sectors": ["air"]}}), t=5)
    assert len(awards.firm) == 0


def test_awards_name_a_joint_partner_of_the_winner_while_its_joint_product_lasts():
    """The country that gets a winner's workshare is drawn among the countries of the joint products it still
    makes; a joint product earns its foreign member no waiver of the margin."""
    margin = prules({"USA": {"preference_margin": {"GBR": 0.5}}})
    firms = us_and_uk_primes(uk_cost=0.9)
    firms.joint_until[0, GBR] = 10
    firms.joint_until[0, CAN] = 4
    firms.joint_until[1, USA] = 10
    awards, _ = run_procure(firms, margin, t=4)
    assert awards.firm.tolist() == [0]  # the UK offer still carries the margin: 0.9 x 1.5 > 1
    drawn = {int(joint_partner(firms, np.array([0]), 4, np.random.default_rng(seed))[0]) for seed in range(40)}
    assert drawn == {GBR, CAN}
    awards, _ = run_procure(firms, margin, t=5)
    assert awards.partner.tolist() == [GBR]  # the Canadian joint product has ended
    awards, _ = run_procure(firms, margin, t=11)
    assert awards.partner.tolist() == [-1]
    none = joint_partner(table({"country": "USA"}), np.array([0]), -3, np.random.default_rng(0))
    assert none.tolist() == [-1]  # none, even in spin-up


def test_an_offer_that_fails_the_content_test_is_evaluated_as_foreign():
    """US content minimum 0.75, the UK qualifying but its content not counted: a cheaper UK prime whose usual
    supply chain is at home offers content 0.55 (its own work only), is evaluated as foreign with the 50 %
    margin and loses; with a US supply chain (content 1.0) it passes, wins and is bound to that content. With
    qualifying content counted, its home supply chain passes too."""
    levers = {"USA": {"preference_margin": 0.5, "qualifying": ["GBR"], "content_min": 0.75,
                      "content_counts_qualifying": False}}
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.9), prules(levers))
    assert set(awards.firm.tolist()) == {0}
    firms = us_and_uk_primes(uk_cost=0.9)
    firms.comp_origin[1] = 0.0
    firms.comp_origin[1, USA] = 1.0
    awards, _ = run_procure(firms, prules(levers))
    assert set(awards.firm.tolist()) == {1}
    assert awards.content_bound.all()
    levers["USA"]["content_counts_qualifying"] = True
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.9), prules(levers))
    assert set(awards.firm.tolist()) == {1}


def test_a_denied_licence_makes_the_foreign_prime_ineligible():
    """UK denial_prob toward the US = 1: the UK prime cannot bid however cheap."""
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5), prules({"GBR": {"denial_prob": {"USA": 1.0}}}))
    assert awards.firm.tolist() == [0]


def test_safe_tenders_admit_only_home_and_eur_primes():
    """Under SAFE-like rules a buyer's tender is open to its own and EUR primes only."""
    firms = table({"country": "GBR", "unit_cost": 0.5, "comp_price": 0.5}, {"country": "EUR", "unit_cost": 0.8,
                                                                             "comp_price": 0.8},
                  {"country": "GBR", "sector": "land"})
    ledger = Ledger()
    sector_budget = budget("CAN", "air", 2.0)
    awards = procure(firms, prules({"CAN": {"safe_share": 1.0}}), sector_budget, no_shock(), PROCURE, 0,
                     np.random.default_rng(0), ledger)
    assert awards.firm.tolist() == [1]  # the cheaper UK prime is shut out
    awards = procure(firms, prules(), sector_budget, no_shock(), PROCURE, 0, np.random.default_rng(0), Ledger())
    assert awards.firm.tolist() == [0]  # without SAFE rules it wins


def test_award_money_is_booked_domestic_winner():
    """Domestic award: units = value / (net price), receipt = value, no duty or licensing; backlog, cash, awards and
    ledger move, and the receipt is the US industry's revenue."""
    firms = us_and_uk_primes()
    awards, ledger = run_procure(firms, prules({"USA": {"preference_margin": {"GBR": 0.5}}}))
    net = 1.0 * 1.1  # prime cost 1 with the 10% markup
    assert awards.units == pytest.approx([2.0 / net])
    assert awards.value == pytest.approx([2.0])
    assert awards.receipt == pytest.approx([2.0])
    assert firms.backlog.tolist() == pytest.approx([2.0 / net, 0.0])
    assert firms.cash.tolist() == pytest.approx([2.0, 0.0])
    assert firms.receipts.tolist() == pytest.approx([2.0, 0.0])
    assert firms.awards.tolist() == pytest.approx([2.0, 0.0])
    assert ledger.q_gov_paid == pytest.approx(2.0)
    assert ledger.q_tenders[USA] == pytest.approx(2.0)
    assert ledger.q_tariffs == 0.0
    assert ledger.q_licensing == 0.0
    assert ledger.q_prime[USA, USA] == pytest.approx(2.0)
    assert ledger.q_flows[USA, USA] == pytest.approx(2.0)  # the winner's receipt
    assert ledger.q_flows.sum() == pytest.approx(2.0)
    assert ledger.q_capability[USA] == pytest.approx(2.0 / net)  # units x quality 1
    assert ledger.q_ordered[AIR] == pytest.approx(2.0 / net)


def test_award_money_is_booked_foreign_winner_with_tariff_and_licensing_costs():
    """UK win despite a 20% duty and a 2% compliance cost: the seller's price is net, the price charged
    net * 1.02 (licensing passed on), gross = that * 1.2, units = value / gross; the winner receives
    units * net, licensing costs units * net * 0.02 and tariff revenue is value - units * net * 1.02."""
    params = pinned(bid_noise=0.0, max_tenders=1, home_bias=0.0, compliance_cost=0.02)
    firms = us_and_uk_primes(uk_cost=0.5, uk_quality=1.3)
    awards, ledger = run_procure(firms, rules({"USA": {"tariff_end_items": {"GBR": 0.2}}}, params), params)
    seller = 0.5 * 1.1
    price = seller * 1.02
    gross = price * 1.2
    units = 2.0 / gross
    receipt = units * seller
    assert awards.firm.tolist() == [1]
    assert awards.units == pytest.approx([units])
    assert awards.value == pytest.approx([2.0])
    assert awards.receipt == pytest.approx([receipt])
    assert firms.backlog[1] == pytest.approx(units)
    assert firms.cash[1] == pytest.approx(receipt)
    assert firms.receipts[1] == pytest.approx(receipt)
    assert firms.awards[1] == pytest.approx(2.0)  # awards count what the buyer paid
    assert receipt == pytest.approx(2.0 / (1.02 * 1.2))
    assert ledger.q_gov_paid == pytest.approx(2.0)
    assert ledger.q_tariffs == pytest.approx(2.0 - units * price)
    assert ledger.q_tariffs == pytest.approx(2.0 - 2.0 / 1.2)
    assert ledger.q_licensing == pytest.approx(units * (price - seller))
    assert ledger.q_licensing == pytest.approx(0.02 * receipt)
    # money identity: government payments = firm receipts + tariff revenue + licensing costs
    assert ledger.q_gov_paid == pytest.approx(firms.cash.sum() + ledger.q_tariffs + ledger.q_licensing)
    assert ledger.q_prime[USA, GBR] == pytest.approx(2.0)  # the award, at what the buyer paid
    assert ledger.q_flows[USA, GBR] == pytest.approx(receipt)  # industry revenue: neither duty nor licensing
    assert ledger.q_flows.sum() == pytest.approx(receipt)
    assert ledger.q_capability[USA] == pytest.approx(units * 1.3)


def test_licensing_costs_are_passed_on_and_spent_not_kept_by_the_seller():
    """A UK licence toward the US of 40 days: friction = compliance 0.02 + 40 * 0.0005 per day = 0.04. The UK
    prime's price is net * 1.04, so the buyer gets 2 / (net * 1.04) units; the prime keeps net a unit and
    units * net * 0.04 goes to ledger.q_licensing, out of the model's firms. An exemption removes it."""
    params = pinned(bid_noise=0.0, max_tenders=1, home_bias=0.0, compliance_cost=0.02, licence_cost_per_day=0.0005)
    firms = table({"country": "GBR"})
    awards, ledger = run_procure(firms, rules({"GBR": {"licence_days": {"USA": 40}}}, params), params)
    net, friction = 1.1, 0.02 + 40 * 0.0005
    units = 2.0 / (net * (1 + friction))
    assert awards.units == pytest.approx([units])
    assert awards.receipt == pytest.approx([units * net])
    assert firms.cash[0] == pytest.approx(units * net)
    assert ledger.q_licensing == pytest.approx(units * net * friction)
    assert ledger.q_tariffs == pytest.approx(0.0, abs=1e-12)
    assert ledger.q_gov_paid == pytest.approx(2.0)
    assert ledger.q_gov_paid == pytest.approx(firms.cash.sum() + ledger.q_tariffs + ledger.q_licensing)
    assert ledger.q_flows[USA, GBR] == pytest.approx(units * net)
    firms = table({"country": "GBR"})
    awards, ledger = run_procure(firms, rules({"GBR": {"licence_days": {"USA": 40}, "exempt": {"USA": 1}}}, params),
                                 params)
    assert awards.receipt == pytest.approx([2.0])
    assert ledger.q_licensing == 0.0


def test_licence_delay_makes_an_otherwise_equal_foreign_bid_lose():
    """Licence price costs off, so only the delay differs. Both primes hold 4 quarters of backlog on capacity 1, so
    lead time (4 + units) is past the 4-quarter reference; the UK prime's quality is 1.01, which wins on equal
    terms. A 91-day UK licence toward the US adds licence_days / 91 = 1 quarter to its lead time (lateness + 0.15)
    and it loses; an exemption removes the delay. With empty order books the same delay keeps its lead time
    within the reference and costs nothing."""
    params = pinned(bid_noise=0.0, max_tenders=1, home_bias=0.0, compliance_cost=0.0, licence_cost_per_day=0.0)

    def primes(backlog: float) -> FirmTable:
        return table({"country": "USA", "capacity": 1.0, "backlog": backlog},
                     {"country": "GBR", "capacity": 1.0, "backlog": backlog, "quality": 1.01})

    delay = {"GBR": {"licence_days": {"USA": 91}}}
    awards, _ = run_procure(primes(4.0), rules(None, params), params)
    assert awards.firm.tolist() == [1]
    awards, ledger = run_procure(primes(4.0), rules(delay, params), params)
    assert awards.firm.tolist() == [0]
    assert ledger.q_licensing == 0.0  # the delay is not a price cost here
    units = 2.0 / 1.1
    late_us, late_uk = 0.15 * units, 0.15 * (units + 1.0)
    assert 1.5 * math.log(1.01) - math.log(1 + late_uk) < -math.log(1 + late_us)  # the UK score is lower
    awards, _ = run_procure(primes(4.0), rules({"GBR": {"licence_days": {"USA": 91}, "exempt": {"USA": 1}}}, params),
                            params)
    assert awards.firm.tolist() == [1]
    awards, _ = run_procure(primes(0.0), rules(delay, params), params)  # lead 1.82 + 1 < 4: no lateness
    assert awards.firm.tolist() == [1]


def test_noncompeted_tender_with_a_home_prime_excludes_foreign_bids():
    """noncompeted_share 1: every US tender is awarded among the US primes in the sector, so a UK prime at half the
    price and of higher quality cannot bid; without it (or with another buyer's share) the UK prime wins."""
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5, uk_quality=1.3), prules({"USA": {"noncompeted_share": 1.0}}))
    assert awards.firm.tolist() == [0]
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5, uk_quality=1.3), prules())
    assert awards.firm.tolist() == [1]
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5, uk_quality=1.3), prules({"GBR": {"noncompeted_share": 1.0}}))
    assert awards.firm.tolist() == [1]


def test_noncompeted_tender_without_a_home_prime_in_the_sector_stays_open():
    """A non-competed tender goes to foreign bidders when the buyer has no eligible prime of its own in the sector:
    a US prime in another sector, or one that has exited, does not count."""
    noncompeted = prules({"USA": {"noncompeted_share": 1.0}})
    awards, _ = run_procure(table({"country": "USA", "sector": "land"}, {"country": "GBR"}), noncompeted)
    assert awards.firm.tolist() == [1]
    awards, _ = run_procure(table({"country": "USA", "active": False}, {"country": "GBR"}), noncompeted)
    assert awards.firm.tolist() == [1]


def test_noncompeted_tender_shuts_out_ntib_domestic_primes():
    """Surprise: a non-competed tender is kept for the buyer's own-country primes; a UK prime the US treats as
    domestic under NTIB treatment is still foreign for it and is shut out."""
    ntib = prules({"USA": {"noncompeted_share": 1.0, "ntib_treatment": True}}, ntib=("USA", "GBR"))
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5), ntib)
    assert awards.firm.tolist() == [0]
    competed = prules({"USA": {"ntib_treatment": True}}, ntib=("USA", "GBR"))
    awards, _ = run_procure(us_and_uk_primes(uk_cost=0.5), competed)
    assert awards.firm.tolist() == [1]  # competed, the NTIB-domestic offer wins


def test_offset_is_priced_into_the_foreign_bid_and_reported_on_the_award():
    """A foreign win above the threshold carries offset = rate * value, and its seller price rises by
    offset_cost * rate (no licensing cost or duty here, so the winner receives the whole value)."""
    params = PROCURE
    firms = table({"country": "GBR"})
    awards, _ = run_procure(firms, prules({"USA": {"offset_rate": 0.4, "offset_threshold_bn": 1.0}}), params)
    assert awards.offset == pytest.approx([0.4 * 2.0])
    seller = 1.1 * (1 + params.offset_cost * 0.4)
    assert awards.units == pytest.approx([2.0 / seller])
    assert awards.receipt == pytest.approx([2.0])
    firms = table({"country": "GBR"})  # below the threshold: no offset
    awards, _ = run_procure(firms, prules({"USA": {"offset_rate": 0.4, "offset_threshold_bn": 3.0}}), params)
    assert awards.offset == pytest.approx([0.0])
    assert awards.units == pytest.approx([2.0 / 1.1])


def test_a_full_backlog_lengthens_lead_time_and_loses_the_tender():
    """Lateness: a US prime with 10 quarters of backlog (6 beyond the reference, penalty 0.9) loses to a UK
    prime 10% dearer with none."""
    firms = table({"country": "USA", "capacity": 1.0, "backlog": 10.0}, {"country": "GBR", "unit_cost": 1.1,
                                                                          "comp_price": 1.1})
    awards, _ = run_procure(firms, prules())
    assert awards.firm.tolist() == [1]


def test_tenders_of_one_quarter_are_scored_against_the_same_backlog():
    """Surprise: all of a quarter's tenders are scored at once, so lead time ignores the other awards the same
    prime wins that quarter. Here the US prime (capacity 1, backlog 3.5) wins both tenders (values 0.82 and 1.18
    with this seed) against a UK prime 10% dearer, though had the first award been in its backlog it would have
    lost the second (lateness 0.198 > the 10% price gap)."""
    params = pinned(bid_noise=0.0, max_tenders=2, home_bias=0.0, compliance_cost=0.0)
    firms = table({"country": "USA", "capacity": 1.0, "backlog": 3.5},
                  {"country": "GBR", "unit_cost": 1.1, "comp_price": 1.1})
    awards = procure(firms, rules(None, params), budget(value=2.0), no_shock(), params, 0, np.random.default_rng(0),
                     Ledger())
    assert awards.firm.tolist() == [0, 0]
    first, second = awards.units
    late_sequential = params.lead_time_weight * (3.5 + first + second - params.lead_time_ref)
    assert 1.1 * (1 + late_sequential) > 1.21  # sequentially the UK offer would have been better value
    assert firms.backlog[0] == pytest.approx(3.5 + first + second)


def test_no_primes_no_awards():
    """Every prime has exited: nothing is awarded and nothing paid."""
    firms = table({"country": "USA", "active": False})
    awards, ledger = run_procure(firms, prules())
    assert len(awards.firm) == 0
    assert ledger.q_gov_paid == 0.0


# -- sourcing ------------------------------------------------------------------------------------------------------

# No fit noise between countries' offers, and no home bias: a foreign segment pays only the pinned switching cost,
# 0.5 x the share of the prime's supply chain not already there (all of it for a prime buying at home), so the
# cheap UK segment (0.55 x 1.02 licensing x 1.5 = 0.8415) still beats the US one (1.1) for a US prime.
SOURCE = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=0.0)


def supply_base(prime_country: str = "USA") -> FirmTable:
    """Row 0: an air prime; rows 1-2: small dear US suppliers; rows 3-4: large cheap UK suppliers. Each pair is
    alike, so each shares its segment's work half and half: the US segment offers 1.1 a unit (capacity 20), the
    UK one 0.55 (capacity 2000)."""
    return table(
        {"country": prime_country, "comp_price": 1.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0},
        {"country": "GBR", "tier": SUPPLIER, "unit_cost": 0.5, "capacity": 1000.0},
        {"country": "GBR", "tier": SUPPLIER, "unit_cost": 0.5, "capacity": 1000.0},
    )


def award(value: float = 2.0, units: float = 2.0 / 1.1, buyer: int = USA, offset: float = 0.0,
          content_bound: bool = True, receipt: float | None = None, partner: int = -1) -> Awards:
    """One award to row 0; the prime receives the whole value unless `receipt` says otherwise."""
    return Awards(firm=np.array([0]), buyer=np.array([buyer]), value=np.array([value]),
                  receipt=np.array([value if receipt is None else receipt]), units=np.array([units]),
                  offset=np.array([offset]), partner=np.array([partner]), content_bound=np.array([content_bound]))


def run_source(firms: FirmTable, rule: Rules, awards: Awards, params: Params = SOURCE) -> Ledger:
    ledger = Ledger()
    source(firms, rule, awards, params, np.random.default_rng(0), ledger)
    return ledger


def lots_by_country(firms: FirmTable, lot_units: float, codes: tuple[str, ...] = ("USA", "GBR")) -> dict[str, int]:
    """Lots placed with each country's suppliers, checking that every lot went whole to one country's segment:
    the backlog of each country's suppliers together is a whole number of lots."""
    sup = firms.tier == SUPPLIER
    out = {}
    for code in codes:
        whole = firms.backlog[sup & (firms.country == C[code])].sum() / lot_units
        assert whole == pytest.approx(round(whole), abs=1e-9)
        out[code] = round(whole)
    return out


def test_award_is_split_into_lots_that_go_to_the_best_segment():
    """The component share of the award is split into params.lots lots, each placed whole with one country's
    segment. The UK segment, at 0.55 a unit with 2% licensing and SOURCE's switching cost 0.5 (the US prime buys
    nothing there yet; no home bias), costs 0.55 x 1.02 x 1.5 = 0.8415 against the US segment's 1.1: it wins all 5
    lots, its two alike suppliers take half each, and the suppliers' backlog rises by units * component_share."""
    firms = supply_base()
    units = 2.0 / 1.1
    run_source(firms, rules(), award(units=units))
    lot = units * SOURCE.component_share / SOURCE.lots
    assert 0.55 * 1.02 * 1.5 < 1.1
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    assert firms.backlog[1:].tolist() == pytest.approx([0.0, 0.0, 2.5 * lot, 2.5 * lot])
    assert firms.backlog[1:].sum() == pytest.approx(units * SOURCE.component_share)
    assert firms.backlog[0] == 0.0  # sourcing does not touch the prime's own backlog


def test_domestic_content_minimum_caps_foreign_lots():
    """content_min 0.9, share 0.45, 5 lots: at most floor(0.1 * 5 / 0.45) = 1 lot whose best segment does not count
    on a bound contract; the other 4 switch to the US segment."""
    firms = supply_base()
    units = 2.0 / 1.1
    run_source(firms, rules({"USA": {"content_min": 0.9}}), award(units=units))
    lot = units * SOURCE.component_share / SOURCE.lots
    assert lots_by_country(firms, lot) == {"USA": 4, "GBR": 1}
    assert firms.backlog[1:].tolist() == pytest.approx([2 * lot, 2 * lot, 0.5 * lot, 0.5 * lot])


def test_content_minimum_below_the_prime_share_never_binds():
    """Surprise worth knowing: the allowed foreign lots are floor((1 - content_min) * lots / component_share), so
    any content_min up to 1 - component_share (0.55) allows all 5 lots abroad (the prime's own work counts)."""
    firms = supply_base()
    units = 2.0 / 1.1
    run_source(firms, rules({"USA": {"content_min": 0.55}}), award(units=units))
    assert lots_by_country(firms, units * 0.45 / 5) == {"USA": 0, "GBR": 5}
    firms = supply_base()
    run_source(firms, rules({"USA": {"content_min": 0.6}}), award(units=units))  # floor(0.4 * 5 / 0.45) = 4
    assert lots_by_country(firms, units * 0.45 / 5) == {"USA": 1, "GBR": 4}


def test_content_minimum_applies_only_to_bound_contracts_and_counts_qualifying_content():
    """Not content_bound (a foreign winner): no cap. Qualifying partner (content counts): no cap either."""
    units = 2.0 / 1.1
    lot = units * 0.45 / 5
    firms = supply_base()
    run_source(firms, rules({"USA": {"content_min": 0.9}}), award(units=units, content_bound=False))
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    firms = supply_base()
    run_source(firms, rules({"USA": {"content_min": 0.9, "qualifying": ["GBR"]}}), award(units=units))
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    firms = supply_base()
    run_source(firms, rules({"USA": {"content_min": 0.9, "qualifying": ["GBR"], "content_counts_qualifying": False}}),
               award(units=units))
    assert lots_by_country(firms, lot) == {"USA": 4, "GBR": 1}


def test_a_primes_usual_supply_chain_follows_its_lots_but_not_its_offset_lots():
    """All five lots go to the UK: the US prime's supply chain moves 30 % of the way there. Offset lots that a UK
    contract places in the UK are the contract's obligation, and leave it where it was."""
    firms = supply_base()
    run_source(firms, rules(), award())
    assert firms.comp_origin[0, USA] == pytest.approx(0.7)
    assert firms.comp_origin[0, GBR] == pytest.approx(0.3)
    firms = supply_base()
    run_source(firms, rules(), award(buyer=GBR, offset=0.45 * 2.0))  # the offset covers every component lot
    assert firms.backlog[3:].sum() == pytest.approx(2.0 / 1.1 * 0.45)  # the lots went to the UK
    assert firms.comp_origin[0].tolist() == pytest.approx([1.0] + [0.0] * (N_COUNTRIES - 1))


def test_sourcing_conserves_money():
    """What the prime pays = supplier receipts + licensing costs + duty. Each UK lot (0.55 x 1.02 x 1.085 x 1.5 =
    0.913 still beats the US segment's 1.1): its suppliers receive lot_units * 0.55 (their share-weighted price,
    0.5 x 1.1), licensing costs 2% of that (compliance, passed on to the prime), and the component duty
    (1 - 0.15) * 10% (the non-metal share) is charged on both; components bought are booked at that customs value
    (receipt + licensing)."""
    firms = supply_base()
    units = 2.0 / 1.1
    ledger = run_source(firms, rules({"USA": {"tariff_components": {"GBR": 0.1}}}), award(units=units))
    lot = units * 0.45 / 5
    net = lot * 0.5 * 1.1
    licensing = net * 0.02
    duty_rate = (1 - 0.15) * 0.1
    duty = (net + licensing) * duty_rate
    paid = net + licensing + duty
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    assert firms.cash[3:].tolist() == pytest.approx([2.5 * net, 2.5 * net])
    assert firms.receipts[3:].sum() == pytest.approx(5 * net)
    assert ledger.q_licensing == pytest.approx(5 * licensing)
    assert ledger.q_tariffs == pytest.approx(5 * duty)
    assert -firms.cash[0] == pytest.approx(firms.cash[1:].sum() + ledger.q_tariffs + ledger.q_licensing)
    assert -firms.receipts[0] == pytest.approx(5 * paid)
    assert paid == pytest.approx(net * 1.02 * (1 + duty_rate))
    assert paid / lot * 1.5 < 1.1
    assert ledger.q_components[USA, GBR] == pytest.approx(5 * (net + licensing))  # customs value, before duty
    # industry revenue: the UK suppliers' receipts arrive in the buyer's row, the prime's country loses what the
    # prime paid, so the duty and licensing costs leave the row
    assert ledger.q_flows[USA, GBR] == pytest.approx(5 * net)
    assert ledger.q_flows[USA, USA] == pytest.approx(-5 * paid)
    assert ledger.q_flows[USA].sum() == pytest.approx(-5 * (licensing + duty))
    # the prime's component price moves 30% of the way to what a unit of components cost it
    per_unit = 5 * paid / (lot * 5)
    assert firms.comp_price[0] == pytest.approx(0.7 * 1.0 + 0.3 * per_unit)


def test_sourcing_flows_move_no_more_than_the_award_receipt():
    """Components costing the prime more than the award paid it (a value of 0.25, of which the prime received 0.2,
    against 5 UK lots of `paid`): the flows are scaled by receipt / spent, not value / spent, so the prime's country
    loses exactly the receipt and the suppliers' gains its part net of licensing and duty; the cash moves in
    full."""
    firms = supply_base()
    units = 2.0 / 1.1
    ledger = run_source(firms, rules({"USA": {"tariff_components": {"GBR": 0.1}}}),
                        award(value=0.25, receipt=0.2, units=units))
    lot = units * 0.45 / 5
    net = lot * 0.5 * 1.1
    paid = net * 1.02 * (1 + 0.85 * 0.1)
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    assert 5 * paid > 0.2
    scale = 0.2 / (5 * paid)
    assert ledger.q_flows[USA, USA] == pytest.approx(-0.2)
    assert ledger.q_flows[USA, GBR] == pytest.approx(5 * net * scale)
    assert ledger.q_flows[USA, GBR] == pytest.approx(0.2 / (1.02 * 1.085))
    assert firms.cash[3:].sum() == pytest.approx(5 * net)
    assert -firms.cash[0] == pytest.approx(5 * paid)


def test_procurement_then_sourcing_keep_the_money_identity():
    """A UK prime wins a US tender (20% US duty, 2% licensing, a 20% offset) and sources 3 lots from the US segment
    (the offset, licensed toward the UK, UK component duty) and 2 at home (0.55 x 1.02 re-export licence toward
    the US, against 1.1 x 1.02 x 1.085 x 2.1 from the US: home bias 0.6 plus switching cost 0.5, as the UK prime
    buys nothing there yet; no sourcing noise): both phases book their licensing costs, government
    payments = firm receipts + tariffs + licensing costs, and the all-value flows are what the model's firms
    received."""
    params = pinned(bid_noise=0.0, sourcing_noise=0.0, max_tenders=1, home_bias=0.0, compliance_cost=0.02)
    rule = rules({"USA": {"tariff_end_items": {"GBR": 0.2}, "offset_rate": 0.2, "offset_threshold_bn": 1.0},
                  "GBR": {"tariff_components": {"USA": 0.1}}}, params)
    firms = supply_base("GBR")
    ledger = Ledger()
    rng = np.random.default_rng(0)
    awards = procure(firms, rule, budget(value=2.0), no_shock(), params, 0, rng, ledger)
    assert awards.firm.tolist() == [0]
    end_item_licensing, end_item_tariffs = ledger.q_licensing, ledger.q_tariffs
    assert ledger.q_flows[USA, GBR] == pytest.approx(awards.receipt[0])
    source(firms, rule, awards, params, rng, ledger)
    lot = awards.units[0] * 0.45 / 5
    assert lots_by_country(firms, lot) == {"USA": 3, "GBR": 2}
    us_net, uk_net = 3 * lot * 1.0 * 1.1, 2 * lot * 0.5 * 1.1
    assert ledger.q_licensing - end_item_licensing == pytest.approx(0.02 * (us_net + uk_net))
    assert ledger.q_tariffs - end_item_tariffs == pytest.approx(us_net * 1.02 * 0.085)
    assert ledger.q_gov_paid == pytest.approx(2.0)
    assert ledger.q_gov_paid == pytest.approx(firms.cash.sum() + ledger.q_tariffs + ledger.q_licensing)
    assert ledger.q_flows.sum() == pytest.approx(firms.cash.sum())
    assert ledger.q_flows[USA, USA] == pytest.approx(us_net)
    assert ledger.q_prime[USA, GBR] == pytest.approx(2.0)


def licence_delay_base() -> FirmTable:
    """Row 0: a US air prime; rows 1-2: US suppliers; rows 3-4: large UK suppliers 10% cheaper. Every segment holds
    4 quarters of backlog, the lead_time_ref exactly, so any licence delay is lateness; a lot of 0.164 units adds
    0.164 / 20 = 0.0082 quarters to the US segment's lead time and 8e-5 to the UK one's."""
    return table(
        {"country": "USA", "comp_price": 1.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 40.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 40.0},
        {"country": "GBR", "tier": SUPPLIER, "unit_cost": 0.9, "capacity": 1000.0, "backlog": 4000.0},
        {"country": "GBR", "tier": SUPPLIER, "unit_cost": 0.9, "capacity": 1000.0, "backlog": 4000.0},
    )


def test_licence_delay_lengthens_the_suppliers_lead_time():
    """No home bias, switching cost, sourcing noise or licence price costs: the UK segment (0.99 a unit against
    1.1 x (1 + 0.15 x 0.0082) = 1.1014) wins every lot until a 91-day UK licence toward the US adds a quarter to its
    lead time (0.99 x 1.15 = 1.139 > 1.1014); the delay is the longer of the direct and the re-export licence (45
    days each toward a US prime on a Canadian contract: 45 / 91 quarters, and 0.99 x (1 + 0.15 x 0.4945) = 1.063 <
    1.1014), and a re-export delay counts only toward the final buyer. Once the US wins the lots, the later arrival
    batches queue behind the earlier ones: at most 4 x 0.164 units ahead, 0.033 quarters more, 1.1 x (1 + 0.15 x
    0.041) = 1.1068, still short of 1.139."""
    params = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=0.0, switching_cost=0.0,
                    compliance_cost=0.0, licence_cost_per_day=0.0)
    units = 2.0 / 1.1
    lot = units * 0.45 / 5

    def placed(levers: dict | None, buyer: int = USA) -> dict[str, int]:
        firms = licence_delay_base()
        before = firms.backlog.copy()
        run_source(firms, rules(levers, params), award(units=units, buyer=buyer, content_bound=False), params)
        firms.backlog -= before  # the lots placed
        return lots_by_country(firms, lot)

    assert 0.99 * (1 + 0.15 * 45 / 91) < 1.1 * (1 + 0.15 * lot / 20) < 0.99 * 1.15
    assert 1.1 * (1 + 0.15 * (0.5 * 5 * lot + lot) / 20) < 0.99 * 1.15
    assert placed(None) == {"USA": 0, "GBR": 5}
    assert placed({"GBR": {"licence_days": {"USA": 91}}}) == {"USA": 5, "GBR": 0}
    assert placed({"GBR": {"licence_days": {"USA": 45, "CAN": 45}}}, CAN) == {"USA": 0, "GBR": 5}  # the max
    assert placed({"GBR": {"licence_days": {"CAN": 91}}}, CAN) == {"USA": 5, "GBR": 0}  # re-export toward CAN
    assert placed({"GBR": {"licence_days": {"CAN": 91}}}) == {"USA": 0, "GBR": 5}  # not on a US contract


def test_duty_free_entry_removes_component_duty_on_the_buyers_own_contracts():
    """A 10% component tariff on the UK charges 5 UK lots (lot_units x 0.55 x 1.02) its non-metal 8.5%; the UK
    still wins them (with the duty and SOURCE's switching cost, 0.55 x 1.02 x 1.085 x 1.5 = 0.913 < 1.1).
    duty_free_entry = 1: a US prime on a US contract pays none, though the lots still go to the UK; on a UK
    contract it pays it again."""
    units = 2.0 / 1.1
    lot = units * 0.45 / 5
    duty = 5 * lot * 0.55 * 1.02 * 0.085
    firms = supply_base()
    ledger = run_source(firms, rules({"USA": {"tariff_components": {"GBR": 0.1}}}), award(units=units))
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    assert ledger.q_tariffs == pytest.approx(duty)
    firms = supply_base()
    free = rules({"USA": {"tariff_components": {"GBR": 0.1}, "duty_free_entry": 1.0}})
    ledger = run_source(firms, free, award(units=units))
    assert lots_by_country(firms, lot) == {"USA": 0, "GBR": 5}
    assert ledger.q_tariffs == 0.0
    assert -firms.cash[0] == pytest.approx(5 * lot * 0.55 * 1.02)
    ledger = run_source(supply_base(), free, award(units=units, buyer=GBR, content_bound=False))
    assert ledger.q_tariffs == pytest.approx(duty)


def test_offset_forces_lots_to_the_buyers_suppliers():
    """A UK prime with a US offset of 0.2 x value: offset share of components 0.4/0.9, so ceil(5 * 0.444) = 3 lots
    must go to the US segment, booked as offsets discharged; the other 2 stay in the prime's cheap home segment
    (0.55 x 1.02 re-export licence against 1.1 x 1.02 x 1.5, SOURCE's switching cost)."""
    firms = supply_base("GBR")
    units = 2.0 / 1.1
    ledger = run_source(firms, rules(), award(units=units, offset=0.4, content_bound=False))
    lot = units * 0.45 / 5
    assert lots_by_country(firms, lot) == {"USA": 3, "GBR": 2}
    # the work placed in the US: the US suppliers' receipts (their licence cost toward the UK is not work placed)
    assert ledger.q_offsets == pytest.approx(3 * lot * 1.1)
    assert ledger.q_licensing == pytest.approx(0.02 * (3 * lot * 1.1 + 2 * lot * 0.5 * 1.1))


def test_a_joint_product_places_its_partners_workshare_lots_there():
    """A US prime making a joint product with a UK partner: rint(0.29 * 5) = 1 lot goes to the UK segment
    though a home bias of 3 keeps the rest at home (0.561 x 4 > 1.1); the lot counts in the prime's usual supply
    chain, not as an offset. Without a partner every lot stays at home."""
    params = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=3.0, switching_cost=0.0)
    units = 2.0 / 1.1
    lot = units * 0.45 / 5
    firms = supply_base()
    ledger = run_source(firms, rules(), award(units=units, partner=GBR), params)
    assert lots_by_country(firms, lot) == {"USA": 4, "GBR": 1}
    assert ledger.q_offsets == 0.0
    assert firms.comp_origin[0, GBR] > 0.0
    firms = supply_base()
    run_source(firms, rules(), award(units=units), params)
    assert lots_by_country(firms, lot) == {"USA": 5, "GBR": 0}


def test_lots_nobody_can_supply_are_made_in_house():
    """No suppliers in the sector: the prime pays its own unit cost for the components, its component price moves
    toward its unit cost with the markup, and its supply chain stays at home."""
    firms = table({"country": "USA", "unit_cost": 1.5, "comp_price": 1.0},
                  {"country": "USA", "tier": SUPPLIER, "sector": "land"})
    units = 3.0
    ledger = run_source(firms, rules(), award(units=units))
    assert firms.cash[0] == pytest.approx(-units * 0.45 * 1.5)
    assert firms.backlog[1] == 0.0
    assert firms.cash[1] == 0.0
    assert ledger.q_tariffs == 0.0
    assert ledger.q_flows.sum() == 0.0
    assert firms.comp_price[0] == pytest.approx(0.7 * 1.0 + 0.3 * 1.5 * 1.1)
    assert firms.comp_origin[0, USA] == pytest.approx(1.0)


def test_a_component_bill_past_twice_the_expected_price_is_priced_in_at_once():
    """Above REQUOTE x the expected price the prime's component price jumps to what it paid, not 30 % of the
    way: a lagging price let contracts whose components cost hundreds of times their value go on being won."""
    firms = table({"country": "USA", "unit_cost": 3.0, "comp_price": 1.0},
                  {"country": "USA", "tier": SUPPLIER, "sector": "land"})
    run_source(firms, rules(), award(units=3.0))
    assert REQUOTE * 1.0 < 3.0 * 1.1 and firms.comp_price[0] == pytest.approx(3.0 * 1.1)


def test_no_lot_is_bought_at_many_times_the_price_the_bid_assumed():
    """An offer landed at more than AFFORDABLE x the prime's component price is no offer: the prime makes the lot
    in-house, paying its own unit cost, and the supplier gets nothing."""
    firms = table({"country": "USA", "unit_cost": 1.0, "comp_price": 0.1}, {"country": "USA", "tier": SUPPLIER})
    assert firms.unit_cost[1] * 1.1 > AFFORDABLE * 0.1  # the supplier's price (cost with markup) is too dear
    run_source(firms, rules(), award(units=3.0))
    assert firms.backlog[1] == 0.0 and firms.cash[1] == 0.0
    assert firms.cash[0] == pytest.approx(-3.0 * 0.45 * 1.0)


def test_no_awards_no_sourcing():
    """An empty award list changes nothing."""
    firms = supply_base()
    empty = Awards(*(np.zeros(0, dtype=d) for d in (np.int64, np.int64, float, float, float, float, np.int64, bool)))
    ledger = run_source(firms, rules(), empty)
    assert firms.cash.tolist() == [0.0] * 5
    assert firms.backlog.tolist() == [0.0] * 5
    assert ledger.q_tariffs == 0.0
    assert ledger.q_licensing == 0.0


# One lot per award, so a lot holds all the award's component units; no bid or sourcing noise; a flat 40% penalty on
# a foreign segment (home bias 0.4, no switching cost), so it does not depend on the prime's supply chain.
PAIR = pinned(bid_noise=0.0, sourcing_noise=0.0, lots=1, sourcing_home_bias=0.4, switching_cost=0.0)


def pair(a: dict, b: dict) -> FirmTable:
    """Row 0: a US air prime; row 1: supplier A, the US segment; row 2: supplier B, the UK segment (unit cost 1,
    capacity 1000 unless `b` says otherwise: 1.1 x 1.02 licensing x 1.4 home bias = 1.571)."""
    return table({"country": "USA", "comp_price": 1.0}, {"country": "USA", "tier": SUPPLIER, **a},
                 {"country": "GBR", "tier": SUPPLIER, "capacity": 1000.0, **b})


def lots_of(units: float, params: Params) -> Awards:
    """A content-bound award to row 0 (value 40) whose every lot holds `units` component units."""
    return award(value=40.0, units=units * params.lots / params.component_share)


def test_lead_time_is_scored_on_the_segments_backlog_and_the_whole_lot():
    """Segment A (capacity 1, 0.88 a unit) against B (1.571 landed, no lateness on 1000 a quarter). A 4-unit lot:
    A's lead time is 4 quarters, the reference: no lateness, and A takes the whole lot, beyond its free capacity of
    target_backlog x capacity = 3 (free capacity no longer caps what a segment takes). Behind a backlog of 6 its
    lead time is 10 quarters (0.88 x (1 + 0.15 x 6) = 1.672 > 1.571), and a 20-unit lot takes 20 quarters (0.88 x
    (1 + 0.15 x 16) = 2.992): B wins both."""
    firms = pair({"capacity": 1.0, "unit_cost": 0.8}, {})
    run_source(firms, rules(), lots_of(4.0, PAIR), PAIR)
    assert firms.backlog.tolist() == pytest.approx([0.0, 4.0, 0.0])
    firms = pair({"capacity": 1.0, "unit_cost": 0.8, "backlog": 6.0}, {})
    run_source(firms, rules(), lots_of(4.0, PAIR), PAIR)
    assert firms.backlog.tolist() == pytest.approx([0.0, 6.0, 4.0])
    firms = pair({"capacity": 1.0, "unit_cost": 0.8}, {})
    run_source(firms, rules(), lots_of(20.0, PAIR), PAIR)
    assert firms.backlog.tolist() == pytest.approx([0.0, 0.0, 20.0])
    assert 0.88 < 0.88 * 1.3 < 1.1 * 1.02 * 1.4 < 0.88 * 1.9 < 0.88 * 3.4


def test_content_rule_switches_excess_lots_to_the_best_counting_segment():
    """content_min 0.9 on a bound contract allows 1 of 5 lots whose best segment does not count. UK segment B
    (0.55 x 1.02 x 1.4 home bias = 0.785) is the best in every 5-unit lot, Canadian segment C (0.66 x 1.02 x 1.4 =
    0.942) next, and US segment A (1.1, capacity 1, so lead time 5 quarters: 1.1 x 1.15 = 1.265) last; lots
    that arrive later only queue behind earlier ones in A and C. The lot left foreign goes to B; the 4 switched lots
    admit counting segments only, so they go to A (however long its queue), not to the cheaper C: A holds 20 units,
    B 5. With Canada qualifying (its content counts) they go to C instead; without the minimum B takes all 25."""
    params = replace(PAIR, lots=5)

    def placed(levers: dict | None) -> list[float]:
        firms = table({"country": "USA", "comp_price": 1.0},
                      {"country": "USA", "tier": SUPPLIER, "capacity": 1.0},
                      {"country": "GBR", "tier": SUPPLIER, "capacity": 1000.0, "unit_cost": 0.5},
                      {"country": "CAN", "tier": SUPPLIER, "capacity": 1000.0, "unit_cost": 0.6})
        run_source(firms, rules(levers), lots_of(5.0, params), params)
        return firms.backlog[1:].tolist()

    assert placed({"USA": {"content_min": 0.9}}) == pytest.approx([20.0, 5.0, 0.0])
    assert placed({"USA": {"content_min": 0.9, "qualifying": ["CAN"]}}) == pytest.approx([0.0, 5.0, 20.0])
    assert placed(None) == pytest.approx([0.0, 25.0, 0.0])


def segment_base() -> FirmTable:
    """Row 0: a US air prime (in no segment). US air: rows 1-3, alike but for backlog: free capacity
    target_backlog x capacity - backlog = 30, 10, and for the full one the floor 0.01 x 10 = 0.1; row 4 exited.
    UK air: rows 5-6, room 30 each, prices 0.55 and 1.1 (scores -ln 0.55 and -ln 1.1: row 6 is ln 2 behind).
    Canadian air: rows 7-8, price 1.1, row 7 of quality 2 ** (2/3), so 1.5 ln q = ln 2 ahead. US land: row 9."""
    return table(
        {"country": "USA"},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 20.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 40.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 50.0, "active": False},
        {"country": "GBR", "tier": SUPPLIER, "capacity": 10.0, "unit_cost": 0.5},
        {"country": "GBR", "tier": SUPPLIER, "capacity": 10.0},
        {"country": "CAN", "tier": SUPPLIER, "capacity": 10.0, "quality": 2.0 ** (2 / 3)},
        {"country": "CAN", "tier": SUPPLIER, "capacity": 10.0},
        {"country": "USA", "tier": SUPPLIER, "sector": "land", "capacity": 5.0, "backlog": 2.0},
    )


def test_supply_segments_share_work_by_free_capacity_and_a_logit_in_the_score():
    """A supplier's share of its segment is room x exp((score - best score) / supplier_choice_noise), normalised.
    Equal scores (US air): shares 30 : 10 : 0.1 of 40.1. Noise 0.5, a gap of ln 2: exp(-2 ln 2) = 1/4, so the
    UK shares are 0.8 and 0.2, the segment price 0.8 x 0.55 + 0.2 x 1.1 = 0.66, and the Canadian ones 0.8 (the
    better quality) and 0.2, quality 0.8 x 2 ** (2/3) + 0.2. Noise 1: exp(-ln 2) = 1/2, shares 2/3 and 1/3, price
    0.733. Noise 0: the best take all (0.55 in the UK), and equal scores still share by room. Capacity and backlog
    add up over active suppliers; an empty segment has none."""
    firms = segment_base()
    seg = supply_segments(firms, pinned())
    assert seg.rows.tolist() == [1, 2, 3, 5, 6, 7, 8, 9]
    assert seg.share.tolist() == pytest.approx([30 / 40.1, 10 / 40.1, 0.1 / 40.1, 0.8, 0.2, 0.8, 0.2, 1.0])
    assert np.bincount(seg.key, seg.share).sum() == pytest.approx(4.0)  # four segments, each sharing 1
    assert seg.price[USA, AIR] == pytest.approx(1.1)
    assert seg.price[GBR, AIR] == pytest.approx(0.66)
    assert seg.quality[GBR, AIR] == pytest.approx(1.0)
    assert seg.price[CAN, AIR] == pytest.approx(1.1)
    assert seg.quality[CAN, AIR] == pytest.approx(0.8 * 2.0 ** (2 / 3) + 0.2)
    assert seg.price[USA, LAND] == pytest.approx(1.1)
    assert seg.capacity[USA, AIR] == pytest.approx(30.0)  # the exited supplier's 50 left out
    assert seg.backlog[USA, AIR] == pytest.approx(60.0)
    assert seg.capacity[GBR, AIR] == pytest.approx(20.0)
    assert seg.capacity[USA, LAND] == pytest.approx(5.0)
    assert seg.backlog[USA, LAND] == pytest.approx(2.0)
    assert seg.capacity[C["AUS"], AIR] == 0.0
    assert seg.price[C["AUS"], AIR] == 0.0
    seg = supply_segments(firms, pinned(supplier_choice_noise=1.0))
    assert seg.share[3:5].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert seg.price[GBR, AIR] == pytest.approx(2 / 3 * 0.55 + 1 / 3 * 1.1)
    seg = supply_segments(firms, pinned(supplier_choice_noise=0.0))
    assert seg.share.tolist() == pytest.approx([30 / 40.1, 10 / 40.1, 0.1 / 40.1, 1.0, 0.0, 1.0, 0.0, 1.0])
    assert seg.price[GBR, AIR] == pytest.approx(0.55)
    assert seg.quality[CAN, AIR] == pytest.approx(2.0 ** (2 / 3))


def test_a_segments_work_is_shared_by_its_shares_and_its_receipts_are_what_the_prime_pays_net():
    """A US prime with no US suppliers buys all 5 lots from the UK segment of the test above (shares 0.8 and 0.2,
    price 0.66), with a 10% component tariff (8.5% on the non-metal share). Of U = units x 0.45 component units,
    the 0.55 supplier takes 0.8 U and receives 0.8 U x 0.55, the 1.1 one 0.2 U and 0.2 U x 1.1: together U x 0.66,
    the lots' net, and the prime pays that with 2% licensing and the duty on both: U x 0.66 x 1.02 x 1.085."""
    firms = table({"country": "USA", "comp_price": 1.0},
                  {"country": "GBR", "tier": SUPPLIER, "capacity": 10.0, "unit_cost": 0.5},
                  {"country": "GBR", "tier": SUPPLIER, "capacity": 10.0})
    units = 2.0 / 1.1
    total = units * 0.45
    ledger = run_source(firms, rules({"USA": {"tariff_components": {"GBR": 0.1}}}), award(units=units))
    net = total * 0.66
    assert firms.backlog.tolist() == pytest.approx([0.0, 0.8 * total, 0.2 * total])
    assert firms.cash[1:].tolist() == pytest.approx([0.8 * total * 0.55, 0.2 * total * 1.1])
    assert firms.receipts[1:].tolist() == pytest.approx([0.8 * total * 0.55, 0.2 * total * 1.1])
    assert firms.cash[1:].sum() == pytest.approx(net)
    assert ledger.q_licensing == pytest.approx(0.02 * net)
    assert ledger.q_tariffs == pytest.approx(net * 1.02 * 0.085)
    assert -firms.cash[0] == pytest.approx(net * 1.02 * 1.085)
    assert firms.cash[1:].sum() == pytest.approx(-firms.cash[0] - ledger.q_licensing - ledger.q_tariffs)
    assert ledger.q_flows[USA, GBR] == pytest.approx(net)
    assert firms.comp_price[0] == pytest.approx(0.7 + 0.3 * 0.66 * 1.02 * 1.085)


def test_splitting_every_supplier_in_two_changes_nothing():
    """The point of segments: results do not depend on how finely the supply base is sampled. Each supplier of a
    small base (US, UK and Canadian, different costs, qualities and backlogs, one past its target) is replaced by
    two identical halves (half its capacity and backlog each, same cost and quality): each half's room is half the
    whole's, so every segment's shares halve and its price, quality, capacity and backlog stay put. Three
    contracts (a US prime on a content-bound US contract with a component tariff, a UK prime on a US contract with
    an offset, the US prime on a UK contract; sourcing noise on, so lots spread over countries) then give the same
    prime payments, ledger, supply chains and backlog per country, and each half gets half its whole's work and
    receipts."""
    params = pinned(bid_noise=0.15)
    primes = [{"country": "USA"}, {"country": "GBR", "unit_cost": 0.9}]
    suppliers = [
        {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 5.0},
        {"country": "USA", "tier": SUPPLIER, "capacity": 4.0, "backlog": 14.0, "unit_cost": 0.9, "quality": 1.1},
        {"country": "GBR", "tier": SUPPLIER, "capacity": 50.0, "backlog": 0.0, "unit_cost": 0.6},
        {"country": "GBR", "tier": SUPPLIER, "capacity": 20.0, "backlog": 70.0, "unit_cost": 0.7},
        {"country": "CAN", "tier": SUPPLIER, "capacity": 30.0, "backlog": 10.0, "unit_cost": 0.8, "quality": 0.9},
    ]
    halves = [{**s, "capacity": s["capacity"] / 2, "backlog": s["backlog"] / 2} for s in suppliers for _ in (0, 1)]
    rule = rules({"USA": {"content_min": 0.9, "tariff_components": {"GBR": 0.1}, "offset_rate": 0.2},
                  "GBR": {"licence_days": {"USA": 30}}})
    awards = Awards(firm=np.array([0, 1, 0]), buyer=np.array([USA, USA, GBR]), value=np.array([2.0, 2.0, 1.0]),
                    receipt=np.array([1.8, 1.7, 0.9]), units=np.array([1.8, 1.5, 0.9]),
                    offset=np.array([0.0, 0.4, 0.0]), partner=np.array([-1, -1, -1]),
                    content_bound=np.array([True, False, False]))

    def run(base: list[dict]) -> tuple[FirmTable, Ledger, np.ndarray]:
        firms = table(*primes, *base)
        before = firms.backlog.copy()
        ledger = run_source(firms, rule, awards, params)
        return firms, ledger, firms.backlog - before

    whole, whole_ledger, whole_work = run(suppliers)
    split, split_ledger, split_work = run(halves)
    def by_country(firms: FirmTable, work: np.ndarray) -> list[float]:
        return [work[2:][firms.country[2:] == c].sum() for c in (USA, GBR, CAN)]

    placed = by_country(whole, whole_work)
    assert sum(placed) == pytest.approx(0.45 * awards.units.sum())
    assert sum(p > 0 for p in placed) >= 2  # the lots went to more than one country
    assert by_country(split, split_work) == pytest.approx(placed)
    for name in ("cash", "receipts", "comp_price"):
        assert getattr(split, name)[:2].tolist() == pytest.approx(getattr(whole, name)[:2].tolist())
    assert split.comp_origin[:2].ravel().tolist() == pytest.approx(whole.comp_origin[:2].ravel().tolist())
    for name in ("q_flows", "q_components"):
        np.testing.assert_allclose(getattr(split_ledger, name), getattr(whole_ledger, name), rtol=1e-9, atol=1e-15)
    for name in ("q_tariffs", "q_licensing", "q_offsets"):
        assert getattr(split_ledger, name) == pytest.approx(getattr(whole_ledger, name))
    assert split_work[2::2].tolist() == pytest.approx((whole_work[2:] / 2).tolist())
    assert split_work[3::2].tolist() == pytest.approx((whole_work[2:] / 2).tolist())
    assert split.cash[2::2].tolist() == pytest.approx((whole.cash[2:] / 2).tolist())


def test_switching_cost_keeps_a_prime_with_its_usual_supply_chain():
    """The US segment offers 0.95 x 1.1 = 1.045 a unit, the UK one 0.55 x 1.02 licensing = 0.561. A foreign segment
    pays the home bias 0.6 plus switching_cost (0.5) x the share of the prime's component value not bought there;
    the home segment pays nothing, though prime 0 buys nothing at home. Prime 0's supply chain is all in the UK:
    it pays the home bias alone, 0.561 x 1.6 = 0.898 < 1.045, so it keeps buying there (its chain stays all British,
    its 5 lots cost 0.561 a unit). Prime 1's chain is at home: 0.561 x 2.1 = 1.178 > 1.045, it buys American. With
    switching_cost 0 both pay the home bias alone and take the UK segment, and prime 1's chain moves 30% of the
    way there."""
    units = 2.0 / 1.1
    total = units * 0.45

    def run(switching_cost: float) -> FirmTable:
        params = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=0.6, switching_cost=switching_cost)
        firms = table({"country": "USA"}, {"country": "USA"},
                      {"country": "USA", "tier": SUPPLIER, "unit_cost": 0.95},
                      {"country": "GBR", "tier": SUPPLIER, "unit_cost": 0.5})
        firms.comp_origin[0] = 0.0
        firms.comp_origin[0, GBR] = 1.0
        one = award(units=units)
        two = Awards(**{f: np.repeat(getattr(one, f), 2) for f in
                        ("firm", "buyer", "value", "receipt", "units", "offset", "partner", "content_bound")})
        run_source(firms, rules(), replace(two, firm=np.array([0, 1])), params)
        return firms

    assert 0.561 * 1.6 < 1.045 < 0.561 * 2.1
    firms = run(0.5)
    assert firms.backlog[2:].tolist() == pytest.approx([total, total])
    assert firms.cash[:2].tolist() == pytest.approx([-total * 0.55 * 1.02, -total * 0.95 * 1.1])
    assert firms.comp_origin[0, [USA, GBR]].tolist() == pytest.approx([0.0, 1.0])
    assert firms.comp_origin[1, [USA, GBR]].tolist() == pytest.approx([1.0, 0.0])
    firms = run(0.0)
    assert firms.backlog[2:].tolist() == pytest.approx([0.0, 2 * total])
    assert firms.cash[:2].tolist() == pytest.approx([-total * 0.55 * 1.02] * 2)
    assert firms.comp_origin[1, [USA, GBR]].tolist() == pytest.approx([0.7, 0.3])


def penalty_base(uk_cost: float) -> FirmTable:
    """Row 0: a US air prime; row 1: a UK air prime; row 2: a US supplier (1.1 a unit); row 3: a UK one at
    uk_cost x 1.1 a unit. Both large (1000 a quarter), so lead times stay far below the reference."""
    return table({"country": "USA"}, {"country": "GBR"},
                 {"country": "USA", "tier": SUPPLIER, "capacity": 1000.0},
                 {"country": "GBR", "tier": SUPPLIER, "capacity": 1000.0, "unit_cost": uk_cost})


def test_home_supply_base_pays_nothing_and_a_foreign_one_the_home_bias_plus_switching_for_the_unqualified_share():
    """No licensing, duty or noise, so a segment cheaper by a factor f wins iff f x (1 + penalty) < 1, the penalty
    (sourcing_home_bias + switching_cost x (1 - comp_origin)) on foreign segments only: thresholds 1 / (1 + 0.6 +
    0.5 x unqualified). A US prime buying all at home: the UK wins below f = 1 / 2.1 = 0.476 and loses above it;
    with 40% of its chain already in the UK (60% unqualified), 1 / (1.6 + 0.3) = 1 / 1.9 = 0.526. A UK prime
    whose chain is all in the US: its home UK segment pays nothing (though none of its chain is there) and the US
    only the home bias, so the UK wins iff f < 1.6."""
    params = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=0.6, switching_cost=0.5,
                    compliance_cost=0.0, licence_cost_per_day=0.0)
    rule = rules(None, params)
    units = 2.0 / 1.1
    lot = units * 0.45 / 5

    def placed(prime: int, uk_cost: float, uk_share: float) -> dict[str, int]:
        firms = penalty_base(uk_cost)
        firms.comp_origin[prime, [USA, GBR]] = [1.0 - uk_share, uk_share]
        one = award(units=units, buyer=int(firms.country[prime]), content_bound=False)
        run_source(firms, rule, replace(one, firm=np.array([prime])), params)
        return lots_by_country(firms, lot)

    for prime, share, threshold in ((0, 0.0, 1 / 2.1), (0, 0.4, 1 / 1.9), (1, 0.0, 1.6)):
        assert placed(prime, threshold * 0.999, share) == {"USA": 0, "GBR": 5}
        assert placed(prime, threshold * 1.001, share) == {"USA": 5, "GBR": 0}


def queue_base() -> FirmTable:
    """Row 0: a US air prime; rows 1 and 2: a US and a UK supplier alike (1.1 a unit, quality 1, capacity 10) but
    for backlog: 40 (the lead_time_ref of 4 quarters) and 41."""
    return table({"country": "USA"},
                 {"country": "USA", "tier": SUPPLIER, "capacity": 10.0, "backlog": 40.0},
                 {"country": "GBR", "tier": SUPPLIER, "capacity": 10.0, "backlog": 41.0})


# no penalty, licensing or noise: the two segments differ only in backlog; 10 lots of 2 units (20 against a
# capacity of 10 a quarter)
QUEUE = pinned(bid_noise=0.0, sourcing_noise=0.0, sourcing_home_bias=0.0, switching_cost=0.0, compliance_cost=0.0,
               licence_cost_per_day=0.0, lots=10)


def run_queue() -> np.ndarray:
    """The units queue_base's suppliers get of 10 lots of 2 units."""
    firms = queue_base()
    before = firms.backlog.copy()
    run_source(firms, rules(None, QUEUE), award(value=40.0, units=2.0 * 10 / 0.45, content_bound=False), QUEUE)
    return firms.backlog - before


def test_a_quarters_lots_arrive_in_batches_and_queue_behind_each_other():
    """Two segments alike but for one unit of backlog (US 40, UK 41, capacity 10), ten 2-unit lots: 20 units, two
    quarters of either's capacity. Lots arrive in eight batches, each placed behind what the earlier batches
    placed: lead time (backlog + placed + 2) / 10. The first lot goes to the US (4.2 quarters against 4.3), which
    then looks 0.2 quarters longer, so the lots alternate and both segments get work; all of it in the US
    would have taken its lead time to (40 + 20) / 10 = 6 quarters against the UK's 4.1."""
    work = run_queue()
    assert work[1:].sum() == pytest.approx(20.0)
    assert work[1] >= 6.0
    assert work[2] >= 6.0


# -- production ----------------------------------------------------------------------------------------------------


def producers(params: Params) -> FirmTable:
    """Row 0: a prime with more backlog than capacity; row 1: a supplier with less; row 2: an exited firm.
    Unit costs are consistent with base_cost * cum_output ** b."""
    b = params.learning_exponent
    return table(
        {"country": "USA", "tier": PRIME, "base_cost": 2.0, "cum_output": 50.0, "unit_cost": 2.0 * 50.0 ** b,
         "capacity": 4.0, "backlog": 30.0},
        {"country": "GBR", "tier": SUPPLIER, "base_cost": 1.0, "cum_output": 20.0, "unit_cost": 20.0 ** b,
         "capacity": 4.0, "backlog": 1.0},
        {"country": "CAN", "tier": SUPPLIER, "active": False, "capacity": 0.0, "backlog": 5.0},
    )


def test_delivery_is_backlog_capped_by_capacity():
    """delivered = min(backlog, capacity * supply factor); inactive firms deliver nothing."""
    params = pinned()
    firms = producers(params)
    produce(firms, params, no_shock())
    assert firms.delivered.tolist() == pytest.approx([4.0, 1.0, 0.0])
    assert firms.backlog.tolist() == pytest.approx([26.0, 0.0, 5.0])
    assert firms.delivery_capacity.tolist() == pytest.approx([4.0, 4.0, 0.0])
    firms = producers(params)
    shock = no_shock()
    shock[USA, AIR] = 0.5  # a supply disruption halves usable capacity
    produce(firms, params, shock)
    assert firms.delivered.tolist() == pytest.approx([2.0, 1.0, 0.0])


def test_learning_curve_and_costs_of_production():
    """cum_output decays by experience_depreciation then adds deliveries; unit cost = base_cost * cum ** b; cash pays
    own work at the old unit cost, the fixed cost on capacity, and capex on growth at the new unit cost."""
    params = pinned()
    b = params.learning_exponent
    firms = producers(params)
    old_cost = firms.unit_cost.copy()
    produce(firms, params, no_shock())
    cum0 = 50.0 * (1 - params.experience_depreciation) + 4.0
    cum1 = 20.0 * (1 - params.experience_depreciation) + 1.0
    assert firms.cum_output[:2].tolist() == pytest.approx([cum0, cum1])
    assert firms.unit_cost[:2].tolist() == pytest.approx([2.0 * cum0 ** b, cum1 ** b])
    grow = params.capacity_adjust * (30.0 / params.target_backlog - 4.0)  # (backlog before delivery) / target - cap
    own = 1 - params.component_share
    expected0 = -(4.0 * own * old_cost[0] + params.fixed_cost * 4.0 * old_cost[0]
                  + params.capex_cost * grow * firms.unit_cost[0] * own)
    expected1 = -(1.0 * old_cost[1] + params.fixed_cost * 4.0 * old_cost[1])  # suppliers make all of it; no growth
    assert firms.cash[:2].tolist() == pytest.approx([expected0, expected1])
    assert firms.cash[2] == 0.0  # an exited firm pays nothing


def test_progress_ratio_per_doubling():
    """Without depreciation, doubling cumulative output multiplies unit cost by progress_ratio exactly."""
    params = pinned(experience_depreciation=0.0, progress_ratio=0.85)
    firms = table({"cum_output": 10.0, "base_cost": 3.0, "unit_cost": 3.0 * 10.0 ** params.learning_exponent,
                   "capacity": 10.0, "backlog": 10.0})
    before = firms.unit_cost[0]
    produce(firms, params, no_shock())
    assert firms.cum_output[0] == pytest.approx(20.0)
    assert firms.unit_cost[0] == pytest.approx(0.85 * before)


def test_capacity_moves_toward_backlog_over_target():
    """Capacity grows by capacity_adjust x gap and shrinks by capacity_decay x gap, where gap is (backlog before
    delivery) / target_backlog - capacity; an exited firm's capacity is floored at 1e-9 (surprise: not kept at 0)."""
    params = pinned()
    firms = producers(params)
    produce(firms, params, no_shock())
    up = 4.0 + params.capacity_adjust * (30.0 / 3.0 - 4.0)
    down = 4.0 + params.capacity_decay * (1.0 / 3.0 - 4.0)
    assert firms.capacity[:2].tolist() == pytest.approx([up, down])
    assert firms.capacity[2] == pytest.approx(1e-9, abs=0)  # exits set 0; produce floors every row at 1e-9


def test_capacity_at_target_stays_put():
    """Backlog exactly target_backlog quarters of capacity (before delivery): no change in capacity, no capex."""
    params = pinned(fixed_cost=0.0)
    firms = table({"tier": SUPPLIER, "capacity": 4.0, "backlog": 12.0})
    produce(firms, params, no_shock())
    assert firms.capacity[0] == pytest.approx(4.0)
    assert firms.cash[0] == pytest.approx(-4.0 * 1.0)  # only the work delivered


def test_close_accounts_smooths_counts_losses_and_pays_out_excess_cash():
    """revenue_ema and profit_ema move 10% toward receipts and change in cash; loss_streak counts quarters with
    profit_ema < 0; cash above cash_buffer quarters of revenue_ema is paid out; receipts reset."""
    params = pinned(cash_buffer=4.0)
    firms = table(
        {"cash": 12.0, "receipts": 5.0, "revenue_ema": 4.0, "profit_ema": 1.0},  # profit 2
        {"cash": 9.0, "receipts": 3.0, "revenue_ema": 3.0, "profit_ema": -0.05, "loss_streak": 3},  # loss 1
        {"cash": 100.0, "receipts": 5.0, "revenue_ema": 4.0, "profit_ema": 1.0},  # far above the buffer
        {"cash": 3.0, "active": False, "revenue_ema": 2.0, "loss_streak": 9},
    )
    cash_before = np.array([10.0, 10.0, 10.0, 3.0])
    close_accounts(firms, cash_before, params)
    assert firms.revenue_ema.tolist() == pytest.approx([4.1, 3.0, 4.1, 0.0])
    assert firms.profit_ema.tolist() == pytest.approx([1.1, -0.145, 0.9 + 9.0, 0.0])
    assert firms.loss_streak.tolist() == [0, 4, 0, 0]
    assert firms.cash.tolist() == pytest.approx([12.0, 9.0, 4.0 * 4.1, 3.0])
    assert firms.receipts.tolist() == [0.0] * 4


def test_close_accounts_pays_out_all_cash_of_a_firm_without_revenue():
    """Surprise: the cap min(cash, max(buffer, min(cash_before, buffer))) reduces to min(cash, buffer), so a firm
    whose revenue_ema is 0 has all its positive cash paid out at once (cash_before plays no part)."""
    firms = table({"cash": 50.0, "revenue_ema": 0.0})
    close_accounts(firms, np.array([50.0]), pinned())
    assert firms.cash[0] == 0.0


# -- innovation ----------------------------------------------------------------------------------------------------


def innovators() -> FirmTable:
    """Two US air firms (revenue 1 and 3, quality 1 and 2), a UK air firm (revenue 2), an exited US firm."""
    return table(
        {"country": "USA", "revenue_ema": 1.0, "quality": 1.0, "capacity": 1.0},
        {"country": "USA", "revenue_ema": 3.0, "quality": 2.0, "capacity": 1.0},
        {"country": "GBR", "revenue_ema": 2.0, "quality": 0.7, "capacity": 1.0},
        {"country": "USA", "revenue_ema": 5.0, "quality": 0.5, "capacity": 1.0, "active": False},
    )


def test_research_grants_follow_revenue_and_sum_to_the_budget():
    """Each country's grant budget is shared by its active firms in proportion to revenue_ema; a country with no
    firms pays nothing. The grant is a receipt that pays for R&D the firm performs, so cash loses only its own
    R&D (rd_share x revenue): a grant is no profit to live on."""
    params = pinned(innovation_rate=0.0, diffusion=0.0)
    firms = innovators()
    grants = np.zeros(N_COUNTRIES)
    grants[USA], grants[GBR], grants[CAN] = 4.0, 0.5, 7.0  # Canada has no firms
    ledger = Ledger()
    research(firms, grants, params, np.random.default_rng(0), ledger)
    paid = np.array([1.0, 3.0, 0.5, 0.0])
    assert firms.receipts.tolist() == pytest.approx(paid.tolist())
    assert firms.receipts[firms.country == USA].sum() == pytest.approx(4.0)
    own = params.rd_share * np.array([1.0, 3.0, 2.0, 0.0])
    assert firms.cash.tolist() == pytest.approx((-own).tolist())
    assert ledger.q_gov_paid == pytest.approx(4.5)  # the Canadian budget is not paid
    assert firms.quality.tolist() == pytest.approx([1.0, 2.0, 0.7, 0.5])  # no innovation, no diffusion


def test_innovation_only_raises_quality():
    """With a certain success hazard every active firm steps up; quality never falls; exited firms are untouched."""
    params = pinned(innovation_rate=100.0, innovation_step=0.1, rd_share=0.5, diffusion=0.0)
    firms = innovators()
    research(firms, np.zeros(N_COUNTRIES), params, np.random.default_rng(0), Ledger())
    before = np.array([1.0, 2.0, 0.7, 0.5])
    assert (firms.quality[:3] > before[:3]).all()
    assert firms.quality[3] == 0.5


def test_diffusion_raises_laggards_toward_the_national_sector_mean_only():
    """Firms below their country-sector's capacity-weighted mean close `diffusion` of the gap; leaders and firms
    alone in their group are unchanged; foreign leaders do not pull (the UK firm is alone in UK air)."""
    params = pinned(innovation_rate=0.0, diffusion=0.5)
    firms = innovators()
    research(firms, np.zeros(N_COUNTRIES), params, np.random.default_rng(0), Ledger())
    mean = 1.5  # (1 + 2) / 2, the exited firm excluded
    assert firms.quality.tolist() == pytest.approx([1.0 + 0.5 * (mean - 1.0), 2.0, 0.7, 0.5])


def codev_pair(us_quality: float = 1.0, uk_quality: float = 1.0) -> FirmTable:
    """A US (row 0) and a UK (row 1) air prime of equal revenue, of equal quality unless given."""
    return table({"country": "USA", "revenue_ema": 2.0, "quality": us_quality},
                 {"country": "GBR", "revenue_ema": 2.0, "quality": uk_quality})


# Every prime seeks, and with no licence delay and the cost deterrent off every seeker commits.
CODEV = pinned(seek_prime=1.0, codev_quarters=1, codev_success=1.0, codev_gain=0.05, codev_cost_weight=0.0,
               codev_absorption=4.0)


def test_codevelopment_starts_one_programme_per_pair_and_finishes_it():
    """Both primes seek; one programme starts (cost codev_cost x revenue x sqrt(2)/2 / quarters each); at its end,
    with equal qualities at the alliance mean and codev_success 1, it succeeds: equal partners both reach the new
    frontier (quality x 1.05) and gain access to each other."""
    firms = codev_pair()
    programmes = Programmes()
    ledger = Ledger()
    rng = np.random.default_rng(0)
    codevelop(firms, Groups.build(firms), programmes, rules(), CODEV, 0, rng, ledger)
    assert len(programmes.members) == 1
    assert programmes.members[0, 2:].tolist() == [-1] * (N_COUNTRIES - 2)
    assert firms.in_codev.tolist() == [True, True]
    assert ledger.codev_started[USA, GBR] == 1
    cost = CODEV.codev_cost * 2.0 * math.sqrt(2) / 2 / 1
    np.testing.assert_allclose(programmes.cost[0], [cost, cost] + [0.0] * (N_COUNTRIES - 2))
    assert programmes.end.tolist() == [1]
    assert firms.cash.tolist() == [0.0, 0.0]  # nothing is paid in the quarter it starts

    codevelop(firms, Groups.build(firms), programmes, rules(), CODEV, 1, rng, ledger)
    assert firms.cash.tolist() == pytest.approx([-cost, -cost])
    assert ledger.codev_completed[USA, GBR] == 1
    assert not programmes.active[0]
    assert firms.quality.tolist() == pytest.approx([1.05, 1.05])
    assert firms.joint_until[0, GBR] == 1 + CODEV.joint_product_quarters
    assert firms.joint_until[1, USA] == 1 + CODEV.joint_product_quarters
    assert firms.joint_until[0, USA] == -1  # no programme with its own country is recorded
    # the same call then matches the now free partners again
    assert ledger.codev_started[USA, GBR] == 2


def test_codevelopment_support_and_denial():
    """Government co-funding pays its share of its firm's cost (booked as receipts and gov_paid); a certain
    denial stops the programme and is counted."""
    firms = codev_pair()
    programmes = Programmes()
    support = rules({"USA": {"codev_support": {"GBR": 0.5}}})
    rng = np.random.default_rng(0)
    codevelop(firms, Groups.build(firms), programmes, support, CODEV, 0, rng, Ledger())
    ledger = Ledger()
    codevelop(firms, Groups.build(firms), programmes, support, CODEV, 1, rng, ledger)
    cost = CODEV.codev_cost * 2.0 * math.sqrt(2) / 2
    us = int(np.flatnonzero(programmes.members[0] == 0)[0])  # the column of the programme holding the US firm
    assert programmes.support[0, us] == 0.5
    assert firms.cash.tolist() == pytest.approx([-0.5 * cost, -cost])
    assert firms.receipts[0] == pytest.approx(0.5 * cost)
    assert ledger.q_gov_paid == pytest.approx(0.5 * cost)

    firms = codev_pair()
    ledger = Ledger()
    codevelop(firms, Groups.build(firms), Programmes(), rules({"GBR": {"denial_prob": {"USA": 1.0}}}), CODEV, 0,
              np.random.default_rng(0), ledger)
    assert ledger.codev_started.sum() == 0
    assert ledger.codev_denied[USA, GBR] == 2  # both seekers were denied
    assert not firms.in_codev.any()


@pytest.mark.parametrize(("absorption", "laggard"), [(4.0, 0.8 + 0.8**4 * 0.25), (0.0, 1.05), (1.0, 1.0)])
@pytest.mark.parametrize(("us_quality", "uk_quality"), [(1.0, 0.8), (0.8, 1.0)])
def test_a_successful_programme_lifts_the_leader_and_the_laggard_absorbs_part_of_the_gain(
        absorption, laggard, us_quality, uk_quality):
    """Qualities 1.0 and 0.8 (the pair's mean is the alliance mean, so success is certain): the leader goes to the
    frontier 1.0 * 1.05; the laggard closes (0.8 / 1.0) ** codev_absorption of its gap to it, whichever side of the
    programme it is on: 0.8 + 0.8**4 * 0.25 with the default 4; with 0 it reaches the frontier too (full
    spillover); with 1, 0.8 + 0.8 * 0.25."""
    params = replace(CODEV, codev_absorption=absorption)
    firms = codev_pair(us_quality, uk_quality)
    programmes = Programmes()
    rng = np.random.default_rng(0)
    codevelop(firms, Groups.build(firms), programmes, rules(), params, 0, rng, Ledger())
    ledger = Ledger()
    codevelop(firms, Groups.build(firms), programmes, rules(), params, 1, rng, ledger)
    assert ledger.codev_completed[USA, GBR] == 1
    leader = 0 if us_quality > uk_quality else 1
    assert firms.quality[leader] == pytest.approx(1.05)
    assert firms.quality[1 - leader] == pytest.approx(laggard)


def test_cofunding_makes_firms_commit_to_a_programme():
    """The commit probability is exp(-days / deterrence_days) * (1 - codev_cost_weight * (1 - funded)), `funded`
    the mean of the two governments' codev_support shares. With codev_cost_weight 1 and no licence delay, full
    co-funding by both makes every seeker commit, no co-funding makes none commit, and one government's full
    co-funding (funded 0.5) makes each of the two seekers commit half the time (a programme in 3 of 4 seeds);
    a prohibitive licence delay deters even fully co-funded firms."""
    params = pinned(seek_prime=1.0, codev_cost_weight=1.0, deterrence_days=90.0, taa_factor=3.6)
    both = {"USA": {"codev_support": {"GBR": 1.0}}, "GBR": {"codev_support": {"USA": 1.0}}}

    def started(rule: Rules, seed: int) -> int:
        firms = codev_pair()
        ledger = Ledger()
        codevelop(firms, Groups.build(firms), Programmes(), rule, params, 0, np.random.default_rng(seed), ledger)
        return int(ledger.codev_started[USA, GBR])

    seeds = range(400)
    assert [started(rules(both, params), seed) for seed in seeds[:20]] == [1] * 20
    assert [started(rules(None, params), seed) for seed in seeds[:20]] == [0] * 20
    one = rules({"USA": {"codev_support": {"GBR": 1.0}}}, params)
    assert np.mean([started(one, seed) for seed in seeds]) == pytest.approx(0.75, abs=0.06)
    # licence delays both ways of 3650 days, times taa_factor: exp(-3650 * 3.6 / 90) ~ 1e-64
    blocked = rules({"USA": {"codev_support": {"GBR": 1.0}, "licence_days": {"GBR": 3650}},
                     "GBR": {"codev_support": {"USA": 1.0}, "licence_days": {"USA": 3650}}}, params)
    assert [started(blocked, seed) for seed in seeds[:20]] == [0] * 20


def test_a_multinational_programme_shares_cost_by_the_sqrt_n_rule_and_joins_every_pair():
    """With codev_join 1 the first seeker invites a firm of every other country with one in the sector: one
    programme of three, each paying codev_cost x revenue x sqrt(3)/3 a quarter; on success all three reach the
    frontier (equal qualities), each pair is counted once, and every member makes the joint product with both
    others."""
    firms = table({"country": "USA", "revenue_ema": 2.0}, {"country": "GBR", "revenue_ema": 2.0},
                  {"country": "CAN", "revenue_ema": 2.0})
    params = replace(CODEV, codev_join=1.0)
    programmes = Programmes()
    rng = np.random.default_rng(0)
    ledger = Ledger()
    codevelop(firms, Groups.build(firms), programmes, rules(), params, 0, rng, ledger)
    assert len(programmes.members) == 1
    assert sorted(programmes.members[0, :3].tolist()) == [0, 1, 2]
    cost = params.codev_cost * 2.0 * math.sqrt(3) / 3
    np.testing.assert_allclose(np.sort(programmes.cost[0])[-3:], [cost] * 3)
    assert ledger.codev_started[USA, GBR] == ledger.codev_started[USA, CAN] == ledger.codev_started[GBR, CAN] == 1
    assert ledger.codev_started.sum() == 3
    codevelop(firms, Groups.build(firms), Programmes(), rules(), params, 1, rng, Ledger())  # nobody is free
    ledger = Ledger()
    codevelop(firms, Groups.build(firms), programmes, rules(), replace(params, seek_prime=0.0), 1, rng, ledger)
    assert firms.cash.tolist() == pytest.approx([-cost] * 3)
    assert firms.quality.tolist() == pytest.approx([1.05] * 3)
    assert ledger.codev_completed.sum() == 3
    until = 1 + params.joint_product_quarters
    assert firms.joint_until[0, [GBR, CAN]].tolist() == [until, until]
    assert firms.joint_until[2, [USA, GBR]].tolist() == [until, until]
    assert not firms.in_codev.any()


# -- demography ----------------------------------------------------------------------------------------------------


def test_exits_take_loss_making_firms_out_of_cash():
    """A firm exits when loss_streak >= exit_quarters and cash < 0: inactive, no capacity, no backlog."""
    params = pinned(exit_quarters=8)
    firms = table(
        {"loss_streak": 8, "cash": -1.0, "backlog": 3.0},  # exits
        {"loss_streak": 8, "cash": 1.0},  # still has cash
        {"loss_streak": 7, "cash": -1.0},  # not loss-making long enough
        {"loss_streak": 20, "cash": -5.0, "active": False},  # already gone
    )
    gone = exits(firms, params)
    assert gone.tolist() == [0]
    assert firms.active.tolist() == [False, True, True, False]
    assert firms.capacity[0] == 0.0
    # surprise: the exiting firm had 3 units of paid-for backlog; they are dropped, not delivered or refunded,
    # although the module docstring speaks of "idle" firms
    assert firms.backlog[0] == 0.0
    assert firms.capacity[1:3].tolist() == [100.0, 100.0]


def test_entrants_join_a_profitable_group_only():
    """Entrants (Poisson, entry_rate x count) go to country-sector-tier groups whose profit margin exceeds
    entry_margin; they start at 0.2 x mean capacity, 0.85-0.95 x mean quality, born now."""
    params = pinned(entry_rate=0.05, entry_margin=0.1)
    profitable = [{"country": "GBR", "tier": SUPPLIER, "revenue_ema": 1.0, "profit_ema": 0.3, "capacity": 10.0,
                   "quality": 0.8, "base_cost": 2.0}] * 100
    losing = [{"country": "USA", "tier": SUPPLIER, "sector": "land", "revenue_ema": 1.0, "profit_ema": 0.05}] * 100
    firms = table(*profitable, *losing)
    rows = entrants(firms, params, 7, np.random.default_rng(0), PopulationLimits.of(firms, params, 80))
    assert len(rows) > 0
    assert rows.tolist() == list(range(200, 200 + len(rows)))
    assert (firms.country[rows] == GBR).all()
    assert (firms.sector[rows] == AIR).all()
    assert (firms.tier[rows] == SUPPLIER).all()
    assert firms.active[rows].all()
    assert (firms.born[rows] == 7).all()
    assert firms.capacity[rows] == pytest.approx(np.full(len(rows), 2.0))
    assert ((firms.quality[rows] >= 0.8 * 0.85) & (firms.quality[rows] <= 0.8 * 0.95)).all()
    cum = 2.0 * params.experience_quarters * 0.1
    assert firms.cum_output[rows] == pytest.approx(np.full(len(rows), cum))
    expected = 2.0 * cum ** params.learning_exponent * firms.quality[rows] ** params.quality_cost_elasticity
    assert firms.unit_cost[rows] == pytest.approx(expected)
    assert firms.cash[rows] == pytest.approx(4.0 * 2.0 * firms.unit_cost[rows])
    assert firms.represents[rows] == pytest.approx(np.ones(len(rows)))  # as the incumbents of their group


def test_no_entry_without_a_profitable_group():
    """Margins at or below entry_margin attract nobody."""
    firms = table(*[{"tier": SUPPLIER, "revenue_ema": 1.0, "profit_ema": 0.1}] * 100)
    params = pinned(entry_rate=0.05, entry_margin=0.1)
    assert len(entrants(firms, params, 0, np.random.default_rng(0), PopulationLimits.of(firms, params, 80))) == 0
    assert firms.n == 100


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_group_with_almost_no_revenue_raises_no_overflow_warning():
    """Found by the full-range property test: profit / revenue overflowed for a revenue of 1e-310 (a numpy
    RuntimeWarning on the user's terminal); such a group's margin is infinite, and it attracts entrants."""
    params = pinned(entry_rate=0.05, entry_margin=0.1)
    firms = table(*[{"country": "GBR", "tier": SUPPLIER, "revenue_ema": 1e-310, "profit_ema": 1e10}] * 100)
    assert len(entrants(firms, params, 0, np.random.default_rng(0), PopulationLimits.of(firms, params, 80))) > 0


def test_entry_stops_at_the_group_limit_and_at_the_row_limit():
    """A group grows to GROUP_GROWTH_LIMIT x its starting active firms and no further, however profitable; and
    the table takes no row beyond the limit (entrants of the first groups first)."""
    params = pinned(entry_rate=0.05, entry_margin=0.1)
    firms = table(*[{"country": "GBR", "tier": SUPPLIER, "revenue_ema": 1.0, "profit_ema": 0.3}] * 40,
                  *[{"country": "CAN", "tier": SUPPLIER, "revenue_ema": 1.0, "profit_ema": 0.3}] * 40)
    limits = PopulationLimits.of(firms, params, 80)
    assert limits.rows == 80 * (1 + GROUP_GROWTH_LIMIT * (1 + 0.05 * 80))
    assert limits.group.max() == 40 * GROUP_GROWTH_LIMIT
    rng = np.random.default_rng(0)
    for t in range(200):  # entrants earn as well as the incumbents, so both groups stay attractive
        entrants(firms, params, t, rng, limits)
        firms.revenue_ema[:], firms.profit_ema[:] = 1.0, 0.3
    by_country = np.bincount(firms.country[firms.active], minlength=len(COUNTRIES))
    assert by_country[GBR] == by_country[C["CAN"]] == 40 * GROUP_GROWTH_LIMIT
    tight = PopulationLimits(limits.group * 100, firms.n + 3)
    assert len(entrants(firms, params, 0, rng, tight)) == 3 and firms.n == tight.rows
    assert len(entrants(firms, params, 1, rng, tight)) == 0


def test_unit_cost_falls_with_experience_and_rises_with_quality():
    """Wright's law at progress ratio 0.85 per doubling of experience; cost ** 1.25 in quality."""
    params = pinned()
    one = np.ones(1)
    assert unit_cost_of(one, 2 * one, one, params)[0] == pytest.approx(0.85)
    assert unit_cost_of(one, one, 2 * one, params)[0] == pytest.approx(2 ** 1.25)


def test_an_industrial_government_directs_more_work_home_when_its_home_share_falls():
    """Home share 0.05 below its reference (threshold 0.02): margin, content minimum and non-competed share each
    rise by the step, never past their caps; within the cool-down (lag) nothing changes."""
    adaptation = parse_adaptation({"mode": "industrial", "threshold": 0.02, "step": 0.1, "max_noncompeted": 0.5},
                                  "test")
    policy = Policy()
    policy.apply({"preference_margin": 0.5, "content_min": 0.65, "noncompeted_share": 0.45}, "test")
    barrier = np.zeros((N_COUNTRIES, N_COUNTRIES))
    seen = Observation(t=10, barrier_then=barrier, barrier_now=barrier, home_share=0.9, home_share_ref=0.95)
    reaction = Reaction(C["USA"])
    changes = reaction.respond(adaptation, policy, seen, np.random.default_rng(0))
    assert changes["preference_margin"] == pytest.approx(np.full(N_COUNTRIES, 0.6))
    assert changes["content_min"] == pytest.approx(0.75)
    assert changes["noncompeted_share"] == pytest.approx(0.5)  # capped at max_noncompeted
    assert reaction.respond(adaptation, policy, replace(seen, t=11), np.random.default_rng(0)) == {}


@pytest.mark.parametrize("firm_scale", [0.012, 0.05])
def test_sampled_suppliers_stand_for_the_real_population(firm_scale):
    """Each prime stands for itself; a country's sampled suppliers together stand for all its real suppliers
    (firms_real less its primes), whatever the sample's size."""
    data = country_data()
    firms = FirmTable()
    initial_population(data, pinned(), firm_scale, np.random.default_rng(0), firms)
    primes = firms.tier == PRIME
    assert (firms.represents[primes] == 1.0).all()
    for code in ("USA", "GBR", "NZL"):
        suppliers = ~primes & (firms.country == C[code])
        real = data.firms_real[C[code]] - data.primes[C[code]].sum()
        assert firms.represents[suppliers].sum() == pytest.approx(real)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_primes_start_with_joint_products_at_the_steady_state_share(share):
    """With initial_joint_share 1 every prime whose sector has primes abroad starts with one joint product, with
    a foreign partner country that has primes in the sector and a remaining life below joint_product_quarters;
    with 0 none does, and suppliers never do."""
    data = country_data()
    firms = FirmTable()
    params = pinned(initial_joint_share=share)
    initial_population(data, params, 0.012, np.random.default_rng(0), firms)
    joint = firms.joint_until >= 0
    assert not joint[firms.tier == SUPPLIER].any()
    primes = np.flatnonzero(firms.tier == PRIME)
    if share == 0.0:
        assert not joint.any()
        return
    for row in primes:
        partners = np.flatnonzero(joint[row])
        abroad = np.flatnonzero(data.primes[:, firms.sector[row]] > 0)
        abroad = abroad[abroad != firms.country[row]]
        assert len(partners) == (1 if len(abroad) else 0)
        if len(partners):
            assert partners[0] in abroad
            assert 0 <= firms.joint_until[row, partners[0]] < params.joint_product_quarters
