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


#: The named random stream from which each replicate draws its posterior row (no parameter path
#: is without a dot, so it is nobody's parameter stream).
POSTERIOR_STREAM = "posterior"


def posterior_rows(cumulative: np.ndarray, seed: int, n: int, offset: int = 0) -> np.ndarray:
    """The posterior row of replicates offset..offset+n-1: row k with probability weight_k / sum.

    ``cumulative`` is the running sum of the rows' weights.  A uniform draw from the named
    stream POSTERIOR_STREAM picks the first row whose running sum exceeds it (so a row of weight
    zero is never picked), and replicate i gets the same row whatever the batch it runs in.
    """
    u = param_uniforms(seed, POSTERIOR_STREAM, n, offset)
    rows = np.searchsorted(cumulative, u * cumulative[-1], side="right")
    last = int(np.flatnonzero(np.diff(np.concatenate(([0.0], cumulative))) > 0)[-1])
    return np.minimum(rows, last)


def draw_parameters(params: dict[str, ParamSpec], n: int, seed: int, *, fixed: bool = False,
                    offset: int = 0, posterior=None, keep: frozenset = frozenset()) -> dict[str, np.ndarray]:
    """Per-replicate values (shape (n,)) for every parameter.

    A parameter with a range is drawn from it (triangular with its mode at the
    point value, or uniform); with ``fixed`` or without a range every replicate
    gets the point value.  Each parameter has its own random stream, so adding or
    fixing one parameter leaves the draws of the others unchanged.

    With a ``posterior`` (``columns``: path -> values per row, ``cumulative``: running sum of
    the rows' weights), each replicate draws one row (:func:`posterior_rows`) and every
    parameter it holds takes that row's value, except those in ``keep`` (fixed by an override);
    the others keep their draw.  Without one, the draws are exactly those above.
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
    if posterior is not None:
        rows = posterior_rows(posterior.cumulative, seed, n, offset)
        for path, values in posterior.columns.items():
            if path in out and path not in keep:
                out[path] = values[rows]
    return out


def is_drawn(spec: ParamSpec, fixed: bool) -> bool:
    return not fixed and spec.range is not None and spec.range[0] < spec.range[1]
