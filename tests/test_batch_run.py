"""mesa.batch_run runs NTIBModel by seed: the seeds listed in `parameters` (or given as Mesa's `rng`) are the
runs' seeds, recorded in every row, and the same call gives the same rows."""

import json

import mesa
import pytest

from model import NTIBModel
from model.common.errors import InputError

TINY = {"years": 1, "firm_scale": 0.004}


def batch(**options) -> list[dict]:
    return mesa.batch_run(NTIBModel, number_processes=1, display_progress=False, **options)


def test_batch_run_honours_and_records_the_seeds_and_repeats_exactly():
    parameters = {"scenario": ["status_quo", "full_ntib"], "seed": [1, 2], **TINY}
    first, second = batch(parameters=parameters), batch(parameters=parameters)
    assert json.dumps(first, sort_keys=True, default=str) == json.dumps(second, sort_keys=True, default=str)
    assert [(row["scenario"], row["seed"], row["Step"]) for row in first] == [
        ("status_quo", 1, 4), ("status_quo", 2, 4), ("full_ntib", 1, 4), ("full_ntib", 2, 4)]
    by_seed = {row["seed"]: row["integration_index"] for row in first if row["scenario"] == "status_quo"}
    assert by_seed[1] != by_seed[2]
    for seed, value in by_seed.items():  # each row is the run NTIBModel gives for its seed
        alone = NTIBModel("status_quo", seed=seed, **TINY).run().datacollector.get_model_vars_dataframe()
        assert value == alone["integration_index"].iloc[-1]


def test_mesas_rng_names_the_same_seeds():
    by_parameter = batch(parameters={"seed": [1, 2], **TINY})
    by_rng = batch(parameters=TINY, rng=[1, 2])
    assert [row["rng"] for row in by_rng] == [1, 2]
    assert [row["integration_index"] for row in by_rng] == [row["integration_index"] for row in by_parameter]


def test_without_a_seed_a_run_has_seed_1():
    assert NTIBModel(**TINY).seed == 1 and NTIBModel(rng=None, **TINY).seed == 1


@pytest.mark.parametrize(("options", "error", "fragment"), [
    ({"seed": 1, "rng": 2}, InputError, "two names for the one seed"),
    ({"seed": -1}, InputError, "expected a whole number from 0"),
    ({"seed": 1.5}, InputError, "expected a whole number from 0"),
    ({"sed": 1}, TypeError, "unexpected keyword argument 'sed'"),
])
def test_a_wrong_seed_or_keyword_is_refused(options, error, fragment):
    with pytest.raises(error, match=fragment):
        NTIBModel(**TINY, **options)
