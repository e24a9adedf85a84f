"""One index of results: index.html, index.md and summary.csv at the top of an output folder.

The index links each scenario's report, shows the summary table (the one `run.py run` prints)
with a thumbnail of China's rung chart, and lists the compare and sweep folders found below.
summary.csv has one row per scenario with the table's columns as numbers.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import pandas as pd

from ..experiment.store import write_csv, write_text
from .inputs import read_json, read_manifest

#: The run table's columns (the command line prints the same).
HEADERS = ["scenario", "runs", "P(stays) [95% MC CI]", "P(stays) over params 10-90%", "P(stays throughout)",
           "P(weapons) [95% MC CI]", "median rung", "front", "China cost"]
NOTE = ("P(stays) = P(China's rung to Russia >= threshold at the horizon); MC CI = 95% Monte Carlo interval "
        "(simulation noise only); over params 10-90% = 10% to 90% of P(stays) across parameter draws, each "
        "estimated with its parameters held (what the assumptions do); P(stays throughout) = P(it never "
        "drops below the threshold in any month); front = Russia's progress (0-1); "
        "China cost = cumulative cost index.")
THUMBNAIL = "china_rung.png"
#: summary.csv: the table's columns as numbers, each 95% CI in two columns.
CSV_COLUMNS = ["scenario", "runs", "seed", "p_stays", "p_stays_ci95_low", "p_stays_ci95_high",
               "p_stays_param_p10", "p_stays_param_p50", "p_stays_param_p90", "p_stays_throughout", "p_weapons",
               "p_weapons_ci95_low", "p_weapons_ci95_high", "median_rung", "front", "china_cost", "folder"]


def _p(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['probability']:.3f} [{lo:.3f}, {hi:.3f}]"


def _num(value, digits: int) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def summary_cells(summary: dict) -> list[str]:
    """One row of the run table, as text."""
    o = summary["outcomes"]
    spread = o["china_stays"].get("parameter_spread")
    spread_cell = f"{spread['p10']:.2f}-{spread['p90']:.2f}" if spread else "-"
    throughout = o.get("china_stays_throughout")
    return [summary["scenario"], str(summary["runs"]), _p(o["china_stays"]), spread_cell,
            _num(throughout["probability"] if throughout else None, 3), _p(o["china_weapons"]),
            _num(o["china_rung"]["median"], 0), _num(o["front"]["mean"], 2), _num(o["china_cost"]["mean"], 2)]


def draws_line(summaries: list[dict]) -> str:
    """Where the table's parameter values came from, when a posterior was used ("" otherwise:
    every run drew from the prior ranges of its scenario file)."""
    used = [s for s in summaries if s.get("posterior")]
    if not used:
        return ""
    posts = {(s["posterior"]["file"], s["posterior"]["sha256"]) for s in used}
    names = ", ".join(s["scenario"] for s in used)
    others = [s["scenario"] for s in summaries if not s.get("posterior")]
    if len(posts) == 1:
        file, sha = posts.pop()
        rec = used[0]["posterior"]
        line = (f"Parameters: posterior {file} (sha256 {sha[:12]}, {rec['rows']} rows) for "
                f"{len(rec['parameters'])} parameter(s) of {names}; the other "
                f"{len(rec['prior'])} drawn parameter(s) from their prior ranges.")
    else:
        line = f"Parameters: {len(posts)} different posteriors ({names}; see each summary.json)."
    if others:
        line += f" Prior ranges only: {', '.join(others)}."
    return line


def summary_record(summary: dict, folder: str) -> dict:
    """One row of summary.csv: the table's columns as numbers (each CI in two columns)."""
    o = summary["outcomes"]
    rec = {"scenario": summary["scenario"], "runs": summary["runs"], "seed": summary.get("seed")}
    for key, stem in (("china_stays", "p_stays"), ("china_weapons", "p_weapons")):
        rec[stem] = o[key]["probability"]
        rec[f"{stem}_ci95_low"], rec[f"{stem}_ci95_high"] = o[key]["ci95"]
    spread = o["china_stays"].get("parameter_spread") or {}
    for q in ("p10", "p50", "p90"):
        rec[f"p_stays_param_{q}"] = spread.get(q)
    rec["p_stays_throughout"] = o.get("china_stays_throughout", {}).get("probability", math.nan)
    rec["median_rung"] = o["china_rung"]["median"]
    rec["front"] = o["front"]["mean"]
    rec["china_cost"] = o["china_cost"]["mean"]
    rec["folder"] = folder
    return rec


