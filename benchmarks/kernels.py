#!/usr/bin/env python3
"""Per-core speed of the decision rule: the numpy reference against faster variants, side by side.

    python benchmarks/kernels.py                    # R = 4096 replicates, 300 calls each
    python benchmarks/kernels.py --replicates 20000 --calls 100

``simulator.model.decisions.fast_decide`` (numpy, float64) is the reference.  Variants:

* ``numpy, fewer temporaries`` -- the same arithmetic in the same order, into preallocated
  buffers (``out=``); identical results by construction (tests/test_kernels.py pins it);
* ``numpy float32`` -- the same code on float32 inputs; it can change a decision where the
  uniform draw falls within float32 rounding of a boundary, which the table counts;
* ``numba, fused (float64)`` -- one compiled loop over replicates (needs ``pip install
  '.[bench]'``); same formulas, its own order of operations, so its decisions are counted
  against the reference too.

Each line gives replicate-decisions per second (one replicate choosing one rung on one
link) and the ratio to the reference; the last columns count decisions and pressure values
that differ from the reference.  For scale: one 36-month run of the model makes a few
hundred such decisions, and the rule is about a third of the model's time, so a kernel
that is 2x faster makes whole runs well under 2x faster.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.model.decisions import (COMMIT, N_RUNGS, RUNGS, LinkInputs, Weights,  # noqa: E402
                                       drivers, fast_decide, profiles)

_DISTANCE = np.abs(RUNGS[:, None] - RUNGS[None, :]).astype(float)


def make_inputs(r: int, seed: int = 0, dtype=np.float64):
    """Plausible random inputs for ``r`` replicates (shares in 0-1, weights in 0-3)."""
    g = np.random.default_rng(seed)

    def share():
        return g.random(r).astype(dtype)

    x = LinkInputs(alignment=share(), hostility=share(), leverage=share(), energy=share(), bond=share(),
                   tie_floor=(g.integers(0, 5, r)).astype(dtype), exposure=share(), west_dep=share(),
                   intensity=share(), threat=(share() * (g.random(r) < 0.3)).astype(dtype),
                   redline=g.integers(2, 6, r).astype(dtype), instability=share(), risk_tolerance=share(),
                   failure=share(), prestige_stake=share(), cohesion=share(), current=g.integers(0, 5, r))
    w = Weights(*[(g.random(r) * 3).astype(dtype) for _ in range(8)])
    gain, vis = profiles((0.3 + g.random(r)).astype(dtype), (1 + 2 * g.random(r)).astype(dtype))
    tie = np.minimum(COMMIT[None, :], x.tie_floor[:, None] / (N_RUNGS - 1)).astype(dtype)
    args = dict(gain_t=np.ascontiguousarray(gain.T).astype(dtype), visibility_t=np.ascontiguousarray(vis.T).astype(dtype),
                tie_t=np.ascontiguousarray(tie.T), switching_cost=(g.random(r) * 2).astype(dtype),
                stock=(g.random(r) * 2).astype(dtype), decay=share(), threshold=(g.random(r) * 3).astype(dtype),
                temperature=(0.05 + g.random(r)).astype(dtype), u=g.random(r).astype(dtype))
    return x, w, args


class LeanDecide:
    """fast_decide with preallocated buffers: the same operations in the same order."""

    def __init__(self, r: int):
        self.util = np.empty((N_RUNGS, r))
        self.tmp = np.empty((N_RUNGS, r))
        self.commit = COMMIT[:, None].astype(float)
        self.rungs = RUNGS[:, None]

    def __call__(self, x, w, gain_t, visibility_t, tie_t, switching_cost, stock, decay, threshold, temperature, u,
                 top=N_RUNGS - 1):
        d = drivers(x, w)
        linear = d["instability_cost"] + d["prestige_cost"] + d["allies_cost"]
        util, tmp = self.util, self.tmp
        np.multiply(visibility_t, x.intensity, out=tmp)                  # expected sanctions
        if np.any(x.threat):
            tmp += (self.rungs >= x.redline[None, :]) * x.threat
        np.multiply(gain_t, d["strategic_gain"], out=util)
        tmp *= d["sanction_cost"]
        util += tmp
        np.multiply(self.commit, linear, out=tmp)
        util += tmp
        np.multiply(tie_t, d["leader_tie"], out=tmp)
        util += tmp
        util[top + 1:] = -np.inf
        current = x.current.astype(np.intp)
        held = np.take_along_axis(util, current[None, :], axis=0)[0]
        stock = decay * stock + (util.max(axis=0) - held)
        redecide = (stock > threshold).astype(float)
        np.multiply(_DISTANCE[:, current], -(switching_cost * (1.0 - redecide)), out=tmp)
        util += tmp
        util /= temperature
        util -= util.max(axis=0)
        e = np.exp(util, out=util)
        limit = u * e.sum(axis=0)
        acc = e[0].copy()
        choice = (acc <= limit).astype(np.int8)
        for k in range(1, N_RUNGS - 1):
            acc += e[k]
            choice += acc <= limit
        return choice, stock, redecide


def numba_decide(fastmath: bool = False):
    """A fused kernel: one pass per replicate (None if numba is not installed)."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False, fastmath=fastmath)
    def kernel(sg, sc, lin, tie_c, intensity, threat, redline, gain_t, vis_t, tie_t, switching_cost, stock, decay,
               threshold, temperature, u, current, top, choice, new_stock, redecide):
        n = u.shape[0]
        util = np.empty(5)
        for i in range(n):
            for k in range(5):
                exp_s = vis_t[k, i] * intensity[i]
                if k >= redline[i]:
                    exp_s += threat[i]
                v = gain_t[k, i] * sg[i] + exp_s * sc[i] + (k / 4.0) * lin[i] + tie_t[k, i] * tie_c[i]
                util[k] = v if k <= top else -np.inf
            c = current[i]
            best = util[0]
            for k in range(1, 5):
                if util[k] > best:
                    best = util[k]
            s = decay[i] * stock[i] + (best - util[c])
            new_stock[i] = s
            r = 1.0 if s > threshold[i] else 0.0
            redecide[i] = r
            pen = -(switching_cost[i] * (1.0 - r))
            m = -np.inf
            for k in range(5):
                util[k] = (util[k] + abs(k - c) * pen) / temperature[i]
                if util[k] > m:
                    m = util[k]
            total = 0.0
            for k in range(5):
                util[k] = np.exp(util[k] - m)
                total += util[k]
            limit = u[i] * total
            acc = 0.0
            ch = 0
            for k in range(4):
                acc += util[k]
                if acc <= limit:
                    ch += 1
            choice[i] = ch

    def decide(x, w, gain_t, visibility_t, tie_t, switching_cost, stock, decay, threshold, temperature, u,
               top=N_RUNGS - 1):
        d = drivers(x, w)
        lin = d["instability_cost"] + d["prestige_cost"] + d["allies_cost"]
        n = u.shape[0]
        choice = np.empty(n, np.int8)
        new_stock = np.empty(n)
        redecide = np.empty(n)
        kernel(d["strategic_gain"], d["sanction_cost"], lin, d["leader_tie"], x.intensity, x.threat, x.redline,
               gain_t, visibility_t, tie_t, switching_cost, stock, decay, threshold, temperature, u,
               x.current.astype(np.int64), top, choice, new_stock, redecide)
        return choice, new_stock, redecide

    return decide


