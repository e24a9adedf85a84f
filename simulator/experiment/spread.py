"""Parameter-uncertainty spread of P(stays): how much the answer moves with the assumptions.

A run's 95% interval of P(stays) is a Monte Carlo interval: it shrinks with more runs and
covers simulation noise only, while every run draws its parameters from their ranges.  This
nested computation shows the other part: K parameter draws (each a full set of parameter
values, drawn from the scenario's ranges as a run draws them), each run M times with its
parameters held and only the noise varying.  The 10/50/90% quantiles of the K estimates of
P(stays) are the parameter-uncertainty spread.

It has its own random streams, derived from the run's seed with a spawn key of its own, so it
changes no number of the run it accompanies; it is a pure function of (scenario, seed, K, M,
fixed) and runs in batches that depend on K and M only, in this process, so it is the same for
any number of workers.  Each of the K estimates carries Monte Carlo noise of about
sqrt(p(1 - p) / M) (``noise_sd``); with every range degenerate (``--fixed``) the spread is that
noise alone.
"""

from __future__ import annotations

import math

import numpy as np

from ..model.model import AxisModel, resolve
from ..model.sampling import draw_parameters, is_drawn
#: Defaults: 50 parameter draws x 80 runs each = 4,000 runs in one vectorised model (a fraction of
#: a second; see the README for the measured share of a run's wall time).
from .defaults import SPREAD_DRAWS, SPREAD_RUNS  # noqa: F401  (re-exported)

SPREAD_QUANTILES = (0.1, 0.5, 0.9)
#: Replicates per model (whole draws of M runs each).
SPREAD_BATCH = 8192
_SPREAD_KEY = 0x5B7EAD    # spawn key of the spread's streams (sweeps use (point, block), designs 0x5EED)


def spread_seeds(seed: int) -> tuple[int, int]:
    """The seeds of the parameter draws and of the noise, derived from the run's seed."""
    state = np.random.SeedSequence(int(seed), spawn_key=(_SPREAD_KEY,)).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1)), int(state[1] >> np.uint64(1))


def parameter_spread(scenario, seed: int | None = None, draws: int = SPREAD_DRAWS, runs_per_draw: int = SPREAD_RUNS,
                     fixed: bool = False, posterior=None) -> dict:
    """P(stays) across ``draws`` parameter draws, each estimated from ``runs_per_draw`` runs.

    Returns ``{p10, p50, p90, draws, runs_per_draw, noise_sd, drawn_parameters, per_draw}``:
    the quantiles of the per-draw estimates, the Monte Carlo sd of one estimate at the mean
    P(stays), how many parameters vary between draws, and the estimates in draw order.  With a
    ``posterior`` the draws come from its rows (as the run's replicates do).
    """
    if draws < 1 or runs_per_draw < 1:
        raise ValueError("the parameter spread needs at least one draw and one run a draw")
    resolved = resolve(scenario)
    sc = resolved.scenario
    seed = int(sc.seed if seed is None else seed)
    param_seed, noise_seed = spread_seeds(seed)
    if posterior is None:
        values = draw_parameters(resolved.params, draws, param_seed, fixed=fixed)
    else:
        from .ensemble import posterior_params
        values = posterior_params(resolved, posterior, draws, param_seed, fixed, 0)
    per_batch = max(1, SPREAD_BATCH // runs_per_draw)
    stays = np.empty(draws, dtype=np.float64)
    for d0 in range(0, draws, per_batch):
        d1 = min(draws, d0 + per_batch)
        params = {path: np.repeat(v[d0:d1], runs_per_draw) for path, v in values.items()}
        model = AxisModel(resolved, replicates=(d1 - d0) * runs_per_draw, seed=noise_seed,
                          offset=d0 * runs_per_draw, params=params, series_limit=0, collect=False)
        try:
            model.run()
            flags = model.outcomes()["china_stays"].astype(np.float64)
        finally:
            model.release()
        stays[d0:d1] = flags.reshape(d1 - d0, runs_per_draw).mean(axis=1)
    q = np.quantile(stays, SPREAD_QUANTILES)
    p = float(stays.mean())
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2]), "draws": int(draws),
            "runs_per_draw": int(runs_per_draw), "noise_sd": math.sqrt(p * (1 - p) / runs_per_draw),
            "drawn_parameters": sum(is_drawn(spec, fixed) for spec in resolved.params.values()),
            "per_draw": [float(x) for x in stays]}
