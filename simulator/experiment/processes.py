"""Process start method for local worker pools.

``import mesa`` switches multiprocessing's default to "spawn" for the whole program,
which re-imports everything in every worker.  Pools here ask for a context
explicitly: "forkserver" (with the simulator preloaded) where the platform has it.
"""

from __future__ import annotations

import multiprocessing


def process_context(preload: str = "simulator.experiment.ensemble"):
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([preload])
        return ctx
    return multiprocessing.get_context("spawn")
