"""Where sweep tasks run: in this process, in a local process pool, or on Dask.

Every executor yields one :class:`TaskOutcome` per task, in completion order, with
at most ``window`` tasks in flight (so memory does not grow with the number of
tasks).  A task that raises comes back as an outcome with its error and traceback;
a worker that dies (a killed process, a lost Dask worker) does too.  Results do not
depend on the executor: seeds are fixed per task before dispatch.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import signal
import traceback
import uuid
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from .defaults import DEFAULT_DASK_TIMEOUT  # seconds to wait for a scheduler (--dask-timeout)
from .processes import exit_with_parent, process_context
from .tasks import SweepContext, Task, TaskOutcome, execute

LOCAL_DASK = "local"


class ExecutorUnavailable(Exception):
    """The executor cannot start (e.g. no Dask scheduler at the given address)."""


def make_executor(workers: int = 1, dask: str | bool | None = None, timeout: float = DEFAULT_DASK_TIMEOUT):
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if dask:
        address = None if dask is True or dask == LOCAL_DASK else str(dask)
        return DaskExecutor(address, workers, timeout=timeout)
    if workers == 1:
        return InProcessExecutor()
    return ProcessExecutor(workers)


def _failed(task: Task, exc: BaseException) -> TaskOutcome:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return TaskOutcome(task, error=f"{type(exc).__name__}: {exc}", traceback=text)


class InProcessExecutor:
    """Run tasks one after the other in this process."""

    def describe(self) -> str:
        return "in-process"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, ctx: SweepContext, tasks: Iterable[Task], window: int | None = None) -> Iterator[TaskOutcome]:
        for task in tasks:
            yield execute(ctx, task)


# ----------------------------------------------------------------------------- local processes

_WORKER_CTX: SweepContext | None = None


def _init_worker(ctx: SweepContext, owner: int | None = None) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and cancels
    exit_with_parent(owner)


def _execute_in_worker(task: Task) -> TaskOutcome:
    return execute(_WORKER_CTX, task)


class ProcessExecutor:
    """A local ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes.

    Workers are started by a fork server that has already imported the model, so
    starting is quick and safe even if this process runs threads.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: cf.ProcessPoolExecutor | None = None

    def describe(self) -> str:
        return f"processes ({self.workers} workers)"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self._pool = None
        return False

    def _context(self):
        return process_context("simulator.experiment.sweep")

    def _start(self, ctx: SweepContext) -> None:
        self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context(),
                                            initializer=_init_worker, initargs=(ctx, os.getpid()))

    def map(self, ctx: SweepContext, tasks: Iterable[Task], window: int | None = None) -> Iterator[TaskOutcome]:
        """Run ``tasks``; when a worker dies (killed, out of memory) the pool is restarted and
        the tasks that were in flight run again (they are deterministic); a task is reported
        failed only if a worker dies under it a second time.

        The tasks that were in flight when a worker died run again one at a time, alone on the
        new pool, before any other task: a second death is then the task's own, and the tasks
        that merely shared the pool with it are not blamed for it."""
        self._start(ctx)
        window = window or 4 * self.workers
        pending: dict[cf.Future, Task] = {}
        retry: list[Task] = []
        deaths: dict[tuple[int, int], int] = {}
        self.restarts = 0
        it = iter(tasks)
        unsent: list[Task] = []                 # taken from ``tasks`` but refused by a broken pool
        exhausted = False

        def submit(task: Task) -> bool:
            try:
                pending[self._pool.submit(_execute_in_worker, task)] = task
                return True
            except BrokenProcessPool:           # a worker died since the last wait: nothing ran
                return False

        while True:
            refused = False
            if retry:
                if not pending:                 # a suspect runs alone
                    if submit(retry[0]):
                        retry.pop(0)
                    else:
                        refused = True
            else:
                while len(pending) < window:
                    task = unsent.pop(0) if unsent else (None if exhausted else next(it, None))
                    if task is None:
                        exhausted = True
                        break
                    if not submit(task):
                        unsent.insert(0, task)
                        refused = True
                        break
            if refused and not pending:
                self._restart(ctx)
                continue
            if not pending:
                return
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in sorted(finished, key=lambda f: (pending[f].point, pending[f].block)):
                task = pending.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool as exc:
                    broken = True
                    key = (task.point, task.block)
                    deaths[key] = deaths.get(key, 0) + 1
                    if deaths[key] >= 2:
                        yield _failed(task, RuntimeError(f"a worker process died twice while running this "
                                                         f"task ({exc})"))
                    else:
                        retry.append(task)
                    continue
                except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
                    outcome = _failed(task, exc)
                yield outcome
            if broken:
                # every task still pending went down with the pool: run them again on a new one
                for fut, task in sorted(pending.items(), key=lambda kv: (kv[1].point, kv[1].block)):
                    key = (task.point, task.block)
                    deaths[key] = deaths.get(key, 0) + 1
                    if deaths[key] >= 2:
                        yield _failed(task, RuntimeError("a worker process died twice while this task was "
                                                         "in flight"))
                    else:
                        retry.append(task)
                pending.clear()
                self._restart(ctx)

    def _restart(self, ctx: SweepContext) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        self._start(ctx)


