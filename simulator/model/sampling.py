"""Draw each replicate's parameter values from the scenario's ranges."""

from __future__ import annotations

import numpy as np

from ..scenario.schema import ParamSpec
from .rng import param_uniforms


def triangular_ppf(u: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return np.full_like(u, lo)
    c = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
    return np.where(u < c, left, right)


def draw_parameters(params: dict[str, ParamSpec], n: int, seed: int, *, fixed: bool = False,
                    offset: int = 0) -> dict[str, np.ndarray]:
    """Per-replicate values (shape (n,)) for every parameter.

    A parameter with a range is drawn from it (triangular with its mode at the
    point value, or uniform); with ``fixed`` or without a range every replicate
    gets the point value.  Each parameter has its own random stream, so adding or
    fixing one parameter leaves the draws of the others unchanged.
    """
    out: dict[str, np.ndarray] = {}
    for path, spec in params.items():
        if fixed or spec.range is None or spec.range[0] == spec.range[1]:
            out[path] = np.full(n, spec.value, dtype=float)
            continue
        lo, hi = spec.range
        u = param_uniforms(seed, path, n, offset)
        if spec.distribution == "uniform":
            out[path] = lo + u * (hi - lo)
        else:
            out[path] = triangular_ppf(u, lo, spec.value, hi)
    return out


def is_drawn(spec: ParamSpec, fixed: bool) -> bool:
    return not fixed and spec.range is not None and spec.range[0] < spec.range[1]
