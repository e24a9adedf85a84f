"""``sweep``: vary parameters over an experiment design and see where China's choice turns."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..experiment.defaults import DEFAULT_BLOCK, DESIGNS
from ..experiment.store import mark_complete, write_csv, write_parquet
from ..scenario import load_scenario
from ..scenario.schema import Sweep
from .common import (UsageError, add_posterior_option, check_limits, decimals_for, info, plural, posterior_from_args,
                     progress_bar, table)
from .run_cmd import add_format_option

if TYPE_CHECKING:
    from ..experiment.sweep import SweepSpec

# numpy, pandas, SALib, mesa and matplotlib load inside the commands (`run.py --help` stays fast).

EPILOG = """\
examples:
  python run.py sweep scenarios/baseline.yaml \\
      --param policies.secondary_sanctions.intensity=0:1:11 --runs 2000 --workers 2
  python run.py sweep scenarios/baseline.yaml --design sobol --samples 64 \\
      --param policies.secondary_sanctions.intensity=0:1 --param states.china.dependency.europe=0.1:0.3
  python run.py sweep scenarios/secondary_sanctions.yaml --out results/s1 --resume   # after an interruption

Points: grid N1 x ... x ND; lhs N; sobol N x (2D+2); morris N x (D+1) (D parameters, N = --samples).
Put --dask after SCENARIO (or write --dask=ADDRESS) so that it does not take SCENARIO as its address.
See docs/sweeps.md."""


def add_parser(sub) -> None:
    import argparse
    p = sub.add_parser("sweep", help="sweep parameters over a design (grid, lhs, sobol, morris)",
                       description="Run SCENARIO at every point of an experiment design (R replicates a "
                                   "point) and write P(stays) with its 95% CI per point, charts and a "
                                   "resumable results store.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file (its sweep: block gives defaults)")
    p.add_argument("--param", action="append", metavar="PATH=LOW:HIGH[:N]",
                   help="a numeric parameter to vary (repeatable); N = grid levels (default 5)")
    p.add_argument("--design", choices=DESIGNS, help="experiment design (default grid)")
    p.add_argument("--samples", type=int, metavar="N",
                   help="lhs: points; sobol: base N (N*(2D+2) points); morris: trajectories (N*(D+1))")
    p.add_argument("--runs", type=int, metavar="R", help="replicates per design point (default: the scenario's)")
    p.add_argument("--seed", type=int, metavar="S", help="base seed (default: the scenario's)")
    p.add_argument("--workers", type=int, metavar="K", help="local worker processes (default 1: in-process)")
    p.add_argument("--dask", nargs="?", const="local", metavar="ADDRESS",
                   help="run on Dask: alone, a LocalCluster of --workers processes on 127.0.0.1; "
                        "or an existing scheduler, e.g. tcp://host:8786")
    add_dask_timeout(p)
    p.add_argument("--block", type=int, metavar="B",
                   help=f"replicates per task (default {DEFAULT_BLOCK}; results depend on it)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a parameter of the base scenario (repeatable)")
    p.add_argument("--fixed", action="store_true",
                   help="use point values for the parameters that are not swept (no draws from ranges)")
    p.add_argument("--independent-streams", action="store_true",
                   help="give each design point its own random numbers (default: common random numbers, "
                        "replicate i of every point draws what replicate i of `run --seed S` draws)")
    add_posterior_option(p)
    p.add_argument("--out", metavar="DIR", help="results store (default results/sweeps/<scenario>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep in DIR")
    p.add_argument("--force", action="store_true",
                   help="start again in a DIR that holds a sweep (removes only the files this program wrote)")
    p.add_argument("--allow-code-change", action="store_true",
                   help="with --resume: continue even though the code changed since the sweep began")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    p.add_argument("--no-charts", action="store_true", help="skip the PNG/SVG charts")
    add_format_option(p, "points.csv (one row per design point)")
    p.set_defaults(func=cmd_sweep)


def add_dask_timeout(p) -> None:
    from ..experiment.defaults import DEFAULT_DASK_TIMEOUT
    p.add_argument("--dask-timeout", type=float, default=DEFAULT_DASK_TIMEOUT, metavar="SECONDS",
                   help=f"how long to wait for the scheduler at --dask ADDRESS to answer "
                        f"(default {DEFAULT_DASK_TIMEOUT:g}); no answer: exit 2")


def _dask_target(value):
    if value in (None, False):
        return None
    if value is True or value == "local":
        return "local"
    text = str(value)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        raise UsageError(f"--dask took {text!r} as a scheduler address; put --dask after SCENARIO "
                         f"or write --dask=ADDRESS")
    if ":" not in text:
        raise UsageError(f"--dask: {text!r} is not a scheduler address (expected e.g. tcp://host:8786)")
    return text


def check_timeout(args) -> None:
    t = getattr(args, "dask_timeout", None)
    if t is not None and not (0 < t <= 3600):
        raise UsageError(f"--dask-timeout must be above 0 and at most 3600 seconds, got {t:g}")


def build_spec(args, resolved) -> tuple[SweepSpec, int, str | None]:
    """Merge the command line over the scenario's ``sweep:`` block; parse and check --param."""
    from ..experiment.designs import parse_param
    from ..experiment.sweep import SweepSpec
    declared = resolved.scenario.sweep or Sweep()
    sc = resolved.scenario
    if args.param:
        entries = [(text, ("--param", i)) for i, text in enumerate(args.param, start=1)]
    else:
        entries = []
        for i, text in enumerate(declared.param):
            where = resolved.origins.get(("sweep", "param", i)) or resolved.origin("sweep.param")
            entries.append((text, where))
    if not entries:
        raise UsageError("nothing to sweep: give --param PATH=LOW:HIGH[:N] (repeatable) or a sweep: block "
                         "with param: in the scenario")
    params = [parse_param(text, resolved, where, index=i) for i, (text, where) in enumerate(entries, start=1)]
    seen = set()
    for p in params:
        if p.path in seen:
            raise UsageError(f"--param: {p.path} is given twice")
        seen.add(p.path)
    design = args.design or declared.design
    samples = args.samples if args.samples is not None else declared.samples
    runs = args.runs or declared.runs or sc.runs
    seed = args.seed if args.seed is not None else (declared.seed if declared.seed is not None else sc.seed)
    block = args.block or declared.block or DEFAULT_BLOCK
    workers = args.workers or declared.workers or 1
    dask = _dask_target(args.dask if args.dask is not None else declared.dask)
    spec = SweepSpec(params=params, design=design, samples=samples, runs=int(runs), seed=int(seed),
                     block=int(block), fixed=bool(args.fixed or declared.fixed),
                     streams="independent" if (getattr(args, "independent_streams", False)
                                               or declared.independent_streams) else "common")
    return spec, int(workers), dask


