"""The posterior over the behavioural parameters that `make calibration` learns and ships with the package
(model/data/posterior.csv, weighted particles, with the manifest posterior.json): loaded, summarised and drawn
from, so every run engine and report uses the same draws for the same master seed.

A draw is a tuple of `params.NAME=VALUE` overrides, the form every scenario, sweep and the CLI already take.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from model.common.errors import InputError
from model.policy.params import Params
from model.policy.priors import priors

POSTERIOR_FILE = "posterior.csv"
MANIFEST_FILE = "posterior.json"
WEIGHT = "weight"


@dataclass(frozen=True)
class Posterior:
    """Weighted particles: `values[i, j]` is particle i's value of `names[j]`; weights sum to 1."""

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    manifest: dict

    def mean(self) -> dict[str, float]:
        return dict(zip(self.names, self.weights @ self.values))

    def sd(self) -> dict[str, float]:
        centred = self.values - self.weights @ self.values
        return dict(zip(self.names, np.sqrt(self.weights @ centred**2)))

    def draws(self, n: int, master_seed: int) -> list[tuple[str, ...]]:
        """`n` particles drawn with replacement by weight, as overrides; draw i is the same whatever `n` is (each
        comes from its own child of the master seed), so designs can grow like the common seeds do."""
        rows = [np.random.default_rng(child).choice(len(self.weights), p=self.weights)
                for child in np.random.SeedSequence([master_seed, 1]).spawn(n)]
        return [self.overrides(int(row)) for row in rows]

    def overrides(self, row: int) -> tuple[str, ...]:
        return tuple(f"params.{name}={value!r}" for name, value in zip(self.names, self.values[row].tolist()))


def read_posterior(text: str, manifest: dict) -> Posterior:
    """Parse a posterior file (CSV: one column per parameter and a weight column) and check it against the
    priors: every column a calibrated parameter, every value inside its prior, weights positive."""
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or WEIGHT not in rows[0]:
        raise InputError(f"{POSTERIOR_FILE}: expected a header with the parameters and {WEIGHT!r}, and particles")
    names = tuple(k for k in rows[0] if k != WEIGHT)
    known = priors()
    if unknown := [n for n in names if n not in known]:
        raise InputError(f"{POSTERIOR_FILE}: {', '.join(unknown)} have no prior in priors.toml")
    values = np.array([[float(r[n]) for n in names] for r in rows])
    weights = np.array([float(r[WEIGHT]) for r in rows])
    low, high = np.array([known[n].low for n in names]), np.array([known[n].high for n in names])
    if not (np.all(np.isfinite(values)) and np.all((values >= low) & (values <= high))):
        raise InputError(f"{POSTERIOR_FILE}: a particle lies outside its prior")
    if not (np.all(weights > 0) and np.isfinite(weights.sum())):
        raise InputError(f"{POSTERIOR_FILE}: weights must be positive")
    return Posterior(names, values, weights / weights.sum(), manifest)


@cache
def posterior() -> Posterior:
    """The shipped posterior; a one-line InputError if this installation has none yet (run `make calibration`)."""
    folder = resources.files("model.data")
    try:
        text = folder.joinpath(POSTERIOR_FILE).read_text(encoding="utf-8")
        manifest = json.loads(folder.joinpath(MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no posterior in model/data/{POSTERIOR_FILE}; `make calibration` builds it") from None
    return read_posterior(text, manifest)


def default_point() -> dict[str, float]:
    """The parameter values Params() holds, for the calibrated names (what the posterior is compared with)."""
    base = Params()
    return {name: float(getattr(base, name)) for name in priors()}
