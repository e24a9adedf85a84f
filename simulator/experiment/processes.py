"""Process start method for local worker pools.

``import mesa`` switches multiprocessing's default to "spawn" for the whole program,
which re-imports everything in every worker.  Pools here ask for a context
explicitly: "forkserver" (with the simulator preloaded) where the platform has it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal


def process_context(preload: str = "simulator.experiment.ensemble"):
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([preload])
        return ctx
    return multiprocessing.get_context("spawn")


def exit_with_parent(owner: int | None) -> None:
    """End this worker process when ``owner`` (the command's process) or its own parent dies.

    On Linux the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); on every
    platform a daemon thread checks once a second that the owner and the parent are alive."""
    import threading
    import time
    parent = os.getppid()
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass                                 # not Linux: the watch below does it
    if os.getppid() != parent:               # the parent died before prctl took effect
        os._exit(1)

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent or (owner is not None and not alive(owner)):
                os._exit(1)

    threading.Thread(target=watch, name="axis-sim-parent-watch", daemon=True).start()
