"""observables.parquet: what an episode's run looks like in the data history records."""

from __future__ import annotations

from pathlib import Path

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def write_observables(out: Path, resolved, runs: int, seed: int | None, fixed: bool = False,
                      posterior=None) -> Path | None:
    """For a historical episode (``kind: episode``), the measurement layer's observables and the
    model state they read, month by month: mean and 10/25/50/75/90% quantiles over the same
    replicates as the run (same seed, same draws; with a posterior, its rows as the run draws
    them).  Nothing for other scenarios."""
    import numpy as np
    import pandas as pd

    from ..experiment.store import write_parquet
    from ..measurement.mapping import observe_episode
    from ..measurement.patterns import _date
    from ..measurement.data import month_index
    sc = resolved.scenario
    if sc.kind != "episode":
        return None
    seed = int(sc.seed if seed is None else seed)
    params = None
    if posterior is not None:
        from ..experiment.ensemble import posterior_params
        params = posterior_params(resolved, posterior, runs, seed, fixed, 0)
    traj = observe_episode(resolved, runs, seed, fixed=fixed, params=params)
    start = month_index(sc.start)
    rows = []
    for name, arr in {**traj.state, **traj.observables}.items():
        q = np.quantile(arr, QUANTILES, axis=1)
        for m in range(arr.shape[0]):
            rows.append({"month": m, "date": _date(start + m), "series": name, "mean": float(arr[m].mean()),
                         **{f"q{int(p * 100):02d}": float(q[i, m]) for i, p in enumerate(QUANTILES)}})
    path = Path(out) / "observables.parquet"
    write_parquet(path, pd.DataFrame(rows))
    return path
