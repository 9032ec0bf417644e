"""Property test: for randomly drawn valid scenarios (levers, schedules, shocks, alliances, budgets, parameters,
--set overrides), every invariant in tests/invariants.py holds after every quarter.

CI runs a fixed, reproducible set of examples; NTIB_HYPOTHESIS_EXAMPLES=500 explores more (new ones each run).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from invariants import Checker, run_checked
from scenario_strategies import Case, cases

from model.common.countries import COUNTRIES
from model.simulation.model import NTIBModel

CI_EXAMPLES = 100
EXAMPLES = int(os.environ.get("NTIB_HYPOTHESIS_EXAMPLES", CI_EXAMPLES))
CI_LONG_EXAMPLES = 25  # full ranges, up to a century: 0.1-3 s each
LONG_EXAMPLES = int(os.environ.get("NTIB_LONG_EXAMPLES", CI_LONG_EXAMPLES))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="NTIB_HYPOTHESIS_EXAMPLES" not in os.environ,
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(case=cases())
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a numpy warning would reach the ntib user's terminal
def test_invariants_hold_after_every_step(case: Case) -> None:
    run_checked(case)


@settings(SETTINGS, max_examples=LONG_EXAMPLES)
@given(case=cases(max_years=100, full=True))
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_invariants_hold_over_the_full_ranges_for_up_to_a_century(case: Case) -> None:
    """Every lever, parameter (the speed-bound ones over their whole range), schedule, shock and adaptive mode,
    firm scales down to the smallest, 2-100 years: no crash, no NaN, money conserved, population within its
    limits. (Found so far: learning run away below a progress ratio of 0.7, primes buying components at
    thousands of times the price their bids assumed, a population of millions at the top entry rate.)"""
    run_checked(case)


def test_utilisation_stays_a_share_when_backlogs_drain() -> None:
    """Regression (found by the property test): deliveries were divided by the capacity after the quarter's
    shrinking, so utilisation reached 1.017 when demand stopped and backlogs drained."""
    case = Case({"name": "drained", "shocks": [{"kind": "demand", "at": 2025, "factor": 0.0}]},
                ("params.spinup_quarters=0",), 2, 0, 0.0078125)
    series = run_checked(case).timeseries()["utilisation"]
    assert series.max() <= 1.0 and series.iloc[-1] < series.iloc[0]


def test_whole_number_floats_run_as_integer_parameters() -> None:
    """Regression (found by the property test): params.lots=5.0 passed validation, then crashed the run."""
    model = run_checked(Case({"name": "floats"}, ("params.lots=5.0", "params.spinup_quarters=2.0",
                                                  "params.max_tenders=4.0"), 2, 0, 0.004))
    assert model.params.lots == 5 and model.ledger.gov_paid > 0


def test_integration_stays_a_share_when_components_cost_more_than_the_contract() -> None:
    """Regression: with 500 % component duties and offsets forcing lots abroad, primes paid more for
    components than their contracts were worth, the prime's country booked negative value and the
    integration index fell to -0.08."""
    levers = ("tariff_components=5", "tariff_metals=5", "offset_rate=3", "offset_threshold_bn=0")
    doc = {"name": "dear_components", **{code: {} for code in ("USA", "GBR")}}
    overrides = tuple(f"{code}.{lever}" for code in COUNTRIES for lever in levers)
    model = run_checked(Case(doc, (*overrides, "params.home_bias=0"), 2, 1, 0.004))
    assert model.ledger.tariff_revenue > 0 and model.ledger.flows.min() > -1e-9  # zero up to rounding


def test_a_run_goes_on_after_every_firm_has_exited() -> None:
    """Regression: with no markup, no cash buffer and one quarter's patience every firm exits, and
    procurement then crashed on the argmax of an empty sequence."""
    harsh = ("markup=0", "fixed_cost=0.5", "cash_buffer=0", "exit_quarters=1", "capex_cost=20", "entry_rate=0")
    model = run_checked(Case({"name": "extinction"}, tuple(f"params.{p}" for p in harsh), 4, 1, 0.004))
    assert not model.firms.active.any() and model.firms.n > 500 and model.ledger.tenders.sum() > 0


@pytest.mark.parametrize("scenario", ["status_quo", "america_first", "demand_surge"])
def test_invariants_hold_on_shipped_scenarios(scenario: str) -> None:
    model = NTIBModel(scenario, seed=3, years=3, firm_scale=0.008)
    checker = Checker(model)
    while model.running:
        model.step()
        checker(model)
    assert checker.steps == 12 and model.ledger.gov_paid > 0


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_vanishing_demand_shock_raises_no_numpy_warning() -> None:
    """Found by hypothesis: a demand factor of 5e-324 made contract values underflow to zero in the offset share."""
    shock = '[{ kind = "demand", at = 2025, quarters = 8, factor = 5e-324 }]'
    model = run_checked(Case({"name": "vanishing"}, (f"shocks={shock}",), 3, 1, 0.004))
    assert model.steps == 12


@pytest.mark.parametrize(("years", "firm_scale"), [(20, 0.012), (50, 0.0001)])
def test_money_is_conserved_with_dear_european_components_and_extreme_costs(years: int, firm_scale: float) -> None:
    """Regression (reported against an earlier version): 100 % EUR component duties under SAFE-only tenders,
    with capacity_decay 0.5, fixed_cost 0.5, component_share 0.95, no seeking primes, no metal content and one
    quarter of starting experience, booked tariffs of 5,097 in a quarter that paid 149, and at firm_scale
    0.0001 over 50 years firm receipts of -1.38e11. Every invariant, money first, must hold every quarter."""
    doc = {"name": "dear_eur_components", "extends": "status_quo",
           "EUR": {"tariff_components": 1.0, "safe_share": 1.0},
           "params": {"capacity_decay": 0.5, "fixed_cost": 0.5, "component_share": 0.95, "seek_prime": 0.0,
                      "metal_content": 0.0, "experience_quarters": 1.0}}
    model = run_checked(Case(doc, (), years, 1, firm_scale))
    led = model.ledger
    assert model.params.fixed_cost == 0.5 and model.steps == 4 * years
    assert led.firm_received > 0 and led.tariff_revenue < led.gov_paid


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_contract_with_almost_no_component_bill_raises_no_overflow_warning() -> None:
    """Found by the full-range property test: the share of a contract's component payments that moves between
    countries divided the receipt by a bill of almost nothing and overflowed (a numpy RuntimeWarning)."""
    doc = {"name": "tiny_bills", "extends": "status_quo", "alliance": {"ntib_members": ["USA", "GBR", "CAN"]},
           "budgets": {"growth": {"ROW": 0.0, "AUS": 0.4419637284933291, "USA": 0.9477873226980384, "EUR": 0,
                                  "GBR": 1.0}},
           "params": {"capacity_decay": 8.87981904634125e-309, "licence_cost_per_day": 0.007628377646916793}}
    overrides = ("NZL.codev_support=7.552147269662836e-95",
                 'NZL.adaptation={ threshold = 4.553246457543577, lag = 27, probability = 0, response = 0, mode = '
                 '"reciprocal", max_tariff = 0 }', "ROW.tariff_components=1.407665620259482", "params.codev_gain=1.0",
                 "params.capacity_decay=0")
    model = run_checked(Case(doc, overrides, 100, 497, 1e-05))
    assert model.steps == 400