def output_folders(root: str | Path) -> list[tuple[Path, str]]:
    """(folder, kind) of every run, compare and sweep folder below ``root`` (not inside another
    one: a compare folder's scenarios belong to it), in path order."""
    root = Path(root)
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        path = Path(here)
        if path != root and "manifest.json" in files:
            try:
                kind = read_manifest(path).get("kind")
            except Exception:  # noqa: BLE001 - an unreadable manifest is not an output folder
                kind = None
            if kind in ("run", "compare", "sweep"):
                found.append((path, kind))
                dirs[:] = []
    return found


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def write_index(root: str | Path, runs: list[Path] | None = None) -> list[Path]:
    """Write index.html, index.md and summary.csv into ``root``: the table rows are ``runs`` (run
    folders; default: every run folder below), other output folders below are listed after it."""
    root = Path(root)
    found = output_folders(root)
    runs = [Path(p) for p in runs] if runs is not None else [p for p, kind in found if kind == "run"]
    run_set = {p.resolve() for p in runs}
    others = [(p, kind) for p, kind in found if p.resolve() not in run_set]
    rows = []
    for folder in runs:
        summary = read_json(folder / "summary.json")
        rows.append((folder, summary))

    records = [summary_record(s, _rel(f, root)) for f, s in rows]
    paths = [root / "summary.csv", root / "index.md", root / "index.html"]
    write_csv(paths[0], pd.DataFrame(records, columns=CSV_COLUMNS))
    write_text(paths[1], _markdown(root, rows, others))
    write_text(paths[2], _html(root, rows, others))
    return paths


def _describe(folder: Path, kind: str) -> str:
    try:
        m = read_manifest(folder)
    except Exception:  # noqa: BLE001
        return kind
    if kind == "compare":
        return "compare: " + " vs ".join(s.get("label", "?") for s in m.get("scenarios", []))
    if kind == "sweep":
        params = [p.get("path", "?") for p in (m.get("design") or {}).get("params", [])]
        return f"sweep of {m.get('scenario', '?')}" + (f" over {', '.join(params)}" if params else "")
    return f"run of {m.get('scenario', '?')}"


def provenance_line(folders: list[Path]) -> str:
    """How the scenarios in the table were run: the command, seed(s), git commit and time."""
    manifests = []
    for folder in folders:
        try:
            manifests.append(read_manifest(folder))
        except Exception:  # noqa: BLE001
            continue
    if not manifests:
        return ""
    def one(key):
        values = sorted({str(m.get(key)) for m in manifests if m.get(key) is not None})
        return values[0] if len(values) == 1 else (f"{len(values)} different" if values else "?")
    commands = {m.get("command") for m in manifests}
    command = (f"`{commands.pop()}`" if len(commands) == 1 else "different commands (see each report)")
    times = sorted(str(m.get("time")) for m in manifests if m.get("time"))
    when = f", {times[-1][:16].replace('T', ' ')} UTC" if times else ""
    return f"Run by {command}; seed {one('seed')}, git {one('git')}{when}."


def _report(folder: Path, suffix: str) -> Path | None:
    path = folder / f"report{suffix}"
    return path if path.exists() else None


