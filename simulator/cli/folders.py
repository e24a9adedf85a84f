"""Run folders: what ``run``, ``compare`` and ``simulator.run(...).save`` write, in one place
(below the command modules, so that no import cycle joins them)."""

from __future__ import annotations

from pathlib import Path

from ..experiment.store import (claim, make_dir, mark_complete, read_marker, write_csv, write_json, write_parquet,
                                write_yaml)

# numpy, pandas, mesa and matplotlib load inside the functions, so that `run.py --help` is fast.


#: Outputs of explain/discover that describe one particular run of a folder.
STALE_ANALYSES = ("explain.json", "explain_*.json", "explain_terms.*", "explain_waterfall.*", "discovery.json",
                  "discovery.parquet", "discovery.png", "discovery.svg")

def finish_run_folder(out: Path, ens, charts: bool = True) -> None:
    """What every run folder gets besides its summary, tables and charts: the alignment-network data
    (links.parquet), its chart, and report.md/html.  Called from write_run_folder."""
    from ..analysis.report import write_report
    from ..analysis.summary import link_rungs_table, links_table
    out = Path(out)
    for stale in STALE_ANALYSES:           # from an earlier run in this folder (--force): no longer true
        for path in out.glob(stale):
            path.unlink(missing_ok=True)
    write_parquet(out / "links.parquet", links_table(ens))
    write_parquet(out / "link_rungs.parquet", link_rungs_table(ens))
    if charts:
        from ..charts.network import draw_network
        draw_network(out)
    write_report(out)


def run_manifest(ens, args_line: str | None = None, extra_manifest: dict | None = None) -> dict:
    """The manifest.json of a run folder: what ran, with which seed, command and versions."""
    from ..experiment import provenance
    resolved = ens.resolved
    return {
        "kind": "run", "scenario": resolved.name, "scenario_file": resolved.file,
        "scenario_hash": resolved.digest(), "runs": ens.runs, "seed": ens.seed, "fixed": ens.fixed,
        "command": args_line or provenance.command_line(), "time": provenance.now(),
        "git": provenance.git_hash(), "versions": provenance.versions(),
        **(extra_manifest or {}),
    }


def write_run_folder(out: Path, ens, args_line: str | None = None, charts: bool = True,
                     extra_manifest: dict | None = None, csv: bool = False) -> dict:
    """Write everything a run folder holds (the one code path of `run.py run`, `compare` and
    ``simulator.run(...).save``); return the summary."""
    from ..analysis.summary import (bands, policies_table, policy_terms_table, summarize, terms_by_outcome_table,
                                    terms_table)
    resolved = ens.resolved
    if read_marker(out) is None:          # a folder this program owns (its marker lists what it wrote)
        make_dir(out)
        claim(out, "run")
    summary = summarize(ens)
    manifest = run_manifest(ens, args_line, extra_manifest)
    write_yaml(out / "scenario.resolved.yaml", resolved.data)
    write_parquet(out / "runs.parquet", ens.outcomes)
    if csv:
        write_csv(out / "runs.csv", ens.outcomes)
    write_parquet(out / "bands.parquet", bands(ens))
    write_parquet(out / "terms.parquet", terms_table(ens))
    write_parquet(out / "terms_by_outcome.parquet", terms_by_outcome_table(ens))
    write_parquet(out / "policies.parquet", policies_table(ens))
    write_parquet(out / "policy_terms.parquet", policy_terms_table(ens))
    write_json(out / "manifest.json", manifest)
    write_json(out / "summary.json", summary)
    if charts:
        from ..charts.run_charts import draw_run
        draw_run(out)
    finish_run_folder(out, ens, charts=charts)
    mark_complete(out)
    return summary
