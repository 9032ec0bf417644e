"""The calibration's priors (model/data/priors.toml): a uniform range for each calibrated behavioural parameter,
checked against the parameter's allowed range, so a prior can never propose a value the model refuses."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

from model.policy.params import Params


@dataclass(frozen=True)
class Prior:
    """Uniform from `low` to `high`; `basis` says where the range comes from."""

    name: str
    low: float
    high: float
    basis: str

    @property
    def width(self) -> float:
        return self.high - self.low


@cache
def priors() -> dict[str, Prior]:
    """Every calibrated parameter's prior, in file order; refused if a name is not a real-valued parameter, or
    a range is empty, outside the allowed range or excludes the parameter's value before calibration."""
    raw = tomllib.loads(resources.files("model.data").joinpath("priors.toml").read_text(encoding="utf-8"))
    allowed = {f.name: f for f in fields(Params)}
    out = {}
    for name, entry in raw.items():
        spec = allowed.get(name)
        if spec is None or isinstance(spec.default, int):
            raise ValueError(f"priors.toml: {name} is not a real-valued parameter of model/policy/params.py")
        low, high = spec.metadata["range"]
        prior = Prior(name, float(entry["low"]), float(entry["high"]), str(entry["basis"]))
        if not low <= prior.low < prior.high <= high:
            raise ValueError(f"priors.toml: {name} {prior.low} to {prior.high} must be a range inside {low} to {high}")
        out[name] = prior
    return out
