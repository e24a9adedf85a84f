"""report.md and report.html for a run, compare or sweep folder.

A report assembles what is already in the folder -- the summary table, every chart,
the explanation of China's move, scenario discovery and sensitivity results when
present, the resolved scenario and the provenance (the sources of the parameters
that matter most, the command, versions and git hash).  It draws nothing itself:
``python run.py plot DIR`` redraws the charts and rewrites the report.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..experiment.store import write_text
from ..scenario.schema import RUNG_NAMES
from .inputs import (AnalysisError, folder_kind, is_param_column, param_entry, read_json, read_manifest,
                     read_parquet, read_resolved)

#: Charts in reading order (anything else found in the folder follows, alphabetically).
CHART_ORDER = [
    ("china_rung", "Does China stay aligned with Russia? China's support rung over time"),
    ("compare_pstays", "Which scenario keeps China aligned? P(stays) per scenario"),
    ("compare_rung", "China's support to Russia under each scenario"),
    ("explain_terms", "What weighs on China's support, month by month"),
    ("explain_waterfall", "Why China moved: the terms that pushed it"),
    ("policies", "Who did what: Western and regional decisions next to China's"),
    ("network", "Who backs whom inside the axis"),
    ("theatres", "How the three theatres evolve"),
    ("sensitivity", "Which assumptions decide it: sensitivity indices"),
    ("discovery", "Under which assumptions China breaks: PRIM boxes"),
]


# ----------------------------------------------------------------------------- blocks

class Doc:
    """A tiny document model rendered both as Markdown and as HTML."""

    def __init__(self):
        self.blocks: list[tuple] = []

    def h(self, level: int, text: str):
        self.blocks.append(("h", level, text))

    def p(self, text: str):
        self.blocks.append(("p", text))

    def items(self, items: list[str]):
        if items:
            self.blocks.append(("ul", items))

    def table(self, headers: list[str], rows: list[list[str]]):
        if rows:
            self.blocks.append(("table", headers, rows))

    def links(self, items: list[tuple[str, str, str]]):
        """A list of (text, link without suffix, description): Markdown links to ``link.md``,
        HTML links to ``link.html``."""
        if items:
            self.blocks.append(("links", items))

    def img(self, path: str, caption: str):
        self.blocks.append(("img", path, caption))

    def code(self, text: str, summary: str):
        self.blocks.append(("code", text, summary))

    def markdown(self) -> str:
        out = []
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out.append("#" * b[1] + " " + b[2])
            elif kind == "p":
                out.append(b[1])
            elif kind == "ul":
                out.append("\n".join(f"- {x}" for x in b[1]))
            elif kind == "links":
                out.append("\n".join(f"- [{text}]({href}.md): {desc}" for text, href, desc in b[1]))
            elif kind == "table":
                cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
                lines = ["| " + " | ".join(cell(h) for h in b[1]) + " |",
                         "|" + "|".join("---" for _ in b[1]) + "|"]
                lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in b[2]]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{b[2]}]({b[1]})\n\n*{b[2]}* ([SVG]({Path(b[1]).with_suffix('.svg').name}))")
            elif kind == "code":
                out.append(f"<details><summary>{b[2]}</summary>\n\n```yaml\n{b[1].rstrip()}\n```\n\n</details>")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        e = html.escape
        out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>",
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
               "line-height:1.45;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
               "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}"
               "th{background:#eee}img{max-width:100%;border:1px solid #ddd}figure{margin:1.5em 0}"
               "figcaption{font-style:italic;color:#444}pre{background:#f6f6f6;padding:1em;overflow:auto;"
               "font-size:0.8em}</style></head><body>"]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out.append(f"<h{b[1]}>{e(b[2])}</h{b[1]}>")
            elif kind == "p":
                out.append(f"<p>{e(b[1])}</p>")
            elif kind == "ul":
                out.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in b[1]) + "</ul>")
            elif kind == "links":
                out.append("<ul>" + "".join(f"<li><a href=\"{e(href)}.html\">{e(text)}</a>: {e(desc)}</li>"
                                            for text, href, desc in b[1]) + "</ul>")
            elif kind == "table":
                head = "".join(f"<th>{e(str(h))}</th>" for h in b[1])
                body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in b[2])
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "img":
                out.append(f"<figure><img src=\"{e(b[1])}\" alt=\"{e(b[2])}\"><figcaption>{e(b[2])} "
                           f"(<a href=\"{e(Path(b[1]).with_suffix('.svg').name)}\">SVG</a>)</figcaption></figure>")
            elif kind == "code":
                out.append(f"<details><summary>{e(b[2])}</summary><pre>{e(b[1])}</pre></details>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- pieces

def _ci(entry: dict, digits: int = 3) -> str:
    lo, hi = entry.get("ci95", [math.nan, math.nan])
    value = entry.get("probability", entry.get("mean", math.nan))
    if value is None or lo is None or hi is None:
        return "n/a"
    return f"{value:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


#: What the intervals of a run mean (report.md, the run table).
MC_NOTE = ("The 95% intervals are Monte Carlo intervals (Wilson for probabilities): they cover simulation "
           "noise only, and shrink with more runs, while every run draws its parameters from their ranges.")


def spread_text(spread: dict) -> str:
    return f"{spread['p10']:.3f} to {spread['p90']:.3f} ({spread['p50']:.3f})"


def spread_note(spread: dict) -> str:
    return (f"The spread over parameter draws is what the assumptions do: P(stays) estimated for each of "
            f"{spread['draws']} parameter draws (every drawn parameter at once, from its range), each from "
            f"{spread['runs_per_draw']} runs with the parameters held, separately seeded; 10%, 50% and 90% of "
            f"those estimates.  Each carries Monte Carlo noise of about ±{spread['noise_sd']:.3f} (one sd), so a "
            f"spread much wider than that comes from the parameters.")


def summary_rows(summary: dict) -> list[list[str]]:
    o = summary["outcomes"]
    thr = int(summary.get("stay_threshold", 2))
    drop = o.get("first_drop_month", {})
    rows = [
        [f"P(China stays): rung to Russia at least '{RUNG_NAMES[thr]}' at month {summary.get('horizon_months')}",
         _ci(o["china_stays"])],
        ["P(China gives weapons at the horizon)", _ci(o["china_weapons"])],
        ["P(China gives weapons at any time)", _ci(o["china_weapons_ever"])],
        ["P(broad Western sanctions in force at the horizon)", _ci(o["broad_sanctions"])],
        ["China's median rung to Russia at the horizon", RUNG_NAMES[int(o["china_rung"]["median"])]
         if o["china_rung"].get("median") is not None and not math.isnan(o["china_rung"]["median"]) else "n/a"],
    ]
    if drop:
        rows.append(["P(China drops below the threshold at some month)", _ci(drop["probability_of_drop"])])
        if drop.get("median_month") is not None:
            rows.append(["median month of the first drop (when it happens)", f"{drop['median_month']:.0f}"])
    for key, label in (("front", "Ukraine front: Russia's progress (0-1), mean"),
                       ("escalation", "Middle East escalation (0-1), mean"),
                       ("tension", "Korean tension (0-1), mean"),
                       ("axis_cohesion", "axis cohesion (0-1), mean"),
                       ("china_cost", "China's cumulative cost index, mean")):
        if key in o:
            rows.append([label, _ci(o[key], 2)])
    from ..model.world import build_world, policy_outcomes
    policies = summary.get("policies", {})
    for name, (link, text) in policy_outcomes(build_world()).items():   # who did what
        if name in o:
            mode = policies.get(link.policy, {}).get("mode", "decided")
            rows.append([f"P({text}; {mode})", _ci(o[name])])
    return rows


def _source_of(resolved: dict, path: str) -> tuple[str, str, str]:
    entry = param_entry(resolved, path)
    value = entry.get("value", "")
    rng = entry.get("range")
    rng_s = f"[{rng[0]:g}, {rng[1]:g}]" if isinstance(rng, (list, tuple)) and len(rng) == 2 else "fixed"
    value_s = f"{value:g}" if isinstance(value, (int, float)) else str(value)
    return value_s, rng_s, str(entry.get("source") or "(no source given)")


def important_parameters(folder: Path, top: int = 8) -> tuple[str, list[tuple[str, float]]]:
    """(method, [(parameter, score)]) for the parameters that matter most: total-order
    sensitivity indices when the folder has them, otherwise the correlation of each drawn
    parameter with china_stays (or with China's final rung when everyone stays) in runs.parquet."""
    sens = folder / "sensitivity.parquet"
    if sens.exists():
        s = read_parquet(sens)
        if not s.empty:
            out_col = "output" if "output" in s else None
            if out_col:
                pref = [o for o in s[out_col].unique() if "stay" in str(o)]
                s = s[s[out_col] == (pref[0] if pref else s[out_col].iloc[0])]
            score = "ST" if "ST" in s and s["ST"].notna().any() else ("mu_star" if "mu_star" in s else None)
            if score:
                s = s.sort_values(score, ascending=False, key=lambda c: c.abs())
                label = "total-order Sobol index" if score == "ST" else "Morris mu*"
                return f"sensitivity ({label} of P(stays))", [(str(p), float(v)) for p, v in
                                                               zip(s["parameter"], s[score])][:top]
    runs = folder / "runs.parquet"
    if not runs.exists():
        return "", []
    frame = read_parquet(runs)
    params = [c for c in frame.columns if is_param_column(c) and frame[c].nunique() > 1]
    if not params:
        return "", []
    target = "china_stays"
    if target not in frame or frame[target].nunique() < 2:
        target = "china_rung"
    if target not in frame or frame[target].nunique() < 2:
        return "", []
    y = frame[target].to_numpy(dtype=float)
    scores = []
    for c in params:
        x = frame[c].to_numpy(dtype=float)
        r = float(np.corrcoef(x, y)[0, 1]) if np.std(x) > 0 else 0.0
        scores.append((c, 0.0 if math.isnan(r) else r))
    scores.sort(key=lambda t: -abs(t[1]))
    return f"correlation of the drawn value with {target} over {len(frame)} runs", scores[:top]


def _parameter_section(doc: Doc, folder: Path, resolved: dict):
    method, params = important_parameters(folder)
    doc.h(2, "Provenance of the parameters that matter most")
    if not params:
        doc.p("No parameter varies across these runs (a --fixed run, or no outcome variation), so none "
              "stands out.")
        return
    doc.p(f"Ranked by {method}.  Value and range are as resolved for this run; the source is the "
          f"scenario file's.")
    rows = []
    for path, score in params:
        value, rng, source = _source_of(resolved, path)
        rows.append([path, f"{score:+.3f}", value, rng, source])
    header = ("total-order index" if "Sobol" in method else "mu*" if "Morris" in method else "correlation")
    doc.table(["parameter", header, "value", "range", "source"], rows)


def _charts(doc: Doc, folder: Path, prefix: str = ""):
    pngs = {p.stem: p for p in folder.glob("*.png")}
    if not pngs:
        return
    doc.h(2, "Charts")
    known = dict(CHART_ORDER)
    for stem, caption in CHART_ORDER:
        if stem in pngs:
            doc.img(prefix + pngs[stem].name, caption)
    for stem in sorted(set(pngs) - set(known)):
        doc.img(prefix + pngs[stem].name, stem.replace("_", " "))


def _explain_section(doc: Doc, folder: Path):
    data = None
    if (folder / "explain.json").exists():
        data = read_json(folder / "explain.json")
    elif (folder / "terms.parquet").exists() and (folder / "bands.parquet").exists():
        from .explain import explain_folder
        try:
            data = explain_folder(folder).to_dict()
        except AnalysisError:
            data = None
    if data:
        doc.h(2, "Why China moved (or holds)")
        for line in data.get("text", []):
            doc.p(line)


def _discovery_section(doc: Doc, folder: Path):
    if not (folder / "discovery.json").exists():
        return
    d = read_json(folder / "discovery.json")
    doc.h(2, "Scenario discovery")
    unit = "runs" if d.get("source") == "runs" else "design points"
    doc.p(f"Target '{d['target']}' holds in {d['cases']} of {d['rows']} {unit} ({d['base_rate']:.1%}).  "
          f"Coverage: share of the target cases inside a box; density: share of the {unit} inside a box "
          f"that hit the target.")
    for i, b in enumerate(d.get("boxes", []), start=1):
        doc.p(f"Box {i}: coverage {b['coverage']:.0%}, density {b['density']:.0%}, "
              f"{b['runs_in_box']} {unit} inside.")
        doc.table(["parameter", "box range", "full range", "quasi-p"],
                  [[r["parameter"], f"{r['min']:.4g} to {r['max']:.4g}", f"{r['full_min']:.4g} to {r['full_max']:.4g}",
                    f"{r['qp']:.2g}"] for r in b.get("limits", [])])


#: Rows per outcome of a report's sensitivity table (a design over every drawn parameter has ~150).
REPORT_TOP = 25


def _sensitivity_section(doc: Doc, folder: Path):
    if not (folder / "sensitivity.parquet").exists():
        return
    s = read_parquet(folder / "sensitivity.parquet")
    if s.empty:
        return
    doc.h(2, "Sensitivity")
    cols = [c for c in ("output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf",
                        "sigma") if c in s.columns and s[c].notna().any()]
    total = s["parameter"].nunique()
    if total > REPORT_TOP and "output" in s:     # a design over every drawn parameter: the leaders of each outcome
        key = "ST" if "ST" in cols else "mu_star"
        s = pd.concat([g.sort_values(key, ascending=False, kind="stable").head(REPORT_TOP)
                       for _, g in s.groupby("output", sort=False)], ignore_index=True)
        doc.p(f"The {REPORT_TOP} most influential of the {total} parameters for each outcome"
              + ("; robustness.md ranks all of them with their sources." if (folder / "robustness.md").exists()
                 else "; sensitivity.parquet has all of them."))
    rows = [[(f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)) for v in r] for r in
            s[cols].itertuples(index=False)]
    doc.table(cols, rows)


