"""mesa.batch_run across mesa 3.3 (seeds as a model parameter) and 3.5 (seeds via ``rng=``)."""

from __future__ import annotations

import inspect
from typing import Any, Iterable

import mesa


def batch_run_seeds(model_cls, parameters: dict[str, Any], seeds: Iterable[int], **kwargs) -> list[dict]:
    """Run ``mesa.batch_run`` once per seed (and parameter combination), on any mesa 3.x."""
    seeds = list(seeds)
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        return mesa.batch_run(model_cls, parameters=parameters, rng=seeds, **kwargs)
    return mesa.batch_run(model_cls, parameters={**parameters, "seed": seeds}, iterations=1, **kwargs)
