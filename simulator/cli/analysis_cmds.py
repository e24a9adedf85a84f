"""Analysis commands: ``compare``, ``plot``, ``sensitivity``, ``explain``, ``discover``, ``report``.

Each answers one question a reader can state:
  compare      which scenario keeps China in?  (common random numbers, paired differences)
  sensitivity  which assumption decides it?     (Sobol or Morris indices via SALib)
  explain      why did China step back (or up)? (the named utility terms of its decision)
  discover     under which assumptions does China break?  (PRIM boxes)
  plot/report  redraw every chart / rewrite report.md and report.html of any output folder
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from ..experiment.defaults import DEFAULT_BLOCK as DEFAULT_BLOCK_ALL
from ..experiment.store import (MARKER, check_complete, lock_folder, mark_complete, prepare_dir, read_marker,
                                write_json, write_parquet, write_text)
from ..scenario import load_scenario
from .common import (UsageError, add_posterior_option, at_least, check_limits, info, posterior_from_args, progress_bar,
                     table)

# The analysis layer (pandas, SALib, prim, matplotlib) loads inside the commands, so that
# `run.py --help` is fast.


def _usage(func):
    """Report analysis input errors as usage errors (one line, exit status 2)."""
    @functools.wraps(func)
    def wrapper(args):
        from ..analysis.inputs import AnalysisError
        try:
            return func(args)
        except AnalysisError as exc:
            raise UsageError(str(exc)) from None
    return wrapper


def _months(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--network-months {text!r}: expected whole months separated by commas, "
                         f"e.g. 0,18,36") from None


# ----------------------------------------------------------------------------- hooks

from .folders import STALE_ANALYSES, finish_run_folder  # noqa: F401  (re-exported)


# ----------------------------------------------------------------------------- parsers

def add_parser(sub) -> None:
    c = sub.add_parser("compare", help="compare scenarios side by side on common random numbers",
                       description="Run each SCENARIO with the same seed and replicates (common random "
                                   "numbers) and compare P(stays): a table with each difference from the "
                                   "first scenario and its own 95% CI, a dot-and-whisker chart and "
                                   "overlaid bands of China's rung.")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenario YAML files")
    c.add_argument("--runs", type=int, help="replicates per scenario (default: the first scenario's runs)")
    c.add_argument("--seed", type=int, help="common seed (default: the first scenario's seed)")
    c.add_argument("--out", help="output folder (default: results/compare)")
    c.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a numeric parameter in every scenario (repeatable)")
    add_posterior_option(c)
    c.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    c.add_argument("--force", action="store_true", help="overwrite a non-empty output folder")
    c.add_argument("--no-charts", action="store_true", help="skip the PNG/SVG charts")
    c.set_defaults(func=cmd_compare)

    p = sub.add_parser("plot", help="(re)draw every chart of a run, compare or sweep folder",
                       description="Redraw every chart of an output folder (its kind comes from "
                                   "manifest.json) and rewrite report.md/report.html.  Given a folder "
                                   "of output folders (results/), redraw every one below it and rewrite "
                                   "its index.html, index.md and summary.csv.")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--network-months", metavar="M,M,...",
                   help="months shown in the alignment network (default: the horizon)")
    p.set_defaults(func=cmd_plot)

    from ..experiment.defaults import ALL_RUNS, ALL_SAMPLES
    s = sub.add_parser("sensitivity", help="global sensitivity of P(stays) to chosen parameters, or to all (SALib)",
                       description="Sobol (first and total order) or Morris (mu*, sigma) indices of P(stays) "
                                   "and other outcomes, run through the sweep machinery (parallel, "
                                   "resumable).  With --all: every parameter the scenario draws, each over "
                                   "its own range, and robustness.md (what the answer depends on).")
    s.add_argument("scenario", metavar="SCENARIO")
    s.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="a parameter and the range to vary it over (repeatable)")
    s.add_argument("--all", action="store_true",
                   help="vary every drawn parameter of the scenario over its own range (not with --param); "
                        f"default method morris, {ALL_SAMPLES['morris']} trajectories, {ALL_RUNS} runs a point")
    s.add_argument("--method", choices=("sobol", "morris"), default=None,
                   help="sobol (default) or morris (default with --all)")
    s.add_argument("--samples", type=int, default=None,
                   help="base samples N (Sobol: N*(2D+2) points; Morris: N trajectories of D+1 points)")
    s.add_argument("--runs", type=int, help=f"replicates per design point (default: the scenario's runs; "
                                            f"{ALL_RUNS} with --all)")
    s.add_argument("--seed", type=int, help="base seed (default: the scenario's seed)")
    s.add_argument("--workers", type=int, help="local worker processes (default 1: in-process)")
    s.add_argument("--dask", nargs="?", const="local", metavar="ADDRESS",
                   help="run on Dask: alone, a LocalCluster of --workers processes; or a scheduler address")
    s.add_argument("--block", type=int, help="replicates per task (results depend on it)")
    s.add_argument("--out", help="output folder, a sweep store (default: results/sensitivity/<scenario>)")
    s.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a parameter of the base scenario (repeatable)")
    add_posterior_option(s)
    s.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    from .sweep_cmd import add_dask_timeout
    add_dask_timeout(s)
    s.add_argument("--allow-code-change", action="store_true",
                   help="with --resume: continue even though the code changed since the run began")
    s.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    s.add_argument("--force", action="store_true", help="start again in a folder that holds a sweep")
    s.add_argument("--no-charts", action="store_true", help="skip the PNG/SVG charts")
    s.set_defaults(func=cmd_sensitivity)

    e = sub.add_parser("explain", help="why China moved: the named utility terms of its decision",
                       description="Chart the named utility terms of China's support decision to Russia "
                                   "over time, and a waterfall of the terms that pushed the month its "
                                   "median rung changes; print the top drivers in plain words.")
    e.add_argument("folder", metavar="DIR", help="a run folder")
    e.add_argument("--month", type=int, help="explain this month instead of the first change")
    e.add_argument("--agent", metavar="STATE", default="china",
                   help="explain another state's decisions instead of China's (e.g. europe, united_states): "
                        "its level over time and its named terms at the rung chosen")
    e.set_defaults(func=cmd_explain)

    d = sub.add_parser("discover", help="scenario discovery: the parameter ranges where a target happens",
                       description="PRIM boxes (the `prim` package) of the parameter ranges under which "
                                   "TARGET holds, with coverage and density: on a run folder (drawn "
                                   "parameters) or a sweep folder (design points).")
    d.add_argument("folder", metavar="DIR", help="a run or sweep folder")
    d.add_argument("--target", required=True, metavar="EXPR",
                   help="expression over outcome columns, e.g. \"china_stays == 0\"")
    d.add_argument("--boxes", type=int, default=2, help="most boxes to find (default 2)")
    d.add_argument("--min-coverage", type=float, default=0.5,
                   help="choose the densest box keeping at least this share of the cases (default 0.5)")
    d.add_argument("--max-params", type=int, default=12,
                   help="search the parameters that differ most between cases and the rest (default 12)")
    d.add_argument("--include", action="append", default=[], metavar="PATH",
                   help="always search parameters whose path starts with PATH (repeatable)")
    d.add_argument("--max-qp", type=float, default=0.05,
                   help="drop box restrictions whose quasi-p value is above this (default 0.05)")
    d.set_defaults(func=cmd_discover)

    r = sub.add_parser("report", help="(re)write report.md and report.html of an output folder",
                       description="Assemble the summary table, charts, resolved scenario and provenance "
                                   "of a run, compare or sweep folder into report.md and report.html.")
    r.add_argument("folder", metavar="DIR")
    r.set_defaults(func=cmd_report)


# ----------------------------------------------------------------------------- compare

def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label) or "scenario"


def compare_setup(resolved: list, runs: int | None, seed: int | None):
    """Labels, sub-folders, runs, seed and notes of a comparison (the first scenario gives the
    defaults; every scenario runs with the same seed: common random numbers)."""
    from ..analysis import compare as cmp
    if len(resolved) < 2:
        raise UsageError("compare needs at least two scenarios")
    labels = cmp.unique_labels([r.name for r in resolved])
    folders = cmp.unique_labels([_safe(x) for x in labels])
    runs = int(runs or resolved[0].scenario.runs)
    seed = int(resolved[0].scenario.seed if seed is None else seed)
    notes = []
    others = sorted({r.name for r in resolved if r.scenario.seed != seed})
    if others:
        notes.append(f"every scenario runs with seed {seed} (common random numbers); the file seed of "
                     f"{', '.join(others)} is not used")
    horizons = {r.scenario.horizon_months for r in resolved}
    if len(horizons) > 1:
        notes.append(f"the scenarios have different horizons ({', '.join(map(str, sorted(horizons)))} months); "
                     f"each P(stays) is at its own horizon")
    return labels, folders, runs, seed, notes


def write_compare_folder(out: Path, resolved: list, members, runs: int, seed: int, overrides: list[str],
                         charts: bool = True, command: str | None = None, on_written=None, posterior=None):
    """Write a compare folder: each member's run folder as it comes from ``members`` (an iterable
    of (label, sub-folder, ensemble)), then compare.parquet, the manifest, charts and report.
    The one code path of `run.py compare` and ``simulator.compare(...).save``; returns the table."""
    from ..analysis import compare as cmp
    from ..analysis.report import write_report
    from ..experiment import provenance
    from .folders import write_run_folder
    out = Path(out)
    frames, entries = [], []
    extra = {"overrides": list(overrides)}
    if posterior is not None:
        extra["posterior"] = posterior.file
    for (label, sub, ens), res in zip(members, resolved):
        write_run_folder(out / sub, ens, args_line=command, charts=charts,
                         extra_manifest={**extra, "compare_label": label})
        frames.append((label, ens.outcomes))
        entries.append({"label": label, "name": res.name, "file": res.file, "folder": sub,
                        "scenario_hash": res.digest()})
        if on_written is not None:
            on_written(out / sub)
    comparison = cmp.compare_table(frames)
    manifest = {
        "kind": "compare", "runs": runs, "seed": seed, "scenarios": entries,
        "overrides": list(overrides), "command": command or provenance.command_line(),
        "time": provenance.now(), "git": provenance.git_hash(), "versions": provenance.versions(),
        "note": "common random numbers: every scenario ran with the same seed and replicates",
    }
    if posterior is not None:
        manifest["posterior"] = {"file": posterior.file, "sha256": posterior.sha256,
                                 "metadata": posterior.metadata, "rows": posterior.rows}
    write_parquet(out / "compare.parquet", comparison)
    write_json(out / "manifest.json", manifest)
    if charts:
        from ..charts.compare_charts import draw_compare
        draw_compare(out)
    write_report(out)
    mark_complete(out)
    return comparison


@_usage
def cmd_compare(args) -> int:
    from ..analysis import compare as cmp
    from ..experiment.ensemble import run_ensemble
    check_limits(args)
    if len(args.scenarios) < 2:
        raise UsageError("compare needs at least two scenarios")
    resolved = [load_scenario(path, args.set) for path in args.scenarios]     # validate all first
    labels, folders, runs, seed, notes = compare_setup(resolved, args.runs, args.seed)
    posterior = posterior_from_args(args, resolved)
    for note in notes:
        info(f"note: {note}", args.quiet)
    out = Path(args.out or "results/compare")
    prepare_dir(out, args.force, kind="compare")

    def members():
        for res, label, sub in zip(resolved, labels, folders):
            with progress_bar(runs, label, args.quiet) as bar:
                ens = run_ensemble(res, runs=runs, seed=seed, progress=bar.update, posterior=posterior)
            summaries.append(summarize(ens))
            yield label, sub, ens

    from ..analysis.index import draws_line
    from ..analysis.summary import summarize
    summaries: list[dict] = []
    comparison = write_compare_folder(out, resolved, members(), runs, seed, args.set,
                                      charts=not args.no_charts,
                                      on_written=lambda path: info(f"wrote {path}", args.quiet),
                                      posterior=posterior)
    headers, rows = cmp.table_lines(comparison)
    print(table(headers, rows))
    if posterior is not None:
        print(draws_line(summaries))
    print(f"\nCommon random numbers (seed {seed}, {runs} runs each): differences are paired run by run; "
          f"95% CI = mean +/- 1.96 sd/sqrt(n) of the per-run differences.")
    info(f"wrote {out}", args.quiet)
    return 0


# ----------------------------------------------------------------------------- plot / report

@_usage
def cmd_plot(args) -> int:
    paths = plot_folder(args.folder, network_months=_months(args.network_months))
    for p in paths:
        print(p)
    return 0


def plot_folder(folder: str | Path, network_months: list[int] | None = None) -> list[Path]:
    """Redraw every chart of a run, compare or sweep folder and rewrite its report(s); for a
    folder that holds such folders (results/), redraw each and rewrite its index."""
    from ..analysis import compare as cmp
    from ..analysis.inputs import folder_kind
    from ..analysis.report import write_report
    folder = Path(folder)
    if folder.is_dir() and not (folder / "manifest.json").exists() and not (folder / MARKER).exists():
        return _plot_tree(folder, network_months)
    hold_folder(folder)
    check_folder_complete(folder)
    kind = folder_kind(folder)
    if kind == "run":
        return _plot_run(folder, network_months)
    paths: list[Path] = []
    if kind == "compare":
        from ..charts.compare_charts import draw_compare
        for entry in cmp.members(folder):
            paths += _plot_run(entry["path"], network_months)
        paths += draw_compare(folder)
    else:
        paths += _plot_sweep(folder)
    paths += _plot_extras(folder)
    return paths + write_report(folder)


def _plot_tree(folder: Path, network_months) -> list[Path]:
    """Every run, compare and sweep folder below ``folder``, then its index."""
    from ..analysis.index import output_folders, write_index
    found = output_folders(folder)
    if not found:
        raise UsageError(f"{folder}: no run, compare or sweep folder in it or below it (no manifest.json)")
    paths: list[Path] = []
    for sub, _kind in found:
        paths += plot_folder(sub, network_months)
    return paths + write_index(folder)


def _plot_run(folder: Path, network_months) -> list[Path]:
    from ..charts.explain_charts import draw_explain
    from ..charts.network import draw_network
    from ..analysis.inputs import read_json
    from ..analysis.report import write_report
    from ..charts.run_charts import draw_run
    paths = draw_run(folder)
    paths += draw_network(folder, network_months)
    if (folder / "terms.parquet").exists():
        month = None
        if (folder / "explain.json").exists():
            month = read_json(folder / "explain.json").get("requested_month")
        paths += draw_explain(folder, month)
    paths += _plot_extras(folder)
    return paths + write_report(folder)


def _plot_extras(folder: Path) -> list[Path]:
    """Charts of analyses saved in the folder (scenario discovery, sensitivity)."""
    paths: list[Path] = []
    if (folder / "discovery.json").exists():
        paths += _draw_discovery_from_file(folder)
    if (folder / "sensitivity.parquet").exists():
        from ..charts.sensitivity_charts import draw_sensitivity
        paths += draw_sensitivity(folder)
    return paths


def _plot_sweep(folder: Path) -> list[Path]:
    from ..charts.sweep_charts import draw_sweep
    if not (folder / "points.parquet").exists():
        raise UsageError(f"{folder}: the sweep has no points.parquet yet (finish it with --resume)")
    return list(draw_sweep(folder) or [])


def _draw_discovery_from_file(folder: Path) -> list[Path]:
    from ..analysis.discovery import Discovery
    from ..analysis.inputs import read_json, read_manifest
    from ..charts.discovery_charts import draw_discovery
    d = Discovery.from_dict(read_json(folder / "discovery.json"))
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    return draw_discovery(folder, d, summary, read_manifest(folder))


def hold_folder(folder: Path) -> None:
    """Take the lock of an output folder that explain, discover, plot or report are about to read
    and write into, as the commands that write folders do, then check that it is complete.

    While one of them works, a `run --force`, `sweep --force` or `--resume` into the folder is
    refused (exit 2, naming this process), and it is refused itself while such a writer holds the
    folder.  A member of a compare folder is held with its compare folder (which `compare
    --force` clears).  A folder this program did not write is left alone (the command then says
    what it lacks)."""
    folder = Path(folder)
    if not folder.is_dir() or not ((folder / MARKER).exists() or (folder / "manifest.json").exists()):
        return
    parent = read_marker(folder.parent)
    if parent is not None and parent.get("kind") == "compare" and folder.name in parent.get("dirs", []):
        lock_folder(folder.parent)
    lock_folder(folder)
    check_folder_complete(folder)


def check_folder_complete(folder: Path) -> None:
    """Refuse a folder (or a member of a compare folder) whose writer did not finish."""
    from ..analysis.inputs import read_json
    folder = Path(folder)
    hint = "finish it with --resume" if (folder / "tasks").is_dir() else "run it again with --force"
    check_complete(folder, hint)
    marker_dirs = [folder / d for d in (read_json(folder / MARKER).get("dirs", []) if (folder / MARKER).exists() else [])]
    for sub in marker_dirs:
        if (sub / MARKER).exists():
            check_complete(sub, "run the compare again with --force")


@_usage
def cmd_report(args) -> int:
    from ..analysis.report import write_report
    hold_folder(Path(args.folder))
    check_folder_complete(Path(args.folder))
    for p in write_report(args.folder):
        print(p)
    return 0


# ----------------------------------------------------------------------------- explain

@_usage
def cmd_explain(args) -> int:
    from ..analysis.explain import explain_folder
    from ..analysis.report import write_report
    from ..charts.explain_charts import draw_explain
    folder = Path(args.folder)
    hold_folder(folder)
    if args.agent != "china":
        from ..analysis.explain import explain_agent
        data = explain_agent(folder, args.agent)
        write_json(folder / f"explain_{args.agent}.json", data)
        print("\n".join(data["text"]))
        info(f"wrote {folder / f'explain_{args.agent}.json'}")
        return 0
    ex = explain_folder(folder, args.month)
    data = ex.to_dict()
    data["requested_month"] = args.month
    write_json(folder / "explain.json", data)
    paths = draw_explain(folder, args.month, ex)
    write_report(folder)
    print("\n".join(ex.text))
    info("wrote " + ", ".join(str(p) for p in [folder / "explain.json", *paths]))
    return 0


# ----------------------------------------------------------------------------- discover

@_usage
def cmd_discover(args) -> int:
    from ..analysis.discovery import discover_folder
    from ..analysis.inputs import read_json, read_manifest
    from ..analysis.report import write_report
    from ..charts.discovery_charts import draw_discovery
    at_least(args.boxes, "--boxes")
    at_least(args.max_params, "--max-params")
    if not 0.0 <= args.min_coverage <= 1.0:
        raise UsageError("--min-coverage must be between 0 and 1")
    if not 0.0 < args.max_qp <= 1.0:
        raise UsageError("--max-qp must be in (0, 1]")
    folder = Path(args.folder)
    hold_folder(folder)
    d = discover_folder(folder, args.target, max_boxes=args.boxes, min_coverage=args.min_coverage,
                        max_params=args.max_params, include=args.include, max_qp=args.max_qp)
    write_json(folder / "discovery.json", d.to_dict())
    write_parquet(folder / "discovery.parquet", d.table())
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    paths = draw_discovery(folder, d, summary, read_manifest(folder))
    write_report(folder)
    unit = "runs" if d.source == "runs" else "design points"
    print(f"target '{d.target}': {d.cases} of {d.n} {unit} ({d.base_rate:.1%}); searched "
          f"{len(d.parameters)} parameters")
    for i, b in enumerate(d.boxes, start=1):
        print(f"\nbox {i}: coverage {b.coverage:.0%} (share of target cases inside), density "
              f"{b.density:.0%} (share of {unit} inside that hit the target), {b.count} {unit} inside")
        rows = [[p, f"{r['min']:.4g}", f"{r['max']:.4g}", f"{r['full_min']:.4g} to {r['full_max']:.4g}",
                 f"{r['qp']:.2g}"] for p, r in b.limits.iterrows()]
        if rows:
            print(table(["parameter", "box min", "box max", "full range", "quasi-p"], rows))
        else:
            print("(no restriction is distinguishable from chance)")
    info("wrote " + ", ".join(str(p) for p in [folder / "discovery.json", folder / "discovery.parquet", *paths]))
    return 0


# ----------------------------------------------------------------------------- sensitivity

@_usage
def cmd_sensitivity(args) -> int:
    """Sobol' or Morris indices through the sweep machinery (parallel, resumable, on Dask)."""
    from ..analysis.report import write_report
    from ..analysis.sensitivity import sensitivity_table, text_lines
    from ..experiment.defaults import ALL_RUNS, ALL_SAMPLES
    from ..experiment.designs import DEFAULT_SAMPLES, drawn_params, parse_param
    from ..experiment.sweep import DEFAULT_BLOCK, SweepSpec, plan_sweep
    from .sweep_cmd import _dask_target, run_plan
    check_limits(args)
    from .sweep_cmd import check_timeout
    check_timeout(args)
    if args.resume and args.force:
        raise UsageError("--resume and --force contradict each other (continue, or start again?)")
    if args.all and args.param:
        raise UsageError("--all and --param contradict each other (--all varies every drawn parameter over "
                         "its own range; give one or the other)")
    if not args.param and not args.all:
        raise UsageError("give the parameters to study: --param PATH=LOW:HIGH (repeatable), or --all")
    method = args.method or ("morris" if args.all else "sobol")
    resolved = load_scenario(args.scenario, args.set)
    if args.all:
        params = drawn_params(resolved)
        if not params:
            raise UsageError(f"--all: {resolved.file} draws no parameter (every range is a single value or "
                             f"fixed by --set); nothing to vary")
    else:
        params = [parse_param(text, resolved, ("--param", None), index=i) for i, text in enumerate(args.param, 1)]
    seen = set()
    for prm in params:
        if prm.path in seen:
            raise UsageError(f"--param: {prm.path} is given twice")
        seen.add(prm.path)
        if not prm.high > prm.low:
            raise UsageError(f"--param {prm.path}: sensitivity needs LOW < HIGH")
    posterior = posterior_from_args(args, resolved, fixed=False)
    sc = resolved.scenario
    seed = int(sc.seed if args.seed is None else args.seed)
    samples = args.samples or (ALL_SAMPLES if args.all else DEFAULT_SAMPLES)[method]
    runs = int(args.runs or (ALL_RUNS if args.all else sc.runs))
    spec = SweepSpec(params=params, design=method, samples=samples, runs=runs,
                     seed=seed, block=int(args.block or DEFAULT_BLOCK))
    try:
        plan = plan_sweep(resolved, spec, overrides=args.set, posterior=posterior)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out) if args.out else Path("results") / "sensitivity" / resolved.name
    if args.all:
        print(f"{method} design over all {len(params)} drawn parameters of {resolved.name}: "
              f"{plan.points:,} points ({plan.design.formula}) x {spec.runs} runs = {plan.total_runs:,} runs")
    ran = run_plan(plan, out, args, "sensitivity", int(args.workers or 1), _dask_target(args.dask))
    if ran is None:
        return 1
    result, points = ran
    if result.failures:
        mark_complete(out)
        print(f"{len(result.failures)} of {len(plan.tasks)} tasks failed; first error: "
              f"{result.failures[0]['error']}; details in {out / 'failures.jsonl'}; fix the cause and run "
              f"the same command with --resume", file=sys.stderr)
        return 1
    indices, notes = sensitivity_table(plan.design, points, seed=seed, sweep_seed=seed)
    write_parquet(out / "sensitivity.parquet", indices)
    lines = text_lines(indices)
    write_json(out / "sensitivity.json", {"method": method, "samples": spec.samples,
                                          "points": plan.points, "runs": spec.runs, "seed": seed,
                                          "params": [prm.to_dict() for prm in params], "notes": notes,
                                          "text": lines})
    if args.all:
        from ..analysis.robustness import robustness_markdown
        meta = {"scenario": resolved.name, "method": method, "samples": spec.samples, "points": plan.points,
                "formula": plan.design.formula, "runs": spec.runs, "seed": seed, "parameters": len(params),
                "data": resolved.data, "command": all_command(args.scenario, method, spec, args.set)}
        write_text(out / "robustness.md", robustness_markdown(indices, points, meta, notes))
    if not args.no_charts:
        from ..charts.sensitivity_charts import draw_sensitivity
        from ..charts.sweep_charts import draw_sweep
        draw_sweep(out)
        draw_sensitivity(out)
    write_report(out)
    mark_complete(out)
    shown = indices[indices["output"] == "p_stays"] if (indices["output"] == "p_stays").any() else indices
    if args.all:                          # the ranking is long: the top of it here, all of it in robustness.md
        key = "ST" if method == "sobol" else "mu_star"
        shown = shown.sort_values(key, ascending=False, kind="stable").head(ALL_SHOWN)
    if method == "sobol":
        rows = [[r.parameter, f"{r.S1:.3f} +/- {r.S1_conf:.3f}", f"{r.ST:.3f} +/- {r.ST_conf:.3f}"]
                for r in shown.sort_values("ST", ascending=False).itertuples()]
        headers = ["parameter", "first order S1 [95% CI]", "total order ST [95% CI]"]
    else:
        rows = [[r.parameter, f"{r.mu_star:.3f} +/- {r.mu_star_conf:.3f}", f"{r.sigma:.3f}"]
                for r in shown.sort_values("mu_star", ascending=False).itertuples()]
        headers = ["parameter", "mu* [95% CI]", "sigma"]
    print(f"{shown['output_label'].iloc[0]}: {method} indices over {plan.points} design points x "
          f"{spec.runs} runs ({plan.design.formula})")
    print(table(headers, rows))
    for line in lines + notes:
        print(line)
    if args.all:
        print(f"the {len(shown)} most influential of {len(params)} parameters; every one, with its source, in "
              f"{out / 'robustness.md'}")
    info(f"wrote {out}", args.quiet)
    return 0


#: Rows of the ranking that ``sensitivity --all`` prints (robustness.md has all of them).
ALL_SHOWN = 15


def all_command(scenario: str, method: str, spec, overrides: list[str]) -> str:
    """The command line that reproduces a ``sensitivity --all`` result (any --out, --workers or
    executor gives the same numbers)."""
    import shlex
    parts = ["python", "run.py", "sensitivity", shlex.quote(str(scenario)), "--all", "--method", method,
             "--samples", str(spec.samples), "--runs", str(spec.runs), "--seed", str(spec.seed)]
    if spec.block != DEFAULT_BLOCK_ALL:
        parts += ["--block", str(spec.block)]
    parts += [f"--set {shlex.quote(o)}" for o in overrides]
    return " ".join(parts)