def _markdown(root: Path, rows, others) -> str:
    out = ["# axis-sim results", ""]
    if rows:
        out += ["Does China stay aligned with Russia?  One row per scenario; the scenario name opens its "
                "report.  The same table is in [summary.csv](summary.csv).", ""]
        out.append("| " + " | ".join(HEADERS + ["China's rung over time"]) + " |")
        out.append("|" + "|".join("---" for _ in range(len(HEADERS) + 1)) + "|")
        for folder, summary in rows:
            cells = summary_cells(summary)
            rel = _rel(folder, root)
            if _report(folder, ".md"):
                cells[0] = f"[{cells[0]}]({rel}/report.md)"
            thumb = (f'<img src="{rel}/{THUMBNAIL}" width="220" alt="China\'s rung, {summary["scenario"]}">'
                     if (folder / THUMBNAIL).exists() else "")
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells + [thumb]) + " |")
        out += ["", NOTE, ""]
        draws = draws_line([summary for _, summary in rows])
        if draws:
            out += [draws, ""]
        line = provenance_line([f for f, _ in rows])
        if line:
            out += [line, ""]
    if others:
        out += ["## Other results in this folder", ""]
        for folder, kind in others:
            rel = _rel(folder, root)
            target = f"[{rel}]({rel}/report.md)" if _report(folder, ".md") else rel
            out.append(f"- {target}: {_describe(folder, kind)}")
        out.append("")
    if not rows and not others:
        out += ["No run, compare or sweep folder here yet.", ""]
    return "\n".join(out)


STYLE = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}"
         "table{border-collapse:collapse;margin:1em 0;font-size:0.95em}"
         "td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:middle}"
         "th{background:#eee}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}"
         "img.thumb{width:240px;border:1px solid #ddd;display:block}.note{color:#444;font-size:0.9em}"
         "td.name{max-width:340px}td.name a{font-weight:bold}.desc{color:#555;font-size:0.85em;margin-top:4px}")


def _html(root: Path, rows, others) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>axis-sim results</title>',
           f"<style>{STYLE}</style></head><body>", "<h1>axis-sim results</h1>"]
    if rows:
        out.append("<p>Does China stay aligned with Russia?  One row per scenario; the scenario name and the "
                   'chart open its report.  The same table: <a href="summary.csv">summary.csv</a>.</p>')
        head = "".join(f"<th>{e(h)}</th>" for h in HEADERS + ["China's rung over time"])
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for folder, summary in rows:
            cells = summary_cells(summary)
            rel = _rel(folder, root)
            report = f"{rel}/report.html" if _report(folder, ".html") else None
            name = f'<a href="{e(report)}">{e(cells[0])}</a>' if report else e(cells[0])
            if summary.get("description"):
                name += f'<div class="desc">{e(summary["description"])}</div>'
            tds = [f'<td class="name">{name}</td>'] + [f'<td class="num">{e(c)}</td>' for c in cells[1:]]
            if (folder / THUMBNAIL).exists():
                img = (f'<img class="thumb" src="{e(rel)}/{THUMBNAIL}" '
                       f'alt="China\'s rung to Russia over time, {e(summary["scenario"])}">')
                tds.append(f'<td><a href="{e(report)}">{img}</a></td>' if report else f"<td>{img}</td>")
            else:
                tds.append("<td></td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</tbody></table>")
        out.append(f'<p class="note">{e(NOTE)}</p>')
        draws = draws_line([summary for _, summary in rows])
        if draws:
            out.append(f'<p class="note">{e(draws)}</p>')
        line = provenance_line([f for f, _ in rows])
        if line:
            out.append(f'<p class="note">{e(line).replace("`", "")}</p>')
    if others:
        out.append("<h2>Other results in this folder</h2><ul>")
        for folder, kind in others:
            rel = _rel(folder, root)
            link = (f'<a href="{e(rel)}/report.html">{e(rel)}</a>' if _report(folder, ".html") else e(rel))
            out.append(f"<li>{link}: {e(_describe(folder, kind))}</li>")
        out.append("</ul>")
    if not rows and not others:
        out.append("<p>No run, compare or sweep folder here yet.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
