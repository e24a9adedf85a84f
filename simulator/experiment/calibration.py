"""Calibration to history: approximate Bayesian computation over the historical episodes.

Each *particle* is one set of values of the calibrated parameters; it is simulated once in every
episode (the parameters not calibrated are drawn from their priors for it, as in an ordinary
run), the patterns of every episode are computed through the measurement layer, and the
particle's *distance* is the root mean square of its misses (in units, see
``simulator.measurement.patterns``), each episode weighing the same.

Two methods:

``rejection``
    draw ``particles / accept`` particles from the prior, keep the ``particles`` closest ones
    (equal weights).  Particles are simulated together, thousands per model run, in blocks whose
    random numbers depend only on the particle's index, so the result is the same for any number
    of workers or Dask; finished blocks are kept and ``--resume`` reuses them.
``abc``
    pyabc's ABC-SMC (sequential Monte Carlo with an adaptive quantile tolerance): ``generations``
    populations of ``particles``.  pyabc simulates one particle at a time, which is several hundred
    times slower per particle here than a block of the rejection method.

The result: ``posterior.parquet`` (one float column per calibrated parameter path and a float
``weight``; the file's key-value metadata ``axis_sim`` holds JSON with ``scenario``, ``command``,
``seed`` and ``version``), and the predictive simulations the report and charts use.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..measurement.mapping import PARAMS as MEASUREMENT_PARAMS, draw_measurement, observe_episode
from ..measurement.patterns import PATTERNS, Episode, discrepancy, observed_values
from ..model.sampling import draw_parameters
from ..scenario import ScenarioError
from ..scenario.schema import ParamSpec

#: Which model parameters are calibrated: China's decision rule (its weights included, which are
#: structural), China's attitudes to its partners and to risk, and the sanctions threat.  The
#: rest (trade and energy shares from data, the other states, the theatres) is drawn from its
#: prior in every simulation.  Parameters an episode sets differently are its starting state and
#: are never calibrated.
CALIBRATED_PREFIXES = ("decision.", "states.china.risk_tolerance", "states.china.sanction_exposure",
                       "states.china.prestige_stake", "states.china.hostility", "states.china.leader_bond.",
                       "states.china.alignment.", "policies.secondary_sanctions.credibility",
                       "policies.secondary_sanctions.joint_boost")
NOT_CALIBRATED = ("decision.policy_weights.", "decision.policy_temperature")
BLOCK = 1024                       # particles per block of the rejection method
META_KEY = b"axis_sim"


class CalibrationError(ValueError):
    """Bad calibration input (reported as one line, exit 2)."""


@dataclass
class Setup:
    episodes: list            # Resolved, in the order given
    priors: dict[str, ParamSpec]
    observed: dict[tuple[str, str], float]
    fit: tuple[str, ...]      # the episodes the distance uses (all but the held-out one)
    root: str                 # name of the scenario the episodes extend (the posterior's scenario)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.episodes]

    def digest(self) -> str:
        blob = json.dumps({"episodes": [r.digest() for r in self.episodes], "fit": self.fit,
                           "priors": {k: v.model_dump() for k, v in self.priors.items()},
                           "observed": sorted((f"{a}/{b}", v) for (a, b), v in self.observed.items())},
                          sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _drawn(spec: ParamSpec) -> bool:
    return spec.range is not None and spec.range[0] < spec.range[1]


def calibrated_priors(episodes, every: bool = False) -> dict[str, ParamSpec]:
    """The calibrated parameters and their priors (the scenario's ranges): the model parameters
    of :data:`CALIBRATED_PREFIXES` (with ``every``: every drawn model parameter) that every
    episode draws from the same range, and every measurement parameter with a range."""
    first = episodes[0].params
    out: dict[str, ParamSpec] = {}
    for path, spec in first.items():
        chosen = every or (path.startswith(CALIBRATED_PREFIXES) and not path.startswith(NOT_CALIBRATED))
        if not chosen or not _drawn(spec):
            continue
        if all(path in r.params and r.params[path] == spec for r in episodes[1:]):
            out[path] = spec
    for path, spec in MEASUREMENT_PARAMS.items():
        if _drawn(spec):
            out[path] = spec
    return out


def make_setup(episodes, hold_out: str | None = None, every: bool = False) -> Setup:
    names = [r.name for r in episodes]
    known = {p.episode for p in PATTERNS}
    for r in episodes:
        if r.name not in known:
            raise CalibrationError(f"{r.file}: no observed patterns for an episode named '{r.name}' "
                                   f"(episodes with data: {', '.join(sorted(known))})")
    if len(set(names)) != len(names):
        raise CalibrationError(f"an episode is given twice: {', '.join(names)}")
    if hold_out is not None and hold_out not in names:
        raise CalibrationError(f"--hold-out {hold_out}: not one of the episodes given ({', '.join(names)})")
    fit = tuple(n for n in names if n != hold_out)
    if not fit:
        raise CalibrationError("--hold-out leaves no episode to fit")
    root = _root_name(episodes[0])
    return Setup(list(episodes), calibrated_priors(episodes, every), observed_values(), fit, root)


def _root_name(resolved) -> str:
    from ..scenario import load_scenario
    path = Path(resolved.file)
    while True:
        data = load_scenario(path).data
        parent = data.get("extends")
        if not parent:
            return data["name"]
        nxt = Path(parent)
        path = nxt if nxt.is_absolute() else path.parent / nxt


# ----------------------------------------------------------------------------- simulation

def prior_draws(setup: Setup, n: int, seed: int, offset: int = 0) -> dict[str, np.ndarray]:
    return draw_parameters(setup.priors, n, seed, offset=offset)


def simulate(setup: Setup, theta: dict[str, np.ndarray], seed: int, offset: int = 0,
             trajectories: bool = False):
    """Simulate particles ``theta`` (path -> array (n,)) in every episode.

    Returns ``(stats, distance)``: stats maps (episode, pattern) to the per-particle simulated
    value; distance is over the fitted episodes.  With ``trajectories`` also the Episode views."""
    n = len(next(iter(theta.values())))
    model_theta = {k: v for k, v in theta.items() if not k.startswith("measurement.")}
    stats: dict[tuple[str, str], np.ndarray] = {}
    views = {}
    for r in setup.episodes:
        mp = draw_measurement(n, seed, offset=offset)
        mp.update({k: np.asarray(v, dtype=float) for k, v in theta.items() if k.startswith("measurement.")})
        traj = observe_episode(r, n, seed, params=model_theta, mparams=mp, offset=offset)
        view = Episode(traj, mp)
        if trajectories:
            views[r.name] = view
        for p in PATTERNS:
            if p.episode == r.name:
                stats[(r.name, p.name)] = p.simulated(view)
    dist = distance(setup, stats)
    return (stats, dist, views) if trajectories else (stats, dist)


def distance(setup: Setup, stats: dict[tuple[str, str], np.ndarray]) -> np.ndarray:
    """Root mean square miss, each fitted episode weighing the same."""
    per_episode = []
    for name in setup.fit:
        misses = [discrepancy(p, stats[(name, p.name)], setup.observed[(name, p.name)]) ** 2
                  for p in PATTERNS if p.episode == name]
        per_episode.append(np.mean(misses, axis=0))
    return np.sqrt(np.mean(per_episode, axis=0))


def _block_job(args):
    """One block of the rejection method (worker side): prior draws, simulation, distances."""
    setup, seed, offset, n = args
    theta = prior_draws(setup, n, seed, offset)
    stats, dist = simulate(setup, theta, seed, offset)
    frame = pd.DataFrame({**theta, **{f"stat:{a}/{b}": v for (a, b), v in stats.items()}})
    frame.insert(0, "particle", np.arange(offset, offset + n, dtype=np.int64))
    frame["distance"] = dist
    return offset, frame


# ----------------------------------------------------------------------------- rejection

@dataclass
class Result:
    method: str
    posterior: pd.DataFrame            # calibrated parameter columns + weight
    particles: pd.DataFrame            # every simulated particle of the last stage, with distance
    simulations: int                   # particle simulations (each runs every episode once)
    seconds: float
    epsilon: float
    generations: list[dict] = field(default_factory=list)


def run_rejection(setup: Setup, particles: int, accept: float, seed: int, *, workers: int = 1,
                  dask=None, blocks_dir: Path | None = None, resume: bool = False,
                  progress=None, dask_timeout: float = 30.0) -> Result:
    t0 = time.perf_counter()
    total = int(math.ceil(particles / accept))
    jobs = [(setup, seed, off, min(BLOCK, total - off)) for off in range(0, total, BLOCK)]
    done: dict[int, pd.DataFrame] = {}
    key = f"{setup.digest()}-{seed}-{__version__}"
    if blocks_dir is not None:
        blocks_dir.mkdir(parents=True, exist_ok=True)
        for job in jobs:
            path = blocks_dir / f"block_{job[2]:09d}.parquet"
            if resume and path.is_file():
                try:
                    frame = pd.read_parquet(path)
                    meta = _read_meta(path)
                except Exception:  # noqa: BLE001 - a damaged block is simulated again
                    continue
                if meta.get("key") == key and len(frame) == job[3]:
                    done[job[2]] = frame
    todo = [j for j in jobs if j[2] not in done]
    for offset, frame in _map(_block_job, todo, workers, dask, dask_timeout):
        if blocks_dir is not None:
            _write_parquet_meta(blocks_dir / f"block_{offset:09d}.parquet", frame, {"key": key})
        done[offset] = frame
        if progress:
            progress(len(done), len(jobs))
    allp = pd.concat([done[j[2]] for j in jobs], ignore_index=True)
    order = np.argsort(allp["distance"].to_numpy(), kind="stable")[:particles]
    kept = allp.iloc[np.sort(order)].reset_index(drop=True)
    eps = float(allp["distance"].to_numpy()[order].max())
    post = kept[list(setup.priors)].astype(float).copy()
    post["weight"] = 1.0
    return Result("rejection", post, allp, total, time.perf_counter() - t0, eps,
                  [{"generation": 0, "simulations": total, "epsilon": eps, "accepted": particles}])


def _client(dask, workers: int, timeout: float):
    """A Dask client: a local cluster of ``workers`` processes, or the scheduler at ``dask``."""
    from distributed import Client, LocalCluster

    from .executors import ExecutorUnavailable
    if dask is True or dask == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return cluster, Client(cluster)
    try:
        return None, Client(str(dask), timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorUnavailable(f"--dask {dask}: no Dask scheduler answered within {timeout:g} s "
                                  f"({type(exc).__name__})") from None


def _map(fn, jobs, workers: int, dask, timeout: float = 30.0):
    if not jobs:
        return
    if dask:
        cluster, client = _client(dask, workers, timeout)
        try:
            futures = client.map(fn, jobs, pure=False)
            for fut in futures:
                yield fut.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers <= 1:
        for job in jobs:
            yield fn(job)
        return
    import concurrent.futures as cf
    from .processes import process_context
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=process_context()) as pool:
        yield from pool.map(fn, jobs)


# ----------------------------------------------------------------------------- ABC-SMC (pyabc)

def _safe(i: int) -> str:
    return f"p{i:03d}"


def _rv(spec: ParamSpec):
    import pyabc
    lo, hi = spec.range
    if spec.distribution == "uniform":
        return pyabc.RV("uniform", lo, hi - lo)
    return pyabc.RV("triang", (spec.value - lo) / (hi - lo), loc=lo, scale=hi - lo)


class _Model:
    """pyabc's model: one particle, every episode once (picklable for its parallel samplers)."""

    def __init__(self, setup: Setup, seed: int):
        self.setup, self.seed, self.paths = setup, seed, list(setup.priors)

    def __call__(self, pars):
        values = np.array([float(pars[_safe(i)]) for i in range(len(self.paths))])
        seed = (self.seed + zlib.crc32(values.tobytes())) % (2 ** 32)   # a pure function of the particle
        theta = {p: values[i:i + 1] for i, p in enumerate(self.paths)}
        stats, _ = simulate(self.setup, theta, seed)
        return {f"{a}/{b}": float(v[0]) for (a, b), v in stats.items()}


class _Distance:
    def __init__(self, setup: Setup):
        self.setup = setup

    def __call__(self, x, x0):
        stats = {tuple(k.split("/", 1)): np.array([v]) for k, v in x.items()}
        return float(distance(self.setup, stats)[0])


def run_abc(setup: Setup, particles: int, generations: int, seed: int, *, workers: int = 1,
            dask=None, db_path: Path, resume: bool = False, dask_timeout: float = 30.0) -> Result:
    import logging

    import pyabc
    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Data_plot", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger(f"ABC.{name}").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    paths = list(setup.priors)
    prior = pyabc.Distribution(**{_safe(i): _rv(setup.priors[p]) for i, p in enumerate(paths)})
    if dask:
        _, client = _client(dask, workers, dask_timeout)
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
    elif workers > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    abc = pyabc.ABCSMC(_Model(setup, seed), prior, _Distance(setup), population_size=particles,
                       sampler=sampler, eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5))
    np.random.seed(seed % (2 ** 32))
    observed = {f"{a}/{b}": v for (a, b), v in setup.observed.items() if a in setup.names}
    db = "sqlite:///" + str(Path(db_path).resolve())
    if resume and Path(db_path).is_file():
        abc.load(db, 1)
        history = abc.history
        left = generations - history.n_populations
        if left > 0:
            history = abc.run(max_nr_populations=left)
    else:
        if Path(db_path).exists():
            Path(db_path).unlink()
        abc.new(db, observed)
        history = abc.run(max_nr_populations=generations)
    frame, w = history.get_distribution(m=0, t=history.max_t)
    post = pd.DataFrame({p: frame[_safe(i)].to_numpy(dtype=float) for i, p in enumerate(paths)})
    post["weight"] = np.asarray(w, dtype=float)
    pops = history.get_all_populations()
    gens = [{"generation": int(r.t), "simulations": int(r.samples), "epsilon": float(r.epsilon),
             "accepted": particles} for r in pops.itertuples() if r.t >= 0]
    sims = int(sum(g["simulations"] for g in gens))
    dist = history.get_weighted_distances(t=history.max_t)
    parts = post.copy()
    parts["distance"] = dist["distance"].to_numpy(dtype=float)
    return Result("abc", post, parts, sims, time.perf_counter() - t0,
                  gens[-1]["epsilon"] if gens else float("nan"), gens)