def _command_line(plan) -> str:
    """The command as typed (``run.py sweep ...``), or, when called from Python with an
    argument list, the equivalent command line."""
    from ..experiment import provenance
    if sys.argv[1:2] == ["sweep"]:
        return provenance.command_line()
    return plan.command()


def run_plan(plan, out: Path, args, kind: str, workers: int, dask, command: str | None = None):
    """Run a planned sweep into ``out`` with a progress bar and write points.parquet.

    Shared by ``sweep`` and ``sensitivity``.  Returns (result, points), or None when the store
    or the executor cannot be used (the message is printed; the caller exits 1).
    """
    from ..analysis.sweep_points import points_table
    from ..experiment.executors import ExecutorUnavailable
    from ..experiment.sweep import run_sweep
    from ..experiment.sweep_store import StoreCorrupt, SweepMismatch
    name = plan.resolved.name
    for note in plan.design.notes:
        info(f"note: {note}", args.quiet)
    info(f"{kind} {name}: {plan.spec.design} design, {plan.points} points ({plan.design.formula}) x "
         f"{plan.spec.runs} runs = {plan.total_runs} runs in {len(plan.tasks)} tasks -> {out}", args.quiet)

    def on_failure(record):
        bar.write(f"task {record['task']} failed: {record['error']}", file=sys.stderr)

    with progress_bar(plan.total_runs, f"{kind} {name}", args.quiet) as bar:
        try:
            result = run_sweep(plan, out, workers=workers, dask=dask, resume=args.resume, force=args.force,
                               progress=bar.update, on_failure=on_failure, command=command,
                               allow_code_change=getattr(args, "allow_code_change", False),
                               dask_timeout=getattr(args, "dask_timeout", None))
        except (SweepMismatch, ExecutorUnavailable) as exc:
            raise UsageError(str(exc)) from None
        except StoreCorrupt as exc:
            print(f"error: {exc}", file=sys.stderr)
            return None
    for note in result.notes:
        info(f"note: {note}", args.quiet)
    points = points_table(result)
    write_parquet(out / "points.parquet", points)
    return result, points


