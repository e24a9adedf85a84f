"""Scenario layer: read YAML, resolve ``extends`` and overrides, validate."""

from .errors import ScenarioError
from .loader import Resolved, load_scenario, load_scenario_data, parse_override, resolve_data

__all__ = ["ScenarioError", "Resolved", "load_scenario", "load_scenario_data", "parse_override",
           "resolve_data"]
