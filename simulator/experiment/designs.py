"""Experiment designs for sweeps: full grids, Latin hypercubes, Sobol' and Morris samples.

A design is a table of points (one row per point, one column per swept parameter,
named by its dotted scenario path).  The sampling itself comes from SALib; a grid is
the Cartesian product of evenly spaced levels.  Point counts (D = number of swept
parameters):

========  =======================================  ====================================
design    points                                    notes
========  =======================================  ====================================
grid      N1 x N2 x ... x ND                        N levels per parameter (PATH=LOW:HIGH:N)
lhs       N                                         SALib.sample.latin
sobol     N x (2D + 2)                              SALib.sample.sobol, second-order indices
morris    N x (D + 1)                               SALib.sample.morris, N trajectories, 4 levels
========  =======================================  ====================================

Integer parameters get whole-number values: grid levels are rounded (duplicates
dropped); the sampled designs draw from [LOW - 0.5, HIGH + 0.5] and round, so every
whole number in [LOW, HIGH] is equally likely.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..scenario import Resolved, ScenarioError
from ..scenario.loader import did_you_mean, numeric_paths
from ..scenario.schema import MAX_LEVELS

from .defaults import DEFAULT_LEVELS, DEFAULT_SAMPLES, DESIGNS  # noqa: F401  (re-exported)
MORRIS_LEVELS = 4
_DESIGN_KEY = 0x5EED   # spawn key of the design's random stream (tasks use (point, block))


@dataclass(frozen=True)
class ParamRange:
    """One swept parameter: ``PATH=LOW:HIGH[:N]``."""

    path: str
    low: float
    high: float
    levels: int | None = None      # grid levels (N); ignored by the sampled designs
    integer: bool = False

    def to_dict(self) -> dict:
        return {"path": self.path, "low": self.low, "high": self.high, "levels": self.levels,
                "integer": self.integer}

    def text(self) -> str:
        tail = f":{self.levels}" if self.levels is not None else ""
        return f"{self.path}={self.low!r}:{self.high!r}{tail}"


@dataclass
class Design:
    name: str
    params: list[ParamRange]
    samples: int | None
    points: pd.DataFrame                      # columns: parameter paths, in ``params`` order
    formula: str                              # how the point count follows from the inputs
    problem: dict = field(default_factory=dict)   # the SALib problem (for SALib.analyze)
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.params]

    def __len__(self) -> int:
        return len(self.points)

    def digest(self) -> str:
        """A hash of the point values (catches a design that a library update changed)."""
        arr = np.ascontiguousarray(self.points[self.paths].to_numpy(dtype=np.float64))
        return hashlib.sha256(arr.tobytes() + repr(self.paths).encode()).hexdigest()[:16]

    def describe(self) -> dict:
        return {"name": self.name, "samples": self.samples, "points": len(self),
                "formula": self.formula, "params": [p.to_dict() for p in self.params],
                "problem": self.problem, "digest": self.digest()}


# ----------------------------------------------------------------------------- parsing

def parse_param(text: str, resolved: Resolved, where: tuple[str, int | None] = ("--param", None),
                index: int = 1) -> ParamRange:
    """Parse and check ``PATH=LOW:HIGH[:N]`` against the scenario's parameters and bounds.

    Errors are :class:`ScenarioError` located at ``where`` (a file and line, or
    ``--param`` and the entry's position on the command line).
    """
    file, line = where
    line = index if line is None else line

    def fail(path: str, message: str):
        raise ScenarioError(file, line, path, message)

    text = str(text).strip()
    if "=" not in text:
        fail(text, "expected PATH=LOW:HIGH[:N]")
    path, spec = (s.strip() for s in text.split("=", 1))
    if path.endswith(".value"):
        path = path[: -len(".value")]
    if path not in resolved.params:
        if path in numeric_paths(resolved.data):
            fail(path, "not a sweepable parameter (sweeps vary the parameters under states, "
                       "theatres, policies and decision)")
        fail(path, f"unknown parameter{did_you_mean(path, resolved.params)}")
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        fail(path, f"expected LOW:HIGH or LOW:HIGH:N after '=', got {spec!r}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        fail(path, f"LOW and HIGH must be numbers, got {spec!r}")
    if not (math.isfinite(low) and math.isfinite(high)):
        fail(path, "LOW and HIGH must be finite numbers")
    levels = None
    if len(parts) == 3:
        try:
            levels = int(parts[2])
        except ValueError:
            fail(path, f"N (levels) must be a whole number, got {parts[2]!r}")
        if levels < 1:
            fail(path, f"N (levels) must be at least 1, got {levels}")
        if levels > MAX_LEVELS:
            fail(path, f"N (levels) must be at most {MAX_LEVELS:,}, got {levels:,}")
    if low > high:
        fail(path, f"LOW {low:g} is above HIGH {high:g}")
    if levels == 1 and low != high:
        fail(path, f"one level cannot cover {low:g}:{high:g}; give N >= 2, or LOW:LOW for a single value")
    lo, hi, integer = resolved.bounds.get(path, (-math.inf, math.inf, False))
    if low < lo or high > hi:
        fail(path, f"{low:g}:{high:g} goes outside the allowed [{lo:g}, {hi:g}]")
    if integer and (low != math.floor(low) or high != math.floor(high)):
        fail(path, f"a whole-number parameter: LOW and HIGH must be whole numbers, got {spec!r}")
    return ParamRange(path=path, low=low, high=high, levels=levels, integer=bool(integer))


def drawn_params(resolved: Resolved) -> list[ParamRange]:
    """Every parameter the scenario draws, each over its own range (``sensitivity --all``).

    Derived from the resolved scenario, never from a list: a parameter is drawn when it has a
    range with LOW < HIGH (``simulator.model.sampling.is_drawn``), structural ones included;
    a parameter fixed by ``--set`` or given a point range is left out.  Whole-number parameters
    keep the whole numbers inside their range.  Order: the scenario's parameter order.
    """
    from ..model.sampling import is_drawn
    out = []
    for path, spec in resolved.params.items():
        if not is_drawn(spec, False):
            continue
        low, high = (float(x) for x in spec.range)
        integer = bool(resolved.bounds.get(path, (0, 0, False))[2])
        if integer:
            low, high = float(math.ceil(low)), float(math.floor(high))
            if not high > low:
                continue
        out.append(ParamRange(path=path, low=low, high=high, integer=integer))
    return out


# ----------------------------------------------------------------------------- designs

def expected_points(design: str, params: list[ParamRange], samples: int | None) -> int:
    """The number of points a design will have (before integer de-duplication of grids)."""
    d = len(params)
    n = samples if samples is not None else DEFAULT_SAMPLES.get(design)
    if design == "grid":
        return int(np.prod([p.levels or DEFAULT_LEVELS for p in params]))
    if design == "lhs":
        return n
    if design == "sobol":
        return n * (2 * d + 2)
    if design == "morris":
        return n * (d + 1)
    raise ValueError(f"unknown design {design!r}")


def design_seed(seed: int) -> int:
    """The seed of the design's own random stream, derived from the sweep seed."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(_DESIGN_KEY,)).generate_state(1)[0])


def salib_problem(params: list[ParamRange]) -> dict:
    bounds = [[p.low - 0.5, p.high + 0.5] if p.integer else [p.low, p.high] for p in params]
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": bounds}


def build_design(params: list[ParamRange], design: str = "grid", samples: int | None = None,
                 seed: int = 0) -> Design:
    """The points of ``design`` over ``params`` (a pure function of its arguments)."""
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    if not params:
        raise ValueError("a sweep needs at least one --param")
    paths = [p.path for p in params]
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise ValueError(f"parameter given twice: {', '.join(dupes)}")
    notes: list[str] = []
    d = len(params)
    if design == "grid":
        axes = []
        for p in params:
            n = p.levels or DEFAULT_LEVELS
            levels = np.linspace(p.low, p.high, n) if p.high > p.low else np.array([p.low])
            if p.integer:
                levels = np.unique(np.rint(levels))
                if len(levels) < n:
                    notes.append(f"{p.path}: whole-number parameter; {n} levels over "
                                 f"{p.low:g}..{p.high:g} give {len(levels)} distinct values")
            axes.append(levels)
        if samples is not None:
            notes.append(f"--samples ({samples}) is used by lhs, sobol and morris; the grid uses N levels "
                         f"per parameter (PATH=LOW:HIGH:N)")
        mesh = np.meshgrid(*axes, indexing="ij")
        values = np.column_stack([m.ravel() for m in mesh])
        formula = (f"{len(values)} levels" if len(axes) == 1 else
                   " x ".join(str(len(a)) for a in axes) + f" = {len(values)} (levels per parameter)")
        return Design("grid", list(params), None, _frame(values, paths, params), formula, {}, notes)

    n = int(samples if samples is not None else DEFAULT_SAMPLES[design])
    if n < 1:
        raise ValueError("--samples must be at least 1")
    flat = [p.path for p in params if not p.high > p.low]
    if flat:
        raise ValueError(f"{design} needs LOW < HIGH for every parameter ({', '.join(flat)})")
    if any(p.levels is not None for p in params):
        notes.append(f"N (levels) in PATH=LOW:HIGH:N is used by the grid design only; {design} "
                     f"uses --samples ({n})")
    problem = salib_problem(params)
    rng_seed = design_seed(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if design == "lhs":
            from SALib.sample import latin
            values = latin.sample(problem, n, seed=rng_seed)
            formula = f"N = {n}"
        elif design == "sobol":
            from SALib.sample import sobol
            values = sobol.sample(problem, n, calc_second_order=True, scramble=True, seed=rng_seed)
            formula = f"N x (2D + 2) = {n} x (2*{d} + 2) = {len(values)}"
        else:
            from SALib.sample import morris
            values = morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=rng_seed)
            formula = f"N x (D + 1) = {n} x ({d} + 1) = {len(values)} ({MORRIS_LEVELS} levels)"
    for w in caught:
        msg = str(w.message)
        if msg not in notes:
            notes.append(f"SALib: {msg}")
    values = np.asarray(values, dtype=np.float64)
    return Design(design, list(params), n, _frame(values, paths, params), formula, problem, notes)


def _frame(values: np.ndarray, paths: list[str], params: list[ParamRange]) -> pd.DataFrame:
    out = {}
    for j, (path, p) in enumerate(zip(paths, params)):
        col = values[:, j].astype(np.float64)
        if p.integer:
            col = np.clip(np.rint(col), p.low, p.high)
        else:
            col = np.clip(col, p.low, p.high)
        out[path] = col
    return pd.DataFrame(out)