# ----------------------------------------------------------------------------- posterior file

def posterior_metadata(scenario: str, command: str, seed: int) -> dict:
    return {"scenario": scenario, "command": command, "seed": int(seed), "version": __version__}


def _write_parquet_meta(path: Path, frame: pd.DataFrame, meta: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .store import _atomic
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    _atomic(Path(path), lambda tmp: pq.write_table(table, tmp))


def _read_meta(path: Path) -> dict:
    import pyarrow.parquet as pq
    md = pq.read_schema(path).metadata or {}
    return json.loads(md.get(META_KEY, b"{}"))


def write_posterior(path: Path, posterior: pd.DataFrame, meta: dict) -> None:
    """posterior.parquet: float columns (parameter paths, then ``weight``) and metadata ``axis_sim``."""
    frame = posterior.astype(float)
    if "weight" not in frame or (frame["weight"] < 0).any():
        raise ValueError("a posterior needs a non-negative weight column")
    _write_parquet_meta(path, frame, meta)


def read_posterior(path: Path) -> tuple[pd.DataFrame, dict]:
    return pd.read_parquet(path), _read_meta(path)


# ----------------------------------------------------------------------------- predictive

def resample(posterior: pd.DataFrame, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` particles drawn from the weighted posterior (with replacement)."""
    w = posterior["weight"].to_numpy(dtype=float)
    rng = np.random.default_rng([seed, 7])
    idx = rng.choice(len(posterior), size=n, p=w / w.sum())
    return {c: posterior[c].to_numpy(dtype=float)[idx] for c in posterior.columns if c != "weight"}


def predictive(setup: Setup, theta: dict[str, np.ndarray], seed: int):
    """Simulated patterns and episode views for the particles ``theta``."""
    stats, dist, views = simulate(setup, theta, seed, offset=0, trajectories=True)
    return stats, dist, views


def coverage(setup: Setup, stats, level: float = 0.8) -> pd.DataFrame:
    """Per pattern: the predictive band (central ``level``) and whether it holds the observation."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for (ep, name), sim in stats.items():
        obs = setup.observed[(ep, name)]
        lo, hi = np.quantile(sim, [lo_q, hi_q])
        rows.append({"episode": ep, "pattern": name, "observed": obs, "mean": float(np.mean(sim)),
                     "low": float(lo), "high": float(hi), "covered": bool(lo <= obs <= hi)})
    return pd.DataFrame(rows)
