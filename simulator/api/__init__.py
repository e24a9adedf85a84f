"""The Python API: ``simulator.run``, ``simulator.compare``, ``simulator.sweep``, ``simulator.explain``.

Each mirrors a command of ``run.py`` and returns objects holding DataFrames (not file paths);
``.save(folder)`` writes the same folder the command writes, through the same code.  See
docs/api.md.

A scenario is a path to a YAML file, the name of a bundled scenario ("baseline",
"secondary_sanctions", ...) or a dict with what a scenario file holds.  A relative path is
looked up in the folder of the calling script (or notebook: the working folder), then in the
working folder; bundled names work from anywhere.

This is the top layer: it may import every other layer, and none imports it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..scenario import Resolved, ScenarioError, load_scenario, load_scenario_data

#: The scenario files that come with axis-sim (``run("baseline")`` finds them from anywhere).
BUNDLED = Path(__file__).resolve().parents[2] / "scenarios"

#: ``Result.plot`` kinds: the charts of a run folder.
RUN_PLOTS = ("china_rung", "theatres", "network", "explain_terms", "explain_waterfall")
#: ``Comparison.plot`` kinds: the charts of a compare folder.
COMPARE_PLOTS = ("compare_pstays", "compare_rung")

__all__ = ["run", "compare", "sweep", "explain", "load", "bundled", "Result", "Comparison", "SweepResult"]


# ----------------------------------------------------------------------------- scenarios

def bundled() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def _caller_dir() -> Path:
    """The folder of the first caller outside this package (the working folder for a notebook,
    the interactive prompt, or ``python -c``)."""
    here = Path(__file__).resolve().parent
    frame = sys._getframe(1)
    while frame is not None:
        file = frame.f_globals.get("__file__")
        if not file:
            break
        if Path(file).resolve().parent != here:
            return Path(file).resolve().parent
        frame = frame.f_back
    return Path.cwd()


def find_scenario(ref: str | os.PathLike, where: Path | None = None) -> Path:
    """The scenario file ``ref`` names: a path (absolute; else relative to ``where``, the
    caller's folder, then to the working folder) or a bundled scenario's name."""
    where = where or _caller_dir()
    path = Path(ref).expanduser()
    if path.is_absolute():
        return path
    for base in (where, Path.cwd()):
        if (base / path).is_file():
            return base / path
    name = str(ref)
    for candidate in (BUNDLED / name, BUNDLED / f"{name}.yaml"):
        if candidate.parent == BUNDLED and candidate.is_file():
            return candidate
    raise ScenarioError(name, None, "", f"no such scenario file (looked in {where} and {Path.cwd()}); "
                                        f"bundled scenarios: {', '.join(bundled())}")


def _overrides(values) -> list[str]:
    """``set=`` as a list of 'PATH=VALUE' strings (from a dict, a string or a list)."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    if isinstance(values, Mapping):
        return [f"{k}={v}" for k, v in values.items()]
    return [str(v) for v in values]


def load(scenario, set=None, where: Path | None = None) -> Resolved:  # noqa: A002 - mirrors --set
    """The validated scenario (a :class:`~simulator.scenario.Resolved`) for a path, a bundled
    name or a dict, with ``set`` overrides; bad input raises ScenarioError."""
    where = where or _caller_dir()
    overrides = _overrides(set)
    if isinstance(scenario, Resolved):
        if not overrides:
            return scenario
        from ..scenario import parse_override, resolve_data
        values = [parse_override(item, i) for i, item in enumerate(overrides, start=1)]
        return resolve_data(scenario.data, values, scenario.file, scenario.origins)
    if isinstance(scenario, Mapping):
        data = dict(scenario)
        label = f"<dict {data.get('name', '?')}>"
        if isinstance(data.get("extends"), (str, os.PathLike)):
            try:
                data["extends"] = str(find_scenario(data["extends"], where))
            except ScenarioError as exc:
                raise ScenarioError(label, 1, "extends", f"file not found: {data['extends']} "
                                                         f"({exc.message})") from None
        return load_scenario_data(data, overrides, base_dir=where, label=label)
    if isinstance(scenario, (str, os.PathLike)):
        return load_scenario(find_scenario(scenario, where), overrides)
    raise TypeError(f"scenario must be a path, a bundled name or a dict, not {type(scenario).__name__}")


def _check_counts(runs, seed, workers=1) -> None:
    for value, name, low in ((runs, "runs", 1), (seed, "seed", 0), (workers, "workers", 1)):
        if value is not None and (not isinstance(value, int) or value < low):
            raise ValueError(f"{name} must be a whole number of at least {low}, got {value!r}")


def _command(verb: str, resolved_list: list[Resolved], options: list[str]) -> str:
    """The `run.py` command that gives the same result (a dict scenario has no file: it says so)."""
    files = []
    for r in resolved_list:
        files.append(shlex.quote(r.file) if not r.file.startswith("<") else f"<{r.name}: scenario given as a dict>")
    return " ".join(["python run.py", verb, *files, *options])


def _posterior(file, resolved, fixed: bool = False):
    """The checked posterior of ``file`` (None: none), as ``--posterior`` reads it."""
    if file is None:
        return None
    if fixed:
        raise ValueError("posterior and fixed contradict each other (a posterior draws each replicate's values)")
    from ..scenario.posterior import load_posterior
    return load_posterior(os.fspath(file), resolved)


def _options(runs, seed, overrides, fixed=False, workers=1, posterior=None) -> list[str]:
    out = []
    if runs is not None:
        out += ["--runs", str(runs)]
    if seed is not None:
        out += ["--seed", str(seed)]
    for item in overrides:
        out += ["--set", shlex.quote(item)]
    if fixed:
        out.append("--fixed")
    if workers and workers > 1:
        out += ["--workers", str(workers)]
    if posterior is not None:
        out += ["--posterior", shlex.quote(posterior.file)]
    return out


def _detached(fig):
    """A Figure pyplot no longer tracks: a notebook shows it once (as the cell's value), and
    figures drawn in a loop do not pile up; ``fig.savefig`` works as usual."""
    import matplotlib.pyplot as plt
    plt.close(fig)
    return fig


def _prepare(folder, force: bool) -> Path:
    from ..experiment.store import prepare_dir
    return prepare_dir(Path(folder), force)


# ----------------------------------------------------------------------------- run

class Result:
    """One Monte Carlo ensemble of a scenario, as ``run.py run`` computes it.

    ``summary`` (the summary.json dict), ``runs`` (one row per replicate: outcomes and drawn
    parameters), ``bands`` (per-month quantiles and rung shares), ``terms`` and ``links``
    are computed from the same ensemble; ``plot(kind)`` draws a chart, ``save(folder)`` writes
    the run folder.
    """

    def __init__(self, ensemble, overrides: list[str] | None = None, command: str | None = None):
        from ..analysis.summary import summarize
        self.ensemble = ensemble
        self.overrides = list(overrides or [])
        self.command = command
        self.summary: dict = summarize(ensemble)
        self._tables: dict = {}

    # -- data ------------------------------------------------------------------------------
    @property
    def scenario(self) -> Resolved:
        return self.ensemble.resolved

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def runs(self):
        """One row per replicate: outcomes (china_stays, china_rung, front, ...) and every drawn
        parameter value (columns named by dotted path)."""
        return self.ensemble.outcomes

    def _table(self, name: str):
        if name not in self._tables:
            from ..analysis import summary as s
            make = {"bands": s.bands, "terms": s.terms_table, "terms_by_outcome": s.terms_by_outcome_table,
                    "links": s.links_table}[name]
            self._tables[name] = make(self.ensemble)
        return self._tables[name]

    @property
    def bands(self):
        """Per month and series: mean and 10/25/50/75/90% quantiles; rung shares (bands.parquet)."""
        return self._table("bands")

    @property
    def terms(self):
        """Mean of each named utility term of China's decision, per month and rung (terms.parquet)."""
        return self._table("terms")

    @property
    def links(self):
        """Mean commitment of every directed support link per month (links.parquet)."""
        return self._table("links")

    @property
    def p_stays(self) -> float:
        """P(China stays): the share of runs with China's rung to Russia at or above the
        threshold at the horizon (its 95% CI is ``summary['outcomes']['china_stays']['ci95']``)."""
        return float(self.summary["outcomes"]["china_stays"]["probability"])

    @property
    def manifest(self) -> dict:
        from ..cli.folders import run_manifest
        return run_manifest(self.ensemble, self.command, {"overrides": self.overrides})

    # -- charts and files ------------------------------------------------------------------
    def plot(self, kind: str = "china_rung", month: int | None = None, network_months=None):
        """A chart of this run as a matplotlib Figure: one of ``RUN_PLOTS``.  ``month`` picks the
        month that explain_* charts explain; ``network_months`` the months of the network."""
        return _detached(self._figure(kind, month, network_months))

    def _figure(self, kind: str, month: int | None, network_months):
        manifest = self.manifest
        if kind == "china_rung":
            from ..charts.run_charts import china_rung_figure
            return china_rung_figure(self.bands, self.summary, manifest)
        if kind == "theatres":
            from ..charts.run_charts import theatres_figure
            return theatres_figure(self.bands, self.summary, manifest)
        if kind == "network":
            from ..charts.network import network_figure
            return network_figure(self.links, self.summary, manifest, network_months)
        if kind in ("explain_terms", "explain_waterfall"):
            from ..charts.explain_charts import terms_figure, waterfall_figure
            ex = explain(self, month)
            return (terms_figure if kind == "explain_terms" else waterfall_figure)(ex, self.summary, manifest)
        raise ValueError(f"plot kind {kind!r}: expected one of {', '.join(RUN_PLOTS)}")

    def explain(self, month: int | None = None):
        """Why China moved (or holds): see :func:`explain`."""
        return explain(self, month)

    def save(self, folder, force: bool = False, charts: bool = True, csv: bool = False) -> Path:
        """Write the folder ``run.py run`` writes (summary.json, runs.parquet, bands, terms,
        manifest, charts, report.md/html) and return its path.  A non-empty folder is only
        overwritten with ``force=True``; ``csv=True`` also writes runs.csv."""
        from ..cli.folders import write_run_folder
        out = _prepare(folder, force)
        extra = {"overrides": self.overrides}
        if self.ensemble.posterior is not None:
            extra["posterior"] = self.ensemble.posterior.file
        write_run_folder(out, self.ensemble, args_line=self.command, charts=charts,
                         extra_manifest=extra, csv=csv)
        return out

    def __repr__(self) -> str:
        o = self.summary["outcomes"]["china_stays"]
        lo, hi = o["ci95"]
        return (f"<Result {self.name}: {self.ensemble.runs} runs, seed {self.ensemble.seed}, "
                f"P(stays) {o['probability']:.3f} [{lo:.3f}, {hi:.3f}]>")


def run(scenario, runs: int | None = None, seed: int | None = None, set=None,  # noqa: A002
        fixed: bool = False, workers: int = 1, posterior=None, spread: bool = True,
        spread_draws: int | None = None, spread_runs: int | None = None) -> Result:
    """Run a scenario as a Monte Carlo ensemble, as ``run.py run`` does.

    ``scenario``: a path, a bundled name ("baseline") or a dict; ``runs`` and ``seed`` default
    to the scenario's; ``set``: overrides ('PATH=VALUE' strings, or a dict {path: value});
    ``fixed``: point values instead of draws from ranges; ``workers``: local processes (the
    result is the same for any number); ``posterior``: a posterior file (as ``--posterior``)
    from whose rows each replicate draws its parameters instead of the prior ranges.
    ``spread``: also compute the parameter-uncertainty spread of P(stays) (``spread_draws``
    parameter draws x ``spread_runs`` runs each; separately seeded, it changes no other number),
    in ``summary['outcomes']['china_stays']['parameter_spread']``.
    """
    from ..experiment.defaults import SPREAD_DRAWS, SPREAD_RUNS
    from ..experiment.ensemble import run_ensemble
    _check_counts(runs, seed, workers)
    draws, per = int(spread_draws or SPREAD_DRAWS), int(spread_runs or SPREAD_RUNS)
    if draws < 1 or per < 1:
        raise ValueError("spread_draws and spread_runs must be at least 1")
    overrides = _overrides(set)
    resolved = load(scenario, overrides, where=_caller_dir())
    post = _posterior(posterior, resolved, fixed)
    ens = run_ensemble(resolved, runs=runs, seed=seed, fixed=fixed, workers=workers, posterior=post)
    options = _options(ens.runs, ens.seed, overrides, fixed, workers, post)
    if spread:
        from ..experiment.spread import parameter_spread
        ens.parameter_spread = parameter_spread(resolved, seed=ens.seed, draws=draws, runs_per_draw=per, fixed=fixed,
                                                posterior=post)
        options += (["--spread-draws", str(draws)] if draws != SPREAD_DRAWS else []) + \
            (["--spread-runs", str(per)] if per != SPREAD_RUNS else [])
    else:
        options.append("--no-spread")
    command = _command("run", [resolved], options)
    return Result(ens, overrides, command)


# ----------------------------------------------------------------------------- compare

class Comparison:
    """Scenarios run on common random numbers, as ``run.py compare`` runs them.

    ``table``: one row per scenario with P(stays), the paired difference from the first
    scenario and its 95% CI, and the other compared outcomes; ``results``: each scenario's
    :class:`Result` by label.
    """

    def __init__(self, results: list[Result], labels: list[str], folders: list[str], runs: int, seed: int,
                 overrides: list[str], command: str, notes: list[str]):
        from ..analysis.compare import compare_table
        self.labels = labels
        self.folders = folders
        self.results = dict(zip(labels, results))
        self.runs, self.seed = runs, seed
        self.overrides, self.command, self.notes = overrides, command, notes
        self.table = compare_table([(label, r.runs) for label, r in self.results.items()])

    def plot(self, kind: str = "compare_pstays"):
        """A compare chart as a matplotlib Figure: one of ``COMPARE_PLOTS``."""
        return _detached(self._figure(kind))

    def _figure(self, kind: str):
        from ..charts import compare_charts as cc
        first = next(iter(self.results.values()))
        threshold = int(first.summary.get("stay_threshold", 2))
        manifest = {"kind": "compare", "runs": self.runs, "seed": self.seed, **_provenance()}
        if kind == "compare_pstays":
            return cc.pstays_figure(self.table, manifest, threshold, first.summary.get("horizon_months"))
        if kind == "compare_rung":
            members = [{"label": label, "summary": r.summary, "bands": r.bands, "path": None}
                       for label, r in self.results.items()]
            return cc.rung_figure(members, manifest, threshold)
        raise ValueError(f"plot kind {kind!r}: expected one of {', '.join(COMPARE_PLOTS)}")

    def save(self, folder, force: bool = False, charts: bool = True) -> Path:
        """Write the folder ``run.py compare`` writes (one sub-folder per scenario, compare.parquet,
        charts, report) and return its path."""
        from ..cli.analysis_cmds import write_compare_folder
        out = _prepare(folder, force)
        resolved = [r.scenario for r in self.results.values()]
        members = [(label, sub, r.ensemble) for (label, r), sub in zip(self.results.items(), self.folders)]
        first = next(iter(self.results.values()))
        write_compare_folder(out, resolved, members, self.runs, self.seed, self.overrides, charts=charts,
                             command=self.command, posterior=first.ensemble.posterior)
        return out

    def __repr__(self) -> str:
        return f"<Comparison {', '.join(self.labels)}: {self.runs} runs each, seed {self.seed}>"


def _provenance() -> dict:
    from ..experiment import provenance
    return {"git": provenance.git_hash(), "versions": provenance.versions()}


def compare(scenarios, runs: int | None = None, seed: int | None = None, set=None,  # noqa: A002
            workers: int = 1, posterior=None) -> Comparison:
    """Run two or more scenarios on common random numbers, as ``run.py compare`` does: the same
    seed and replicates for each (the first scenario's, unless given), so differences are paired
    run by run."""
    from ..cli.analysis_cmds import compare_setup
    from ..cli.common import UsageError
    from ..experiment.ensemble import run_ensemble
    _check_counts(runs, seed, workers)
    overrides = _overrides(set)
    where = _caller_dir()
    if isinstance(scenarios, (str, os.PathLike, Mapping)):
        raise TypeError("compare takes a list of scenarios")
    resolved = [load(s, overrides, where=where) for s in scenarios]
    try:
        labels, folders, runs, seed, notes = compare_setup(resolved, runs, seed)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    post = _posterior(posterior, resolved)
    results = []
    for res in resolved:
        ens = run_ensemble(res, runs=runs, seed=seed, workers=workers, posterior=post)
        results.append(Result(ens, overrides, _command("run", [res], _options(runs, seed, overrides,
                                                                              posterior=post))))
    command = _command("compare", resolved, _options(runs, seed, overrides, posterior=post))
    return Comparison(results, labels, folders, runs, seed, overrides, command, notes)


# ----------------------------------------------------------------------------- sweep

class SweepResult:
    """A finished sweep: ``points`` (one row per design point: the parameter values, runs,
    P(stays) with its 95% CI and the other outcomes), ``folder`` (its results store)."""

    def __init__(self, folder: Path, points, plan, failures: list[dict]):
        self.folder = Path(folder)
        self.points = points
        self.plan = plan
        self.failures = failures

    @property
    def params(self) -> list[str]:
        return list(self.plan.design.paths)

    def plot(self):
        """The sweep chart as a Figure: P(stays) against the parameter (one), a heat map (two)
        or small multiples (more)."""
        return _detached(self._figure())

    def _figure(self):
        from ..analysis.inputs import read_manifest
        from ..charts import sweep_charts as sc
        manifest = read_manifest(self.folder)
        params = (manifest.get("design") or {}).get("params") or []
        if len(params) == 1:
            return sc.response_figure(self.points, manifest, params[0])
        if len(params) == 2:
            return sc.heatmap_figure(self.points, manifest, params)
        return sc.multiples_figure(self.points, manifest, params)

    def save(self, folder, force: bool = False) -> Path:
        """Copy the sweep's folder (store, points.parquet, charts, report) to ``folder``."""
        out = _prepare(folder, force)
        shutil.copytree(self.folder, out, dirs_exist_ok=True)
        return out

    def __repr__(self) -> str:
        return f"<SweepResult {self.plan.resolved.name}: {len(self.points)} points over {', '.join(self.params)}>"


def _param_texts(params) -> list[str]:
    if isinstance(params, str):
        return [params]
    if isinstance(params, Mapping):
        out = []
        for path, spec in params.items():
            if isinstance(spec, str):
                out.append(f"{path}={spec}")
            else:
                out.append(f"{path}=" + ":".join(f"{v:g}" if isinstance(v, float) else str(v) for v in spec))
        return out
    return [str(p) for p in params]


def sweep(scenario, params, design: str | None = None, samples: int | None = None, runs: int | None = None,
          seed: int | None = None, set=None, fixed: bool = False, workers: int = 1,  # noqa: A002
          dask: str | None = None, block: int | None = None, out=None, resume: bool = False,
          force: bool = False, charts: bool = True, posterior=None) -> SweepResult:
    """Run a scenario at every point of an experiment design, as ``run.py sweep`` does.

    ``params``: {path: (low, high)} or {path: (low, high, levels)}, or 'PATH=LOW:HIGH[:N]'
    strings; ``design``: grid (default), lhs, sobol or morris; ``out``: the results store
    (default: a new temporary folder); ``posterior``: a posterior file, as ``--posterior``.
    Other arguments as for :func:`run` and the command.
    """
    import argparse

    from ..cli import sweep_cmd
    from ..cli.common import UsageError
    from ..experiment.sweep import plan_sweep
    _check_counts(runs, seed, workers)
    if resume and force:
        raise ValueError("resume and force contradict each other")
    overrides = _overrides(set)
    resolved = load(scenario, overrides, where=_caller_dir())
    args = argparse.Namespace(param=_param_texts(params), design=design, samples=samples, runs=runs, seed=seed,
                              block=block, workers=workers, dask=dask, fixed=fixed, set=overrides,
                              resume=resume, force=force, quiet=True, no_charts=not charts, format="parquet")
    try:
        spec, workers, dask = sweep_cmd.build_spec(args, resolved)
        post = _posterior(posterior, resolved, spec.fixed)
        plan = plan_sweep(resolved, spec, overrides=overrides, posterior=post)
    except (UsageError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"axis-sim-sweep-{resolved.name}-"))
    try:
        ran = sweep_cmd.run_plan(plan, folder, args, "sweep", workers, dask, command=plan.command())
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    if ran is None:
        raise RuntimeError(f"the sweep could not run in {folder} (see the message above)")
    result, points = ran
    sweep_cmd.finish_sweep_folder(folder, points, charts=charts, csv=False)
    return SweepResult(folder, points, plan, result.failures)


# ----------------------------------------------------------------------------- explain

def explain(result, month: int | None = None):
    """Why China moved (or holds), as ``run.py explain`` says it: an Explanation with ``held``
    (month x term DataFrame of the utility terms at the rung chosen), ``push`` (each term's push
    in the month explained), ``text`` (the plain-words lines) and ``to_dict()``.

    ``result``: a :class:`Result` or a run folder.
    """
    from ..analysis.explain import explain_folder, explain_tables
    if isinstance(result, Result):
        return explain_tables(result.terms, result.bands, result._table("terms_by_outcome"), month=month,
                              summary=result.summary)
    if isinstance(result, (str, os.PathLike)):
        folder = Path(result)
        if not folder.is_absolute():
            folder = _caller_dir() / folder if (_caller_dir() / folder).exists() else folder
        return explain_folder(folder, month)
    raise TypeError(f"explain takes a Result or a run folder, not {type(result).__name__}")
