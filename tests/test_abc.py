"""The calibration machinery (model/runs/calibration.py, model/policy/priors.py, model/policy/posterior.py):
ABC recovers a known posterior, resumes from its database, and posterior draws are reproducible."""

import math

import numpy as np
import pytest

from model.common.errors import InputError
from model.data.patterns import patterns
from model.policy.params import Params
from model.policy.posterior import Posterior, read_posterior
from model.policy.priors import priors
from model.runs.calibration import MISSING, BandDistance, Budget, abc_rejection, half_bands, observed

NOISE = 0.2


def noisy_mean(parameters):
    """y = mu + N(0, NOISE): under a flat prior the posterior of mu given y is N(y, NOISE)."""
    return {"y": parameters["mu"] + NOISE * np.random.default_rng().normal()}


def weighted_moments(particles):
    weights = particles["weight"].to_numpy()
    values = particles["mu"].to_numpy()
    mean = float(weights @ values)
    return mean, float(np.sqrt(weights @ (values - mean) ** 2))


def test_abc_rejection_recovers_a_known_posterior(tmp_path):
    result = abc_rejection(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, tmp_path / "toy.db",
                           Budget(simulations=6000, keep=0.05, batch=1000), progress=False)
    mean, sd = weighted_moments(result.particles)
    assert len(result.particles) == 300 and result.simulations == 6000
    assert result.epsilon < 0.15
    assert abs(mean - 0.5) < 0.05
    assert 0.15 < sd < 0.25  # NOISE, widened a little by epsilon


def test_a_second_session_resumes_after_the_stored_batches(tmp_path):
    database = tmp_path / "toy.db"
    first = abc_rejection(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                          Budget(simulations=600, keep=0.1, batch=200), progress=False)
    second = abc_rejection(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                           Budget(simulations=1500, keep=0.1, batch=200), progress=False)
    assert (first.resumed_from, first.simulations) == (0, 600)
    assert (second.resumed_from, second.simulations) == (600, 1500)
    assert len(second.particles) == 150 and second.epsilon <= first.epsilon * 1.5
    again = abc_rejection(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                          Budget(simulations=1500, keep=0.1, batch=200), progress=False)
    assert again.simulations == 1500 and again.particles.equals(second.particles)  # nothing more is run


def test_the_pool_sampler_recovers_the_posterior(tmp_path):
    result = abc_rejection(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, tmp_path / "pool.db",
                           Budget(simulations=1000, keep=0.1, batch=500), workers=2, progress=False)
    mean, _ = weighted_moments(result.particles)
    assert result.simulations == 1000 and abs(mean - 0.5) < 0.12


def test_the_distance_is_in_half_bands():
    distance = BandDistance((("a", 0.5), ("b", 2.0)))
    assert distance({"a": 1.5, "b": 2.0}, {"a": 1.0, "b": 0.0}) == pytest.approx(1.0)  # both at a band edge
    assert distance({"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 0.0}) == 0.0
    assert distance({"a": math.nan, "b": 0.0}, {"a": 1.0, "b": 0.0}) == pytest.approx(MISSING / math.sqrt(2))


def test_the_statistics_are_every_level_pattern_in_the_first_and_last_five_years():
    levels = [p for p in patterns().values() if p.kind == "levels"]
    assert len(observed()) == 2 * len(levels) == len(half_bands())
    assert observed()["us_foreign_share@last"] == patterns()["us_foreign_share"].value


def test_every_prior_is_inside_its_parameter_range_and_holds_its_value_before_calibration():
    defaults = Params()
    for name, prior in priors().items():
        assert prior.low <= getattr(defaults, name) <= prior.high, name
        Params(**{name: prior.low})
        Params(**{name: prior.high})
        assert prior.basis


def posterior_of(values, weights):
    names = tuple(priors())[:2]
    return Posterior(names, np.array(values, dtype=float), np.array(weights, dtype=float), {})


def test_posterior_draws_are_reproducible_from_the_master_seed_and_grow_like_seeds():
    lows = [priors()[n].low for n in tuple(priors())[:2]]
    post = posterior_of([[lows[0], lows[1]], [lows[0] * 1.1, lows[1] + 0.1], [lows[0] * 1.2, lows[1] + 0.2]],
                        [0.2, 0.3, 0.5])
    assert post.draws(20, 7) == post.draws(20, 7)
    assert post.draws(30, 7)[:20] == post.draws(20, 7)
    assert post.draws(20, 7) != post.draws(20, 8)
    counts = {}
    for draw in post.draws(4000, 1):
        counts[draw] = counts.get(draw, 0) + 1
    shares = sorted(c / 4000 for c in counts.values())
    assert shares == pytest.approx([0.2, 0.3, 0.5], abs=0.03)  # drawn by weight
    assert all(o.startswith("params.") for o in post.draws(1, 1)[0])


def test_a_posterior_file_outside_its_priors_is_refused():
    name = next(iter(priors()))
    high = priors()[name].high
    with pytest.raises(InputError, match="outside its prior"):
        read_posterior(f"{name},weight\n{high * 2},1\n", {})
    with pytest.raises(InputError, match="no prior"):
        read_posterior("not_a_parameter,weight\n1,1\n", {})
    assert read_posterior(f"{name},weight\n{high},2\n{high},2\n", {}).weights.tolist() == [0.5, 0.5]


def test_the_shipped_posterior_loads_its_draws_are_valid_parameters_and_its_manifest_says_how_it_was_made():
    from model.policy.posterior import posterior

    post = posterior()
    assert set(post.names) == set(priors())
    assert len(post.weights) >= 50 and post.weights.sum() == pytest.approx(1.0)
    for draw in post.draws(5, 2025):
        Params(**{o.split("=")[0].removeprefix("params."): float(o.split("=")[1]) for o in draw})
    manifest = post.manifest
    assert manifest["data"] == observed() and manifest["simulations"] == manifest["budget"]["simulations"]
    assert manifest["commit"] and manifest["epsilon"] > 0
