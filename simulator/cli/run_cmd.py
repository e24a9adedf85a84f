"""``run``: Monte Carlo ensembles of one or more scenarios."""

from __future__ import annotations

from pathlib import Path

from ..experiment.store import prepare_dir
from .folders import run_manifest, write_run_folder  # noqa: F401  (re-exported)
from ..scenario import load_scenario
from .common import (UsageError, add_posterior_option, check_limits, info, posterior_from_args, progress_bar,
                     table)

# numpy, pandas, mesa and matplotlib load inside the commands, so that `run.py --help` is fast.


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run Monte Carlo ensembles of scenario files",
                       description="Run each SCENARIO as a Monte Carlo ensemble and write results, "
                                   "charts and a summary table.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML file(s)")
    p.add_argument("--runs", type=int, help="replicates per scenario (default: the scenario's runs)")
    p.add_argument("--seed", type=int, help="base seed (default: the scenario's seed)")
    p.add_argument("--out", help="output folder (default: results/<scenario>, or results/ for several)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a numeric parameter (repeatable); fixes it at VALUE")
    p.add_argument("--fixed", action="store_true", help="use point values instead of drawing from ranges")
    add_posterior_option(p)
    p.add_argument("--workers", type=int, default=1,
                   help="local processes for the ensemble (every output file is identical, byte for byte, "
                        "for any number)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty output folder")
    p.add_argument("--no-charts", action="store_true", help="skip the PNG/SVG charts")
    add_format_option(p, "runs.csv (one row per replicate)")
    add_spread_options(p)
    p.set_defaults(func=cmd_run)


def add_spread_options(p) -> None:
    from ..experiment.defaults import SPREAD_DRAWS, SPREAD_RUNS
    p.add_argument("--spread-draws", type=int, default=SPREAD_DRAWS, metavar="K",
                   help=f"parameter-uncertainty spread of P(stays): K parameter draws (default {SPREAD_DRAWS}) ...")
    p.add_argument("--spread-runs", type=int, default=SPREAD_RUNS, metavar="M",
                   help=f"... each run M times with its parameters held (default {SPREAD_RUNS}); separately "
                        f"seeded, it changes no other number of the run")
    p.add_argument("--no-spread", action="store_true", help="skip the parameter-uncertainty spread")


def check_spread(args) -> None:
    from ..scenario.schema import MAX_RUNS
    for flag, value in (("--spread-draws", args.spread_draws), ("--spread-runs", args.spread_runs)):
        if value < 1:
            raise UsageError(f"{flag} must be at least 1, got {value}")
    if args.spread_draws * args.spread_runs > MAX_RUNS:
        raise UsageError(f"--spread-draws x --spread-runs must be at most {MAX_RUNS:,}, got "
                         f"{args.spread_draws * args.spread_runs:,}")


def with_spread(ens, args):
    """Attach the parameter-uncertainty spread of P(stays) to an ensemble (unless --no-spread)."""
    if not args.no_spread:
        from ..experiment.spread import parameter_spread
        ens.parameter_spread = parameter_spread(ens.resolved, seed=ens.seed, draws=args.spread_draws,
                                                runs_per_draw=args.spread_runs, fixed=ens.fixed,
                                                posterior=getattr(ens, "posterior", None))
    return ens


def add_format_option(p, what: str) -> None:
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help=f"table format: parquet (default) or csv, which also writes {what} for "
                        f"spreadsheets")


def output_dirs(args, resolved) -> list[Path]:
    if args.out is not None:
        if not args.out.strip():
            raise UsageError("--out is empty")
        base = Path(args.out)
        return [base] if len(resolved) == 1 else [base / r.name for r in resolved]
    return [Path("results") / r.name for r in resolved]


def cmd_run(args) -> int:
    from ..analysis.index import HEADERS, NOTE, draws_line, summary_cells, write_index
    from ..experiment.ensemble import run_ensemble
    check_limits(args)
    check_spread(args)
    resolved = [load_scenario(path, args.set) for path in args.scenarios]   # validate all first
    names = [r.name for r in resolved]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash and not (args.out and len(resolved) == 1):
        files = ", ".join(r.file for r in resolved if r.name in clash)
        raise UsageError(f"scenarios share the name {clash[0]!r} ({files}): each needs its own folder; "
                         f"give them different `name:` values")
    posterior = posterior_from_args(args, resolved)
    outs = output_dirs(args, resolved)
    for out in outs:                                                          # refuse before computing
        prepare_dir(out, args.force)
    rows, summaries = [], []
    extra = {"overrides": list(args.set)}
    if posterior is not None:
        extra["posterior"] = posterior.file
    for res, out in zip(resolved, outs):
        runs = args.runs or res.scenario.runs
        with progress_bar(runs, res.name, args.quiet) as bar:
            ens = run_ensemble(res, runs=runs, seed=args.seed, fixed=args.fixed, workers=args.workers,
                               progress=bar.update, posterior=posterior)
        with_spread(ens, args)
        summary = write_run_folder(out, ens, charts=not args.no_charts,
                                   extra_manifest=extra, csv=args.format == "csv")
        from .observables import write_observables     # historical episodes: the observables, monthly
        write_observables(out, res, runs, args.seed, args.fixed, posterior=posterior)
        rows.append(summary_cells(summary))
        summaries.append(summary)
        info(f"wrote {out}", args.quiet)
    if len(outs) > 1:                       # several scenarios: one index at the top of --out
        top = Path(args.out) if args.out is not None else Path("results")
        index = write_index(top, runs=outs)
        info(f"wrote {', '.join(str(p) for p in index)}", args.quiet)
    print(table(HEADERS, rows))
    print("\n" + NOTE)
    draws = draws_line(summaries)
    if draws:
        print(draws)
    return 0