def measure(fn, inputs, calls: int) -> float:
    x, w, args = inputs
    fn(x, w, **args)                                   # warm up (and compile)
    t0 = time.perf_counter()
    for _ in range(calls):
        fn(x, w, **args)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicates", type=int, default=4096)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    args = ap.parse_args()
    r = args.replicates
    ref_inputs = make_inputs(r)
    x, w, a = ref_inputs
    ref_choice, ref_stock, _ = fast_decide(x, w, **a)
    buffers = (np.empty((N_RUNGS, r)), np.empty((N_RUNGS, r)))

    def in_buffers(x, w, **kw):
        return fast_decide(x, w, **kw, buffers=buffers)
    variants = [("numpy float64 (reference: fast_decide)", fast_decide, ref_inputs),
                ("fast_decide in a model's two buffers (what the model runs)", in_buffers, ref_inputs),
                ("numpy, fewer temporaries", LeanDecide(r), ref_inputs),
                ("numpy float32", fast_decide, make_inputs(r, dtype=np.float32))]
    nb = numba_decide()
    if nb is not None:
        variants.append(("numba, fused (float64)", nb, ref_inputs))
        variants.append(("numba, fused, fastmath (float64)", numba_decide(fastmath=True), ref_inputs))
    else:
        print("numba is not installed (pip install '.[bench]'): its line is left out")
    print(f"{r} replicates, {args.calls} calls, best of {args.repeat}")
    print(f"| variant | decisions/s | vs reference | decisions that differ | max pressure difference |")
    print("|---|---|---|---|---|")
    base = None
    for label, fn, inputs in variants:
        seconds = min(measure(fn, inputs, args.calls) for _ in range(args.repeat))
        rate = r * args.calls / seconds
        base = base or rate
        xi, wi, ai = inputs
        choice, stock, _ = fn(xi, wi, **ai)
        differ = int(np.count_nonzero(choice != ref_choice))
        dstock = float(np.max(np.abs(np.asarray(stock, dtype=np.float64) - ref_stock)))
        print(f"| {label} | {rate:,.0f} | {rate / base:.2f}x | {differ} of {r} | {dstock:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
