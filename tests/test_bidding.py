"""Unit tests of the bid rule (model.market.bidding) on tiny hand-built firm tables, with exact expected numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.common.countries import PRIME
from model.market.bidding import bid_score, lateness, lead_quarters, prime_cost, prime_unit_price
from model.market.firms import FirmTable
from model.policy.params import Params


def primes(unit_cost: list[float], comp_price: list[float]) -> FirmTable:
    """A table of active primes with the given own unit costs and landed component prices."""
    n = len(unit_cost)
    table = FirmTable(reserve=4)
    table.add(country=np.zeros(n), sector=np.zeros(n), tier=np.full(n, PRIME), active=np.ones(n, dtype=bool),
              quality=np.ones(n), unit_cost=np.array(unit_cost), comp_price=np.array(comp_price))
    return table


def score(quality=1.0, price=1.0, penalty=0.0, late=0.0, noise=0.0, params=None) -> float:
    """bid_score of one offer, as a float."""
    params = params or Params(bid_noise=0.0)
    return float(bid_score(np.array(quality), np.array(price), penalty, np.array(late), np.array(noise), params))


def test_prime_cost_blends_own_work_and_landed_components():
    """prime_cost = (1 - k) * unit_cost + k * comp_price, row by row."""
    table = primes([2.0, 4.0, 1.0], [3.0, 1.0, 1.0])
    rows = np.array([0, 1, 2])
    np.testing.assert_allclose(prime_cost(table, rows, 0.45), [0.55 * 2 + 0.45 * 3, 0.55 * 4 + 0.45 * 1, 1.0])
    np.testing.assert_allclose(prime_cost(table, rows, 0.45), [2.45, 2.65, 1.0])
    # the extremes of the share: all own work, all components
    np.testing.assert_allclose(prime_cost(table, rows, 0.0), [2.0, 4.0, 1.0])
    np.testing.assert_allclose(prime_cost(table, rows, 1.0), [3.0, 1.0, 1.0])


def test_prime_cost_reads_only_the_requested_rows():
    """Rows select firms (any order, repeats allowed)."""
    table = primes([2.0, 4.0], [3.0, 1.0])
    np.testing.assert_allclose(prime_cost(table, np.array([1, 0, 1]), 0.5), [2.5, 2.5, 2.5])
    np.testing.assert_allclose(prime_cost(table, np.array([1]), 0.25), [0.75 * 4 + 0.25 * 1])


def test_prime_unit_price_adds_the_markup_to_the_prime_cost():
    """prime_unit_price = prime_cost(component_share) * (1 + markup)."""
    table = primes([2.0, 4.0], [3.0, 1.0])
    rows = np.array([0, 1])
    params = Params(component_share=0.45, markup=0.10)
    np.testing.assert_allclose(prime_unit_price(table, rows, params), [2.45 * 1.1, 2.65 * 1.1])
    params = Params(component_share=0.5, markup=0.25)
    np.testing.assert_allclose(prime_unit_price(table, rows, params), [2.5 * 1.25, 2.5 * 1.25])
    np.testing.assert_allclose(prime_unit_price(table, rows, Params(markup=0.0)),
                               prime_cost(table, rows, Params().component_share))


def test_lead_quarters_is_work_in_hand_plus_the_order_over_capacity():
    """lead = (backlog + new units) / usable capacity, elementwise and broadcasting (tenders x firms)."""
    np.testing.assert_allclose(lead_quarters(np.array([10.0, 0.0, 3.0]), np.array([2.0, 8.0, 0.0]),
                                             np.array([4.0, 2.0, 0.5])), [3.0, 4.0, 6.0])
    backlog = np.array([[0.0, 6.0]])  # one row of firms
    new = np.array([[2.0], [4.0]])  # two tenders
    np.testing.assert_allclose(lead_quarters(backlog, new, np.array([[2.0, 5.0]])), [[1.0, 1.6], [2.0, 2.0]])


def test_lateness_is_zero_up_to_the_reference_then_linear():
    """lateness = lead_time_weight * max(lead - lead_time_ref, 0)."""
    params = Params(lead_time_ref=4.0, lead_time_weight=0.15)
    lead = np.array([0.0, 2.0, 4.0, 5.0, 10.0])
    np.testing.assert_allclose(lateness(lead, params), [0.0, 0.0, 0.0, 0.15, 0.9])
    # each extra quarter beyond the reference adds exactly lead_time_weight
    steps = np.diff(lateness(np.array([4.0, 5.0, 6.0, 7.0]), params))
    np.testing.assert_allclose(steps, [0.15, 0.15, 0.15])
    # another reference and weight
    np.testing.assert_allclose(lateness(np.array([1.0, 2.0, 3.5]), Params(lead_time_ref=2.0, lead_time_weight=0.4)),
                               [0.0, 0.0, 0.6])
    # a zero weight never penalises
    assert lateness(np.array([100.0]), Params(lead_time_weight=0.0))[0] == 0.0


def test_bid_score_closed_form_without_noise():
    """With bid_noise = 0 the score is quality_weight*log(q) - log(p*(1+penalty)*(1+late)), whatever the noise."""
    params = Params(bid_noise=0.0, quality_weight=1.5)
    expected = 1.5 * math.log(1.2) - math.log(2.0 * 1.1 * 1.15)
    assert expected == pytest.approx(-0.65474, abs=1e-5)  # by hand: 0.27348 - 0.92822
    assert score(1.2, 2.0, 0.1, 0.15, noise=0.7, params=params) == pytest.approx(expected, rel=1e-12)
    assert score(1.2, 2.0, 0.1, 0.15, noise=-3.0, params=params) == pytest.approx(expected, rel=1e-12)
    # a neutral offer scores 0
    assert score(1.0, 1.0, 0.0, 0.0, params=params) == 0.0


def test_higher_quality_raises_the_score_by_quality_weight_times_the_log_ratio():
    """score(q2) - score(q1) = quality_weight * log(q2 / q1), other terms fixed."""
    for weight in (0.0, 1.5, 3.0):
        params = Params(bid_noise=0.0, quality_weight=weight)
        low = score(0.8, 1.3, 0.2, 0.1, params=params)
        high = score(1.25, 1.3, 0.2, 0.1, params=params)
        assert high - low == pytest.approx(weight * math.log(1.25 / 0.8))
    assert score(1.25) > score(0.8)


def test_price_penalty_and_lateness_each_lower_the_score_by_their_log():
    """The evaluated price enters as -log: doubling the price costs log 2; penalty and lateness multiply it."""
    base = score(1.0, 1.0, 0.0, 0.0)
    assert score(1.0, 2.0) - base == pytest.approx(-math.log(2.0))
    assert score(1.0, 1.0, penalty=0.5) - base == pytest.approx(-math.log(1.5))
    assert score(1.0, 1.0, late=0.3) - base == pytest.approx(-math.log(1.3))
    # penalty and lateness compound multiplicatively, not additively
    assert score(1.0, 1.0, 0.5, 0.3) == pytest.approx(-math.log(1.5 * 1.3))
    # and each is strictly worse than the offer without it
    assert score(1.0, 1.1) < base
    assert score(1.0, 1.0, penalty=0.01) < base
    assert score(1.0, 1.0, late=0.01) < base


def test_a_penalty_equals_the_same_rise_in_price():
    """A preference margin m is exactly as bad as a price (1 + m) times higher: it is an evaluated-price penalty."""
    assert score(1.1, 2.0, penalty=0.35) == pytest.approx(score(1.1, 2.0 * 1.35))


def test_noise_term_scales_with_bid_noise():
    """The score adds bid_noise * noise: zero noise scale removes it, and the shift is linear in both."""
    quiet = score(1.1, 1.4, 0.2, 0.05, noise=0.0, params=Params(bid_noise=0.15))
    for sd in (0.0, 0.15, 0.6, 2.0):
        params = Params(bid_noise=sd)
        for z in (-1.5, 0.0, 0.8):
            assert score(1.1, 1.4, 0.2, 0.05, noise=z, params=params) - quiet == pytest.approx(sd * z)


def test_bid_score_broadcasts_over_tenders_and_firms():
    """A tenders x firms matrix is scored elementwise, with a scalar penalty allowed."""
    params = Params(bid_noise=0.5, quality_weight=2.0)
    quality = np.array([[1.0, 2.0]])
    price = np.array([[1.0, 4.0], [2.0, 1.0]])
    noise = np.array([[0.0, 1.0], [-1.0, 0.0]])
    got = bid_score(quality, price, 0.0, np.zeros((2, 2)), noise, params)
    expected = np.array([[0.0, 2 * math.log(2) - math.log(4) + 0.5], [-math.log(2) - 0.5, 2 * math.log(2)]])
    np.testing.assert_allclose(got, expected, atol=1e-12)
