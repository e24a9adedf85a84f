"""``calibrate``: approximate Bayesian computation of the model against the historical episodes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import UsageError, at_least, info

EPILOG = """\
examples:
  python run.py calibrate scenarios/history/*.yaml --out results/calibration
  python run.py calibrate scenarios/history/*.yaml --method rejection --particles 1000 --accept 0.05 --workers 2
  python run.py calibrate scenarios/history/*.yaml --method abc --generations 4 --particles 200
  python run.py calibrate scenarios/history/*.yaml --hold-out iran_2018 --out results/cal-no-iran

Methods: rejection draws PARTICLES/ACCEPT particles from the prior and keeps the PARTICLES
closest (thousands of particles per model run; same result for any --workers or --dask;
--resume reuses finished blocks).  abc is pyabc's ABC-SMC (GENERATIONS populations of
PARTICLES; one particle per model run, several hundred times slower per particle; reproducible
with --workers 1).  See docs/history.md."""

PREDICTIVE = 1000          # particles simulated for each predictive distribution


def add_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="calibrate to the historical episodes (approximate Bayesian computation)",
                       description="Fit the calibrated parameters to the observed patterns of the given "
                                   "episodes (pattern-oriented distance over all of them) and write "
                                   "posterior.parquet, calibration.md and charts.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("episodes", nargs="+", metavar="EPISODE", help="episode files (scenarios/history/*.yaml)")
    p.add_argument("--method", choices=("rejection", "abc"), default="rejection",
                   help="rejection (default) or abc (pyabc's ABC-SMC)")
    p.add_argument("--particles", type=int, default=1000, metavar="N", help="posterior particles (default 1000)")
    p.add_argument("--generations", type=int, metavar="N", help="abc: populations (default 3)")
    p.add_argument("--accept", type=float, metavar="Q",
                   help="rejection: share of the prior draws kept (default 0.05)")
    p.add_argument("--seed", type=int, default=20241105, metavar="S", help="seed (default 20241105)")
    p.add_argument("--workers", type=int, default=1, metavar="K", help="local worker processes (default 1)")
    p.add_argument("--dask", nargs="?", const="local", metavar="ADDRESS",
                   help="run on Dask: alone, a local cluster of --workers processes; or a scheduler address")
    from .sweep_cmd import add_dask_timeout
    add_dask_timeout(p)
    p.add_argument("--hold-out", metavar="EPISODE", help="leave this episode out of the fit (it is still predicted)")
    p.add_argument("--parameters", choices=("subset", "all"), default="subset",
                   help="subset (default): China's decision rule and attitudes, the sanctions threat and the "
                        "measurement mappings; all: every parameter the episodes draw alike")
    p.add_argument("--out", default="results/calibration", metavar="DIR", help="output folder (default results/calibration)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted calibration in DIR")
    p.add_argument("--force", action="store_true", help="start again in a DIR that holds a calibration")
    p.add_argument("--quiet", action="store_true", help="no messages on stderr")
    p.add_argument("--no-charts", action="store_true", help="skip the charts")
    p.set_defaults(func=cmd_calibrate)
    add_validate_parser(sub)


def _command(args) -> str:
    """The command line as given to run.py (also when called as main([...]) from Python)."""
    import shlex
    return "run.py " + shlex.join(getattr(args, "argv", None) or sys.argv[1:])


def _check(args) -> None:
    at_least(args.particles, "--particles", 1, 1_000_000)
    at_least(args.workers, "--workers", 1, 1024)
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be >= 0")
    if args.method == "rejection":
        if args.generations is not None:
            raise UsageError("--generations applies to --method abc only (rejection has one stage)")
        accept = 0.05 if args.accept is None else args.accept
        if not 0 < accept <= 1:
            raise UsageError(f"--accept {accept:g}: must be in (0, 1]")
        if args.particles / accept > 10_000_000:
            raise UsageError("--particles / --accept is above 10,000,000 simulations")
        args.accept = accept
    else:
        if args.accept is not None:
            raise UsageError("--accept applies to --method rejection only")
        args.generations = 3 if args.generations is None else args.generations
        at_least(args.generations, "--generations", 1, 100)
        try:
            import pyabc  # noqa: F401
        except ImportError:
            raise UsageError("--method abc needs pyabc (pip install -e .): it is not installed") from None


def _folder(args) -> Path:
    from ..experiment.store import OutputExists, claim, lock_folder, make_dir, prepare_dir, read_marker
    out = Path(args.out)
    if args.resume:
        marker = read_marker(out) if out.is_dir() else None
        if marker is None or marker.get("kind") != "calibration":
            raise OutputExists(f"--resume: {out} holds no calibration to continue")
        lock_folder(out)
        return out
    prepare_dir(out, args.force, kind="calibration", dirs=("blocks",))
    make_dir(out / "blocks")
    if read_marker(out / "blocks") is None:
        claim(out / "blocks", "calibration-blocks")
    return out


def cmd_calibrate(args) -> int:
    from ..experiment.calibration import CalibrationError, make_setup
    from ..experiment.executors import ExecutorUnavailable
    from ..scenario import load_scenario
    _check(args)
    episodes = [load_scenario(path) for path in args.episodes]
    try:
        setup = make_setup(episodes, args.hold_out, every=args.parameters == "all")
    except CalibrationError as exc:
        raise UsageError(str(exc)) from None
    out = _folder(args)
    command = _command(args)
    say = (lambda *a: None) if args.quiet else (lambda msg: info(msg))
    say(f"calibrating {len(setup.priors)} parameters on {', '.join(setup.fit)} "
        f"({args.method}, {args.particles} particles, seed {args.seed})")
    try:
        result = _fit(args, setup, out)
    except ExecutorUnavailable as exc:
        raise UsageError(str(exc)) from None
    write_outputs(out, args, setup, result, command)
    say(f"{result.simulations:,} particle simulations in {result.seconds:.1f} s; wrote {out}/posterior.parquet "
        f"and {out}/calibration.md")
    return 0


def _fit(args, setup, out):
    import time

    from ..experiment.calibration import run_abc, run_rejection
    t0 = time.perf_counter()
    if args.method == "rejection":
        def progress(done, total):
            if not args.quiet:
                print(f"\r  blocks {done}/{total}", end="", file=sys.stderr, flush=True)
        result = run_rejection(setup, args.particles, args.accept, args.seed, workers=args.workers,
                               dask=args.dask, blocks_dir=out / "blocks", resume=args.resume, progress=progress,
                               dask_timeout=args.dask_timeout)
        if not args.quiet:
            print(file=sys.stderr)
    else:
        from ..experiment.store import track
        result = run_abc(setup, args.particles, args.generations, args.seed, workers=args.workers,
                         dask=args.dask, db_path=out / "abc.db", resume=args.resume,
                         dask_timeout=args.dask_timeout)
        track(out / "abc.db")
    result.seconds = time.perf_counter() - t0
    return result


def write_outputs(out: Path, args, setup, result, command: str) -> None:
    import numpy as np

    from ..analysis.calibration_report import calibration_markdown, coverage_by_episode, parameter_table
    from ..experiment import provenance
    from ..experiment.calibration import (coverage, posterior_metadata, predictive, prior_draws, resample,
                                          write_posterior)
    from ..experiment.store import mark_complete, write_json, write_parquet, write_text
    # posterior.parquet holds the scenario's parameters only (what --posterior draws from);
    # the measurement layer's parameters, row for row, go to measurement.parquet
    meta = posterior_metadata(setup.root, command, args.seed)
    mcols = [c for c in result.posterior.columns if c.startswith("measurement.")]
    write_posterior(out / "posterior.parquet", result.posterior.drop(columns=mcols), meta)
    write_posterior(out / "measurement.parquet", result.posterior[[*mcols, "weight"]], meta)
    write_parquet(out / "particles.parquet", result.particles.drop(
        columns=[c for c in result.particles.columns if c.startswith("stat:")]))
    params = parameter_table(setup.priors, result.posterior, seed=args.seed)
    write_parquet(out / "parameters.parquet", params)
    # predictive distributions: prior draws and resampled posterior particles, same random numbers
    prior_theta = prior_draws(setup, PREDICTIVE, args.seed + 1)
    post_theta = resample(result.posterior, PREDICTIVE, args.seed)
    stats_prior, _, views_prior = predictive(setup, prior_theta, args.seed + 1)
    stats_post, _, views_post = predictive(setup, post_theta, args.seed + 1)
    cov_prior, cov_post = coverage(setup, stats_prior), coverage(setup, stats_post)
    pred = cov_post.merge(cov_prior, on=["episode", "pattern", "observed"], suffixes=("", "_prior"))
    write_parquet(out / "predictive.parquet", pred)
    info_ = {"method": result.method, "parameters": getattr(args, "parameters", "subset"), "episodes": setup.names, "fit": list(setup.fit),
             "hold_out": args.hold_out, "seed": args.seed, "particles": args.particles,
             "generations": args.generations, "accept": args.accept, "workers": args.workers,
             "dask": args.dask, "simulations": result.simulations, "seconds": result.seconds,
             "epsilon": result.epsilon, "stages": result.generations, "calibrated": list(setup.priors),
             "command": command, "time": provenance.now(), "git": provenance.git_hash(),
             "version": provenance.versions().get("axis-sim", ""), "versions": provenance.versions(),
             "coverage": coverage_by_episode(cov_post).to_dict(orient="records")}
    write_json(out / "calibration.json", info_)
    charts = []
    if not args.no_charts:
        from ..charts.calibration_charts import draw_episode, draw_parameters_moved
        footer = f"calibrate {result.method} | seed {args.seed} | {result.simulations:,} simulations | git {info_['git']}"
        charts += draw_parameters_moved(out, params, prior_draws(setup, 5000, args.seed + 2),
                                        result.posterior, footer)
        for name in setup.names:
            charts.append(draw_episode(out, name, cov_prior, cov_post,
                                       _series(name, views_prior.get(name), views_post.get(name)), footer))
    write_text(out / "calibration.md", calibration_markdown(info_, params, cov_prior, cov_post, charts))
    mark_complete(out)
    del np


def _series(name, prior_view, post_view):
    """The monthly series an episode's chart shows beside its patterns (None: patterns only)."""
    import numpy as np

    from ..measurement.data import load_observations, series
    from ..measurement.patterns import _date
    if prior_view is None or post_view is None:
        return None
    start = prior_view.start
    months = prior_view.traj.months
    dates = [_date(start + m) for m in range(months + 1)]

    def band(view, fn):
        vals = np.array([fn(view, d) for d in dates])
        return np.quantile(vals, [0.1, 0.5, 0.9], axis=1)

    obs = load_observations()
    if name == "eo14114_2024":
        dates = [d for d in dates if d >= "2024-01"]
        fn = lambda v, d: v.growth("china_russia_trade", d, d)  # noqa: E731
        observed = [(o.date, o.value / 100) for o in series(obs, "china_exports_to_russia_yoy")]
        title, unit = "China's exports to Russia, y/y (index of the model)", "share of a year earlier"
    elif name == "iran_2018":
        fn = lambda v, d: v.at("china_iran_crude", d)  # noqa: E731
        observed = [(o.date, o.value) for o in series(obs, "china_crude_imports_from_iran")]
        title, unit = "China's crude imports from Iran", "kb/d"
    else:
        return None
    return {"dates": dates, "prior": band(prior_view, fn), "post": band(post_view, fn),
            "observed": observed, "title": title, "unit": unit}


VH_EPILOG = """\
example:
  python run.py validate-history scenarios/history/*.yaml --out results/validation
  python scripts/validation_doc.py results/validation     # regenerates docs/validation.md

For each episode in turn: calibrate on the others (rejection ABC, as `calibrate --hold-out`),
then score the held-out episode's patterns predicted from the prior and from that posterior
(Brier for yes/no patterns, CRPS for continuous ones; lower is better)."""


def add_validate_parser(sub) -> None:
    p = sub.add_parser("validate-history", help="leave-one-out scores of the calibration on the episodes",
                       description="Leave-one-out validation: fit on all episodes but one, predict the "
                                   "held-out one, for each episode in turn; write scores.csv and a chart.",
                       epilog=VH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("episodes", nargs="+", metavar="EPISODE", help="episode files (at least two)")
    p.add_argument("--particles", type=int, default=500, metavar="N", help="posterior particles per fold (default 500)")
    p.add_argument("--accept", type=float, default=0.05, metavar="Q", help="share of prior draws kept (default 0.05)")
    p.add_argument("--seed", type=int, default=20241105, metavar="S", help="seed (default 20241105)")
    p.add_argument("--workers", type=int, default=1, metavar="K", help="local worker processes (default 1)")
    p.add_argument("--dask", nargs="?", const="local", metavar="ADDRESS", help="run the folds' simulations on Dask")
    p.add_argument("--out", default="results/validation", metavar="DIR", help="output folder (default results/validation)")
    p.add_argument("--force", action="store_true", help="overwrite a folder that holds a validation")
    p.add_argument("--quiet", action="store_true", help="no messages on stderr")
    p.add_argument("--no-charts", action="store_true", help="skip the chart")
    p.set_defaults(func=cmd_validate_history)


def cmd_validate_history(args) -> int:
    import time

    import pandas as pd

    from ..analysis.history_scores import COLUMNS, score_rows, summary
    from ..experiment import provenance
    from ..experiment.calibration import (PATTERNS, CalibrationError, make_setup, predictive, prior_draws,
                                          resample, run_rejection)
    from ..experiment.executors import ExecutorUnavailable
    from ..experiment.store import mark_complete, prepare_dir, write_csv, write_json
    from ..scenario import load_scenario
    at_least(args.particles, "--particles", 1, 1_000_000)
    at_least(args.workers, "--workers", 1, 1024)
    if not 0 < args.accept <= 1:
        raise UsageError(f"--accept {args.accept:g}: must be in (0, 1]")
    if len(args.episodes) < 2:
        raise UsageError("validate-history needs at least two episodes (one is held out at a time)")
    episodes = [load_scenario(path) for path in args.episodes]
    try:
        make_setup(episodes)
    except CalibrationError as exc:
        raise UsageError(str(exc)) from None
    out = prepare_dir(Path(args.out), args.force, kind="validation")
    t0 = time.perf_counter()
    rows, folds = [], []
    for r in episodes:
        setup = make_setup(episodes, hold_out=r.name)
        if not args.quiet:
            info(f"fold {r.name}: fitting on {', '.join(setup.fit)}")
        try:
            res = run_rejection(setup, args.particles, args.accept, args.seed, workers=args.workers,
                                dask=args.dask)
        except ExecutorUnavailable as exc:
            raise UsageError(str(exc)) from None
        prior_stats, _, _ = predictive(setup, prior_draws(setup, PREDICTIVE, args.seed + 1), args.seed + 1)
        post_stats, _, _ = predictive(setup, resample(res.posterior, PREDICTIVE, args.seed), args.seed + 1)
        rows += score_rows(r.name, PATTERNS, setup.observed, prior_stats, post_stats)
        folds.append({"held_out": r.name, "fit": list(setup.fit), "simulations": res.simulations,
                      "epsilon": res.epsilon, "seconds": res.seconds})
    scores = pd.DataFrame(rows, columns=COLUMNS)
    write_csv(out / "scores.csv", scores)
    summ = summary(scores)
    write_csv(out / "summary.csv", summ)
    write_json(out / "validation.json", {
        "episodes": [r.name for r in episodes], "particles": args.particles, "accept": args.accept,
        "seed": args.seed, "workers": args.workers, "folds": folds, "seconds": time.perf_counter() - t0,
        "command": _command(args), "time": provenance.now(), "git": provenance.git_hash(),
        "versions": provenance.versions()})
    if not args.no_charts:
        from ..charts.calibration_charts import draw_scores
        draw_scores(out, scores, f"validate-history | seed {args.seed} | {args.particles} particles per fold | "
                                 f"git {provenance.git_hash()}")
    mark_complete(out)
    if not args.quiet:
        better = int((scores["posterior_score"] < scores["prior_score"]).sum())
        worse = int((scores["posterior_score"] > scores["prior_score"]).sum())
        info(f"posterior better on {better} of {len(scores)} held-out patterns, worse on {worse}; wrote {out}/scores.csv")
    print(summ.to_string(index=False))
    return 0
