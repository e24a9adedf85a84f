"""Sweep plans and tasks: a design of points, each run as R replicates, split into tasks.

The types that the executors and the results store share with ``sweep.run_sweep`` live here,
a layer below them, so that no import cycle joins the three modules.

A task is (design point, block of replicates).  Its seed is derived before dispatch
from ``SeedSequence(seed, spawn_key=(point, block))``, so results depend on (scenario,
design, runs, block size, seed) only: not on the executor, the number of workers or the
order in which tasks finish.  A task returns one row of per-block aggregates (counts,
means and sums of squared deviations), never per-replicate data, so memory stays
bounded whatever the number of runs.  Blocks are merged in (point, block) order, so the
per-point results are identical bit for bit however the tasks were executed, and
whether or not the sweep was interrupted and resumed.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..model.decisions import N_RUNGS
from ..model.model import AxisModel
from ..scenario import Resolved, ScenarioError, resolve_data
from ..scenario.schema import MAX_POINTS
from .defaults import DEFAULT_BLOCK  # noqa: F401  (replicates per task; re-exported)
from .designs import Design, ParamRange, build_design, expected_points
from .ensemble import posterior_params

MAX_TASKS = 2_000_000    # tasks of one sweep (each is a file in the store)

#: 0/1 outcomes: a task reports how many replicates had them.
BINARY = ("china_stays", "china_weapons", "china_weapons_ever", "broad_sanctions", "dropped",
          "china_stays_throughout", "china_breaks_ever", "china_iran_stays", "china_nk_stays")
#: Continuous (or ordinal) outcomes: a task reports their mean and sum of squared deviations.
CONTINUOUS = ("china_rung", "china_iran_rung", "china_nk_rung", "axis_cohesion", "front",
              "escalation", "tension", "china_cost", "china_months_below")
TASK_COLUMNS = (["point", "block", "start", "replicates", "seed"]
                + [f"{b}_count" for b in BINARY] + ["first_drop_month_sum"]
                + [f"china_rung_{k}_count" for k in range(N_RUNGS)]
                + [c for name in CONTINUOUS for c in (f"{name}_mean", f"{name}_m2")])


@dataclass
class SweepSpec:
    """What to sweep (from the command line and/or the scenario's ``sweep:`` block)."""

    params: list[ParamRange]
    design: str = "grid"
    samples: int | None = None
    runs: int = 1000
    seed: int = 0
    block: int = DEFAULT_BLOCK
    fixed: bool = False
    #: "common": replicate i of every point draws the same random numbers (those of replicate i
    #: of ``run --seed S``); "independent": each (point, block) has a stream of its own.
    streams: str = "common"


STREAMS = ("common", "independent")


@dataclass(frozen=True)
class Task:
    point: int
    block: int
    start: int               # index of the block's first replicate within its point
    replicates: int
    seed: int
    values: tuple            # ((path, value), ...) of the design point
    offset: int = 0          # the model's first replicate index (= start with common streams)

    @property
    def name(self) -> str:
        return task_name(self.point, self.block)


@dataclass(frozen=True)
class SweepContext:
    """What a worker needs besides the task: the resolved base scenario (plain data)."""

    data: dict
    file: str
    key: str
    fixed: bool = False
    posterior: object | None = None      # simulator.scenario.posterior.Posterior, or None: prior ranges


@dataclass
class SweepPlan:
    resolved: Resolved
    spec: SweepSpec
    design: Design
    overrides: list[str]
    tasks: list[Task]
    scenario_hash: str
    posterior: object | None = None      # simulator.scenario.posterior.Posterior, or None: prior ranges

    @property
    def points(self) -> int:
        return len(self.design)

    @property
    def total_runs(self) -> int:
        return self.points * self.spec.runs

    @property
    def blocks_per_point(self) -> int:
        return -(-self.spec.runs // self.spec.block)

    def context(self) -> SweepContext:
        return SweepContext(data=self.resolved.data, file=self.resolved.file, key=self.scenario_hash,
                            fixed=self.spec.fixed, posterior=self.posterior)

    def command(self) -> str:
        """A command line that reproduces this sweep (any executor gives the same results)."""
        s = self.spec
        parts = ["run.py", "sweep", _quote(self.resolved.file)]
        parts += [f"--set {_quote(o)}" for o in self.overrides]
        parts += [f"--param {_quote(p.text())}" for p in s.params]
        parts += [f"--design {s.design}"]
        if s.design != "grid":
            parts += [f"--samples {self.design.samples}"]
        parts += [f"--runs {s.runs}", f"--seed {s.seed}", f"--block {s.block}"]
        if s.fixed:
            parts += ["--fixed"]
        if s.streams == "independent":
            parts += ["--independent-streams"]
        if self.posterior is not None:
            parts += [f"--posterior {_quote(self.posterior.file)}"]
        return " ".join(parts)

    def fingerprint(self) -> dict:
        """Everything the results depend on; ``--resume`` requires all of it to match."""
        s = self.spec
        return {"scenario_hash": self.scenario_hash, "design": s.design, "samples": self.design.samples,
                "params": [p.to_dict() for p in s.params], "points": self.points,
                "design_digest": self.design.digest(), "runs": s.runs, "block": s.block, "seed": s.seed,
                "fixed": s.fixed, "streams": s.streams, "model_version": __version__,
                "posterior": None if self.posterior is None else self.posterior.sha256}


def _quote(text: str) -> str:
    import shlex
    return shlex.quote(str(text))


def task_name(point: int, block: int) -> str:
    return f"p{point:07d}-b{block:05d}"


def task_seed(seed: int, point: int, block: int) -> int:
    """The seed of one task, from ``SeedSequence(seed, spawn_key=(point, block))`` (63 bits)."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(point), int(block))).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def scenario_hash(resolved: Resolved) -> str:
    """Hash of the resolved scenario without its ``sweep:`` block (which only says what to run)."""
    data = {k: v for k, v in resolved.data.items() if k != "sweep"}
    return Resolved(scenario=resolved.scenario, data=data, origins={}, file=resolved.file).digest()


def plan_sweep(resolved: Resolved, spec: SweepSpec, overrides: list[str] | None = None,
               posterior=None) -> SweepPlan:
    """The design points and the tasks of a sweep (nothing runs yet).  With ``posterior``
    (checked against the scenario), each replicate draws its parameters from one of its rows,
    except the swept ones and those set by ``overrides``."""
    if posterior is not None and spec.fixed:
        raise ValueError("a posterior gives each replicate drawn values; it cannot be combined with fixed")
    if spec.runs < 1:
        raise ValueError("runs must be at least 1")
    if spec.block < 1:
        raise ValueError("block must be at least 1")
    if spec.streams not in STREAMS:
        raise ValueError(f"streams must be one of {', '.join(STREAMS)}, got {spec.streams!r}")
    common = spec.streams == "common"
    expected = expected_points(spec.design, spec.params, spec.samples)
    if expected > MAX_POINTS:
        raise ValueError(f"the {spec.design} design would have {expected:,} points, above the limit of "
                         f"{MAX_POINTS:,}; use fewer levels or samples")
    tasks_needed = expected * -(-spec.runs // spec.block)
    if tasks_needed > MAX_TASKS:
        raise ValueError(f"the sweep would have {tasks_needed:,} tasks, above the limit of {MAX_TASKS:,}; "
                         f"use a larger --block or fewer points")
    design = build_design(spec.params, spec.design, spec.samples, spec.seed)
    paths = design.paths
    values = design.points[paths].to_numpy(dtype=np.float64)
    tasks = []
    for point in range(len(design)):
        assignment = tuple((path, float(values[point, j])) for j, path in enumerate(paths))
        for block, start in enumerate(range(0, spec.runs, spec.block)):
            n = min(spec.block, spec.runs - start)
            if common:
                tasks.append(Task(point, block, start, n, int(spec.seed), assignment, offset=start))
            else:
                tasks.append(Task(point, block, start, n, task_seed(spec.seed, point, block), assignment))
    return SweepPlan(resolved=resolved, spec=spec, design=design, overrides=list(overrides or []),
                     tasks=tasks, scenario_hash=scenario_hash(resolved), posterior=posterior)


# ----------------------------------------------------------------------------- one task (worker side)

_POINT_CACHE: OrderedDict = OrderedDict()
_POINT_CACHE_SIZE = 16
_POINT_LOCK = threading.Lock()      # Dask workers may run several threads


def resolve_point(ctx: SweepContext, values) -> Resolved:
    """The base scenario with the design point's values set (as ``--set`` would), validated.

    Swept parameters are fixed at the point's value in every replicate; the others keep
    drawing from their ranges (unless the sweep is ``fixed``).  Raises ScenarioError if the
    point is not a valid scenario (e.g. dependency shares that sum above 1).
    """
    key = (ctx.key, tuple(values))
    with _POINT_LOCK:
        hit = _POINT_CACHE.get(key)
        if hit is not None:
            _POINT_CACHE.move_to_end(key)
            return hit
    resolved = resolve_data(ctx.data, list(values), ctx.file)
    with _POINT_LOCK:
        _POINT_CACHE[key] = resolved
        while len(_POINT_CACHE) > _POINT_CACHE_SIZE:
            _POINT_CACHE.popitem(last=False)
    return resolved


def run_task(ctx: SweepContext, task: Task) -> pd.DataFrame:
    """Run one task and return its one-row frame of aggregates (columns: TASK_COLUMNS)."""
    try:
        resolved = resolve_point(ctx, task.values)
    except ScenarioError as exc:
        point = ", ".join(f"{p}={v:g}" for p, v in task.values)
        raise PointRejected(f"the scenario rejects this point ({point}): {exc.path}: {exc.message}") from None
    params = posterior_params(resolved, ctx.posterior, task.replicates, task.seed, ctx.fixed, task.offset)
    model = AxisModel(resolved, replicates=task.replicates, seed=task.seed, fixed=ctx.fixed,
                      offset=task.offset, series_limit=0, collect=False, params=params)
    try:
        model.run()
        out = model.outcomes()
    finally:
        model.release()
    row: dict = {"point": task.point, "block": task.block, "start": task.start,
                 "replicates": task.replicates, "seed": task.seed}
    drop = out["first_drop_month"].astype(np.int64)
    flags = {name: out[name] for name in BINARY if name != "dropped"}
    flags["dropped"] = drop >= 0
    for name in BINARY:
        row[f"{name}_count"] = int(np.count_nonzero(flags[name]))
    row["first_drop_month_sum"] = int(drop[drop >= 0].sum())
    counts = np.bincount(out["china_rung"].astype(np.int64), minlength=N_RUNGS)
    for k in range(N_RUNGS):
        row[f"china_rung_{k}_count"] = int(counts[k])
    for name in CONTINUOUS:
        v = np.asarray(out[name], dtype=np.float64)
        mean = float(v.mean())
        row[f"{name}_mean"] = mean
        row[f"{name}_m2"] = float(np.square(v - mean).sum())
    return pd.DataFrame([row], columns=list(TASK_COLUMNS))


class PointRejected(Exception):
    """The design point is not a valid scenario (recorded as a failure, the sweep goes on)."""


@dataclass
class TaskOutcome:
    task: Task
    frame: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    host: str = ""


def execute(ctx: SweepContext, task: Task) -> TaskOutcome:
    """Run a task, catching any exception so that it can be recorded (worker side)."""
    t0 = time.perf_counter()
    host = f"{os.uname().nodename}:{os.getpid()}" if hasattr(os, "uname") else str(os.getpid())
    try:
        frame = run_task(ctx, task)
        return TaskOutcome(task, frame=frame, seconds=time.perf_counter() - t0, host=host)
    except Exception as exc:  # noqa: BLE001 - recorded in the store, the sweep goes on
        return TaskOutcome(task, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                           seconds=time.perf_counter() - t0, host=host)


# ----------------------------------------------------------------------------- merging blocks

def combine_tasks(frame: pd.DataFrame, points: int) -> pd.DataFrame:
    """Merge task rows into one row per design point (0..points-1), in (point, block) order.

    Counts add up; means and sums of squared deviations merge exactly (Chan et al.).
    Points without any finished task get ``replicates`` 0 and NaN statistics.
    """
    f = frame.sort_values(["point", "block"], kind="mergesort").reset_index(drop=True)
    out = pd.DataFrame({"point": np.arange(points, dtype=np.int64)})
    n_total = np.zeros(points, dtype=np.int64)
    blocks = np.zeros(points, dtype=np.int64)
    idx = f["point"].to_numpy(dtype=np.int64)
    n_b = f["replicates"].to_numpy(dtype=np.int64)
    np.add.at(n_total, idx, n_b)
    np.add.at(blocks, idx, 1)
    out["replicates"] = n_total
    out["blocks"] = blocks
    for col in [f"{b}_count" for b in BINARY] + ["first_drop_month_sum"] + \
               [f"china_rung_{k}_count" for k in range(N_RUNGS)]:
        acc = np.zeros(points, dtype=np.int64)
        np.add.at(acc, idx, f[col].to_numpy(dtype=np.int64))
        out[col] = acc
    for name in CONTINUOUS:
        mean = np.full(points, np.nan)
        m2 = np.full(points, np.nan)
        count = np.zeros(points, dtype=np.int64)
        means = f[f"{name}_mean"].to_numpy(dtype=np.float64)
        m2s = f[f"{name}_m2"].to_numpy(dtype=np.float64)
        for i in range(len(f)):           # sequential, in (point, block) order: deterministic
            p, nb = idx[i], n_b[i]
            if count[p] == 0:
                mean[p], m2[p], count[p] = means[i], m2s[i], nb
                continue
            na = count[p]
            n = na + nb
            delta = means[i] - mean[p]
            mean[p] = mean[p] + delta * (nb / n)
            m2[p] = m2[p] + m2s[i] + delta * delta * (na * nb / n)
            count[p] = n
        out[f"{name}_mean"] = mean
        out[f"{name}_m2"] = m2
    return out


# ----------------------------------------------------------------------------- running

@dataclass
class SweepResult:
    plan: SweepPlan
    out: Path
    combined: pd.DataFrame                 # one row per point (see combine_tasks)
    failures: list[dict] = field(default_factory=list)
    executed: int = 0                      # tasks run now
    skipped: int = 0                       # tasks already finished (resume)
    seconds: float = 0.0
    executor: str = ""
    notes: list[str] = field(default_factory=list)   # e.g. code versions changed since the sweep began

    @property
    def complete(self) -> np.ndarray:
        return (self.combined["blocks"] == self.plan.blocks_per_point).to_numpy()
