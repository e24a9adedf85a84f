"""Parameter sweeps: run a plan (simulator/experiment/tasks.py) through an executor into a
results store.  See tasks.py for how points, tasks and seeds make results independent of the
executor and of interruptions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .tasks import (  # noqa: F401  (re-exported: the sweep API)
    BINARY,
    CONTINUOUS,
    DEFAULT_BLOCK,
    MAX_TASKS,
    PointRejected,
    STREAMS,
    SweepContext,
    SweepPlan,
    SweepResult,
    SweepSpec,
    TASK_COLUMNS,
    Task,
    TaskOutcome,
    combine_tasks,
    execute,
    plan_sweep,
    resolve_point,
    run_task,
    scenario_hash,
    task_name,
    task_seed,
)


def run_sweep(plan: SweepPlan, out: str | Path, *, workers: int = 1, dask: str | bool | None = None,
              resume: bool = False, force: bool = False, progress: Callable[[int], None] | None = None,
              on_failure: Callable[[dict], None] | None = None, command: str | None = None,
              window: int | None = None, allow_code_change: bool = False,
              dask_timeout: float | None = None) -> SweepResult:
    """Run (or resume) a sweep into the store at ``out``; return the merged per-point results.

    ``dask``: None/False for local execution (in-process if ``workers`` is 1, else a
    process pool of ``workers``), True or "local" for a Dask LocalCluster of ``workers``
    processes on 127.0.0.1, or a scheduler address such as ``tcp://host:8786``.
    """
    from .executors import make_executor
    from .sweep_store import SweepStore

    t0 = time.perf_counter()
    SweepStore.precheck(out, plan, resume=resume, force=force, allow_code_change=allow_code_change)
    executor = (make_executor(workers=workers, dask=dask) if dask_timeout is None
                else make_executor(workers=workers, dask=dask, timeout=dask_timeout))
    failures: list[dict] = []
    with executor:                         # the executor is up before the store is touched
        store = (SweepStore.reopen(out, plan, command=command, executor=executor.describe(),
                                   allow_code_change=allow_code_change) if resume
                 else SweepStore.create(out, plan, force=force, command=command,
                                        executor=executor.describe()))
        done = store.finished()
        todo = [t for t in plan.tasks if (t.point, t.block) not in done]
        skipped = len(plan.tasks) - len(todo)
        if progress is not None and skipped:
            progress(sum(t.replicates for t in plan.tasks if (t.point, t.block) in done))
        try:
            if todo:
                for outcome in executor.map(plan.context(), todo, window=window):
                    if outcome.frame is not None:
                        store.write_task(outcome.task, outcome.frame)
                    else:
                        record = store.write_failure(outcome)
                        failures.append(record)
                        if on_failure is not None:
                            on_failure(record)
                    if progress is not None:
                        progress(outcome.task.replicates)
        finally:
            store.write_failures_file()
    restarts = getattr(executor, "restarts", 0)
    if restarts:
        store.notes.append(f"a worker process died {restarts} time(s); the pool was restarted and the tasks "
                           f"in flight ran again")
    combined = combine_tasks(store.read_tasks(), plan.points)
    failures = store.failures()
    return SweepResult(plan=plan, out=Path(out), combined=combined, failures=failures,
                       executed=len(todo), skipped=skipped, seconds=time.perf_counter() - t0,
                       executor=executor.describe(), notes=list(store.notes))
