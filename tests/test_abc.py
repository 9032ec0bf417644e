"""The calibration machinery (model/runs/calibration.py, model/policy/priors.py, model/policy/posterior.py):
ABC-SMC recovers a known posterior, resumes from its database, and posterior draws are reproducible."""

import math

import numpy as np
import pytest

from model.common.errors import InputError
from model.data.patterns import patterns
from model.policy.params import Params
from model.policy.posterior import Posterior, read_posterior
from model.policy.priors import priors
from model.runs.calibration import MISSING, BandDistance, Budget, abc_smc, half_bands, observed

NOISE = 0.2


def noisy_mean(parameters):
    """y = mu + N(0, NOISE): under a flat prior the posterior of mu given y is N(y, NOISE)."""
    return {"y": parameters["mu"] + NOISE * np.random.default_rng().normal()}


def weighted_moments(particles):
    weights = particles["weight"].to_numpy()
    values = particles["mu"].to_numpy()
    mean = float(weights @ values)
    return mean, float(np.sqrt(weights @ (values - mean) ** 2))


def test_abc_smc_recovers_a_known_posterior(tmp_path):
    result = abc_smc(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, tmp_path / "toy.db",
                     Budget(population=300, simulations=4000), progress=False)
    mean, sd = weighted_moments(result.particles)
    assert result.generations[-1].epsilon < 0.15
    assert abs(mean - 0.5) < 0.06
    assert 0.15 < sd < 0.28  # NOISE, widened a little by the last epsilon


def test_a_second_session_resumes_after_the_stored_populations(tmp_path):
    database = tmp_path / "toy.db"
    first = abc_smc(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                    Budget(population=100, simulations=600), progress=False)
    second = abc_smc(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                     Budget(population=100, simulations=1500), progress=False)
    assert first.resumed_from == 0
    assert second.resumed_from == len(first.generations)
    assert 1500 >= second.simulations > first.simulations
    assert second.generations[: len(first.generations)] == first.generations
    assert second.generations[-1].epsilon < first.generations[-1].epsilon
    again = abc_smc(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, database,
                    Budget(population=100, simulations=1500), progress=False)
    assert again.generations == second.generations  # budget spent: nothing more is run


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


def test_the_pool_sampler_recovers_the_posterior_and_stops_at_its_budget(tmp_path):
    result = abc_smc(noisy_mean, {"mu": (-2.0, 2.0)}, {"y": 0.5}, {"y": 1.0}, tmp_path / "pool.db",
                     Budget(population=100, simulations=1200), workers=2, progress=False)
    mean, sd = weighted_moments(result.particles)
    assert abs(mean - 0.5) < 0.1 and sd < 0.5
    assert result.simulations <= 1200  # a population the budget cuts short is not kept, and not overrun