# ----------------------------------------------------------------------------- Dask

class DaskExecutor:
    """Dask distributed: a LocalCluster (``address`` None: ``workers`` processes with one
    thread each, on 127.0.0.1) or an existing scheduler (``tcp://host:8786``)."""

    def __init__(self, address: str | None, workers: int = 1, timeout: float = DEFAULT_DASK_TIMEOUT):
        self.address = address
        self.workers = workers
        self.timeout = float(timeout)
        self.cluster = None
        self.client = None

    def describe(self) -> str:
        if self.address is None:
            return f"dask LocalCluster ({self.workers} processes on 127.0.0.1)"
        return f"dask scheduler {self.address}"

    def __enter__(self):
        from dask.distributed import Client, LocalCluster
        if self.address is None:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            self._probe()
            try:
                self.client = Client(self.address, timeout=f"{self.timeout}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorUnavailable(f"cannot connect to the Dask scheduler at {self.address}: "
                                          f"{exc}") from None
        return self

    def _probe(self) -> None:
        """Ask the peer who it is, within ``timeout`` seconds: a peer that accepts TCP but is not
        a Dask scheduler would otherwise keep ``Client`` waiting for ever."""
        import asyncio

        from distributed.comm import connect

        async def identity():
            comm = await connect(self.address, timeout=self.timeout)
            try:
                await comm.write({"op": "identity", "reply": True})
                return await comm.read()
            finally:
                comm.abort()

        try:
            reply = asyncio.run(asyncio.wait_for(identity(), self.timeout))
        except (TimeoutError, asyncio.TimeoutError):
            raise ExecutorUnavailable(f"no Dask scheduler answered at {self.address} within "
                                      f"{self.timeout:g} s (--dask-timeout)") from None
        except Exception as exc:  # noqa: BLE001 - refused, reset, garbage: not a scheduler
            raise ExecutorUnavailable(f"cannot reach a Dask scheduler at {self.address}: "
                                      f"{type(exc).__name__}: {exc}") from None
        if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
            raise ExecutorUnavailable(f"{self.address} answered but is not a Dask scheduler")

    def __exit__(self, *exc):
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
            self.client = self.cluster = None
        return False

    def map(self, ctx: SweepContext, tasks: Iterable[Task], window: int | None = None) -> Iterator[TaskOutcome]:
        from dask.distributed import as_completed
        client = self.client
        if window is None:
            cores = sum((client.nthreads() or {1: 1}).values())
            window = 4 * max(1, cores)
        ctx_future = client.scatter(ctx, broadcast=True, hash=False)
        it = iter(tasks)
        pending: dict = {}
        token = uuid.uuid4().hex[:10]

        def submit(task: Task):
            fut = client.submit(execute, ctx_future, task, pure=False,
                                key=f"axis-sweep-{task.name}-{token}")
            pending[fut.key] = task
            return fut

        first = []
        for task in it:
            first.append(submit(task))
            if len(first) >= window:
                break
        if not first:
            return
        queue = as_completed(first)
        for fut in queue:
            task = pending.pop(fut.key)
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker, lost connection
                outcome = _failed(task, exc)
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                queue.add(submit(nxt))
            yield outcome
