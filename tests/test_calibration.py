"""status_quo meets each calibration target, over ten seeds, within the band docs/calibration.md states."""

import numpy as np
import pytest

from model import NTIBModel
from model.data.country_data import country_data
from model.metrics.calibration import target_values


@pytest.mark.slow
def test_status_quo_meets_the_calibration_targets():
    values = [target_values(NTIBModel("status_quo", seed=s, years=20).run()) for s in range(1, 11)]
    for key, target in country_data().targets.items():
        mean = np.mean([v[key] for v in values])
        assert target["low"] <= mean <= target["high"], f"{key}: {mean:.3f} outside {target['low']}-{target['high']}"