def _provenance(doc: Doc, manifest: dict):
    doc.h(2, "Provenance")
    items = []
    for key in ("command", "time", "git", "scenario_file", "scenario_hash", "runs", "seed", "fixed",
                "overrides"):
        if key in manifest:
            items.append(f"{key}: {manifest[key]}")
    versions = manifest.get("versions", {})
    if versions:
        items.append("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    doc.items(items)


def _scenario_section(doc: Doc, folder: Path, resolved: dict, link_prefix: str = ""):
    path = folder / "scenario.resolved.yaml"
    if not path.exists():
        return
    doc.h(2, "Resolved scenario")
    events = resolved.get("events") or []
    if events:
        doc.p("Events:")
        doc.items([f"month {ev.get('month')}: {ev.get('path')} "
                   + next((f"{op} {ev[op]}" for op in ("set", "add", "multiply") if ev.get(op) is not None), "")
                   + (f" ({ev['source']})" if ev.get("source") else "") for ev in events])
    doc.code(path.read_text(encoding="utf-8"), f"{link_prefix}scenario.resolved.yaml (everything the run used)")


# ----------------------------------------------------------------------------- reports

def run_report(folder: Path) -> tuple[str, Doc]:
    manifest = read_manifest(folder)
    summary = read_json(folder / "summary.json")
    resolved = read_resolved(folder)
    doc = Doc()
    title = f"{summary['scenario']}: does China stay aligned with Russia?"
    doc.h(1, title)
    if summary.get("description"):
        doc.p(summary["description"])
    doc.p(f"{summary['runs']} Monte Carlo runs, seed {summary['seed']}, {summary['horizon_months']} months "
          f"from {summary.get('start')}{' (point values, --fixed)' if summary.get('fixed') else ''}.")
    post = summary.get("posterior")
    if post:
        doc.p(f"Each run drew its values of {len(post['parameters'])} parameter(s) from one row of the "
              f"posterior {post['file']} (sha256 {post['sha256'][:12]}, {post['rows']} rows, chosen by weight); "
              f"{len(post['prior'])} other parameter(s) from their prior ranges (listed in summary.json).")
    doc.h(2, "Summary")
    rows = summary_rows(summary)
    spread = summary["outcomes"]["china_stays"].get("parameter_spread")
    if spread:
        rows = [r + [spread_text(spread) if i == 0 else ""] for i, r in enumerate(rows)]
        doc.table(["outcome", "estimate [95% Monte Carlo CI]", "spread over parameter draws: 10% to 90% (median)"],
                  rows)
    else:
        doc.table(["outcome", "estimate [95% Monte Carlo CI]"], rows)
    doc.p(MC_NOTE + (" " + spread_note(spread) if spread else ""))
    dist = summary["outcomes"]["china_rung"].get("distribution", {})
    if dist:
        doc.table(["China's rung to Russia at the horizon", "share of runs"],
                  [[RUNG_NAMES[int(k)], f"{v:.3f}"] for k, v in dist.items()])
    _explain_section(doc, folder)
    _charts(doc, folder)
    _discovery_section(doc, folder)
    _sensitivity_section(doc, folder)
    _parameter_section(doc, folder, resolved)
    _scenario_section(doc, folder, resolved)
    _provenance(doc, manifest)
    return title, doc


def compare_report(folder: Path) -> tuple[str, Doc]:
    from .compare import compare_folder, members, table_lines
    manifest = read_manifest(folder)
    entries = members(folder)
    table = compare_folder(folder)
    labels = [e["label"] for e in entries]
    doc = Doc()
    title = "Which scenario keeps China aligned with Russia? " + " vs ".join(labels)
    doc.h(1, title)
    doc.p(f"{manifest.get('runs')} runs per scenario on common random numbers (seed {manifest.get('seed')}): "
          f"replicate i draws the same random numbers and the same shared parameter values in every "
          f"scenario, so each difference from {labels[0]} is estimated run by run; its 95% CI is "
          f"mean +/- 1.96 sd/sqrt(n) of the per-run differences.")
    headers, rows = table_lines(table)
    doc.h(2, "Summary")
    doc.table(headers, rows)
    doc.h(2, "Scenarios")
    doc.p("Each scenario's own report (its summary, charts, explanation and resolved scenario):")
    links = []
    for e in entries:
        s = read_json(e["path"] / "summary.json")
        links.append((e["label"], f"{e['folder']}/report", s.get("description") or "(no description)"))
    doc.links(links)
    _charts(doc, folder)
    first = entries[0]["path"]
    _parameter_section(doc, first, read_resolved(first))
    for e in entries:
        res = read_resolved(e["path"])
        events = res.get("events") or []
        if events:
            doc.p(f"{e['label']} events:")
            doc.items([f"month {ev.get('month')}: {ev.get('path')} "
                       + next((f"{op} {ev[op]}" for op in ("set", "add", "multiply") if ev.get(op) is not None), "")
                       for ev in events])
    doc.p("Each scenario's resolved scenario, charts and report are in its sub-folder (linked above).")
    _provenance(doc, manifest)
    return title, doc


def sweep_report(folder: Path) -> tuple[str, Doc]:
    manifest = read_manifest(folder)
    resolved = read_resolved(folder)
    doc = Doc()
    name = manifest.get("scenario", "?")
    title = f"{name}: which assumptions decide whether China stays? (sweep)"
    doc.h(1, title)
    points_path = folder / "points.parquet"
    if points_path.exists():
        points = read_parquet(points_path)
        params = [c for c in points.columns if is_param_column(c)]
        stay = next((c for c in points.columns if "stay" in c and not any(t in c for t in ("low", "high", "ci"))),
                    None)
        doc.p(f"{len(points)} design points over {len(params)} parameter(s): {', '.join(params)}.")
        if stay is not None and len(points):
            doc.h(2, "Summary")
            lo = next((c for c in points.columns if "stay" in c and "low" in c), None)
            hi = next((c for c in points.columns if "stay" in c and "high" in c), None)
            ordered = points.sort_values(stay)
            show = pd.concat([ordered.head(5), ordered.tail(5)]).drop_duplicates()
            rows = []
            for _, r in show.iterrows():
                ci = f" [{r[lo]:.3f}, {r[hi]:.3f}]" if lo and hi else ""
                rows.append([", ".join(f"{p}={r[p]:.4g}" for p in params), f"{r[stay]:.3f}{ci}"])
            doc.p("The design points with the lowest and the highest P(stays):")
            doc.table(["parameter values", "P(stays) [95% CI]"], rows)
    _charts(doc, folder)
    _sensitivity_section(doc, folder)
    _discovery_section(doc, folder)
    _parameter_section(doc, folder, resolved)
    _scenario_section(doc, folder, resolved)
    _provenance(doc, manifest)
    return title, doc


def write_report(folder: str | Path) -> list[Path]:
    """Write report.md and report.html into a run, compare or sweep folder."""
    folder = Path(folder)
    kind = folder_kind(folder)
    builder = {"run": run_report, "compare": compare_report, "sweep": sweep_report}[kind]
    title, doc = builder(folder)
    md, page = doc.markdown(), doc.html(title)
    paths = [folder / "report.md", folder / "report.html"]
    write_text(paths[0], md)
    write_text(paths[1], page)
    return paths