def finish_sweep_folder(out: Path, points, charts: bool = True, csv: bool = False) -> None:
    """After the tasks: points.csv (on request), the charts and the report."""
    from ..analysis.report import write_report
    from ..charts.sweep_charts import draw_sweep
    if csv:
        write_csv(out / "points.csv", points)
    if charts:
        draw_sweep(out)
    write_report(out)
    mark_complete(out)


def where(executor: str) -> str:
    """'in this process', 'on processes (2 workers)', 'on dask scheduler tcp://...'."""
    return "in this process" if executor == "in-process" else f"on {executor}"


def cmd_sweep(args) -> int:
    from ..analysis.sweep_points import describe_response
    from ..experiment.sweep import plan_sweep
    check_limits(args)
    check_timeout(args)
    if args.resume and args.force:
        raise UsageError("--resume and --force contradict each other (continue, or start again?)")
    resolved = load_scenario(args.scenario, args.set)
    spec, workers, dask = build_spec(args, resolved)
    posterior = posterior_from_args(args, resolved, fixed=spec.fixed)
    try:
        plan = plan_sweep(resolved, spec, overrides=args.set, posterior=posterior)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out) if args.out else Path("results") / "sweeps" / resolved.name
    ran = run_plan(plan, out, args, "sweep", workers, dask, command=_command_line(plan))
    if ran is None:
        return 1
    result, points = ran
    finish_sweep_folder(out, points, charts=not args.no_charts, csv=args.format == "csv")

    print(f"{plan.points} points x {spec.runs} runs ({spec.design}: {plan.design.formula}); "
          f"{plural(result.executed, 'task')} run {where(result.executor)}, {result.skipped} already done; "
          f"{result.seconds:.1f} s")
    if plan.points <= 25:
        paths = list(plan.design.paths)
        fmts = {p: decimals_for(points[p].tolist()) for p in paths}
        rows = []
        for _, row in points.sort_values(paths, kind="stable").iterrows():
            cells = [fmts[p](row[p]) for p in paths]
            if row["runs"] > 0:
                cells += [str(int(row["runs"])),
                          f"{row['p_stays']:.3f} [{row['p_stays_ci95_low']:.3f}, {row['p_stays_ci95_high']:.3f}]",
                          f"{row['p_weapons']:.3f} [{row['p_weapons_ci95_low']:.3f}, {row['p_weapons_ci95_high']:.3f}]"]
            else:
                cells += ["0", "failed", "failed"]
            rows.append(cells)
        print(table(list(plan.design.paths) + ["runs", "P(stays) [95% CI]", "P(weapons) [95% CI]"], rows))
    else:
        for line in describe_response(points, plan.design.paths):
            print(line)
    info(f"wrote {out}", args.quiet)
    if result.failures:
        bad_points = sorted({f["point"] for f in result.failures})
        shown = ", ".join(map(str, bad_points[:10])) + (" ..." if len(bad_points) > 10 else "")
        print(f"{len(result.failures)} of {len(plan.tasks)} tasks failed (points {shown}); first error: "
              f"{result.failures[0]['error']}", file=sys.stderr)
        print(f"details in {out / 'failures.jsonl'}; the same command with --resume retries them "
              f"(a point the scenario rejects fails again)", file=sys.stderr)
        return 1
    return 0
