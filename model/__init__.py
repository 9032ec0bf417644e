"""Agent-based model of the Five Eyes defence industrial base under configurable protectionism rules."""

from model.policy.scenario import load_scenario, scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE, NTIBModel

__all__ = ["DEFAULT_FIRM_SCALE", "NTIBModel", "load_scenario", "scenario_names"]
__version__ = "0.1.0"
