"""What the answer depends on: robustness.md from a ``sensitivity --all`` design.

The design varies every drawn parameter of a scenario over its own range (Morris by default,
Sobol' on request); :mod:`simulator.analysis.sensitivity` gives the indices.  This module
turns them into a document a reader can act on: the parameters that decide P(stays), ranked,
each with its range and the source text of the scenario file, the spread of P(stays) across
the design points, and the same ranking, shorter, for the other outcomes.

The text holds no date or machine detail, so the same command and code give the same file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .inputs import param_entry
from .labels import join_names, plain_label
from .sensitivity import OUTPUTS, ranking

#: How many parameters the P(stays) table shows with their sources (the full ranking follows).
TOP = 15
#: How many parameters each other outcome lists.
TOP_OTHER = 5


def index_key(table: pd.DataFrame) -> str:
    """The ranking index of a sensitivity table: ST (Sobol') or mu_star (Morris)."""
    return "ST" if "ST" in table and table["ST"].notna().any() else "mu_star"


def ranked(table: pd.DataFrame, output: str = "p_stays") -> pd.DataFrame:
    """The parameters of one output, most influential first, with their rank (1 = most)."""
    t = ranking(table, output).reset_index(drop=True)
    if not t.empty:
        t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t


def spread(points: pd.DataFrame, column: str = "p_stays") -> dict:
    """The spread of an outcome across the design points: min, 10/50/90% quantiles, max."""
    y = points[column].to_numpy(dtype=float) if column in points else np.array([])
    y = y[np.isfinite(y)]
    if y.size == 0:
        return {"points": 0}
    q = np.quantile(y, [0.1, 0.5, 0.9])
    return {"points": int(y.size), "min": float(y.min()), "p10": float(q[0]), "p50": float(q[1]),
            "p90": float(q[2]), "max": float(y.max())}


def noise_floor(points: pd.DataFrame, method: str, levels: int = 4) -> float:
    """The mu* one would see from Monte Carlo noise alone (Morris): an elementary effect is the
    difference of two estimates of P(stays), each with sd sqrt(p(1-p)/R), divided by the step
    (levels / (2 (levels - 1)) of the range); the mean of its absolute value is that sd times
    sqrt(2) / step times sqrt(2/pi).  An upper bound: common random numbers make the noise of a
    difference smaller.  NaN for Sobol'."""
    if method != "morris" or "p_stays" not in points or "runs" not in points:
        return math.nan
    p = float(np.nanmean(points["p_stays"]))
    runs = float(np.nanmean(points["runs"]))
    if not runs > 0:
        return math.nan
    step = levels / (2 * (levels - 1))
    sd = math.sqrt(max(p * (1 - p), 0.0) / runs)
    return sd * math.sqrt(2) / step * math.sqrt(2 / math.pi)


def _range_text(data: dict, path: str) -> tuple[str, str, str]:
    entry = param_entry(data, path)
    value = entry.get("value")
    rng = entry.get("range")
    value_s = f"{value:g}" if isinstance(value, (int, float)) else ""
    rng_s = f"{rng[0]:g} to {rng[1]:g}" if isinstance(rng, (list, tuple)) and len(rng) == 2 else "fixed"
    source = " ".join(str(entry.get("source") or "(no source given)").split())
    return value_s, rng_s, source


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _index_text(row, key: str) -> str:
    if key == "ST":
        return f"{row['ST']:.3f} ± {row['ST_conf']:.3f}"
    return f"{row['mu_star']:.3f} ± {row['mu_star_conf']:.3f}"


def plain(path: str) -> str:
    """A parameter's plain label, safe in Markdown text."""
    return plain_label(path).replace("*", "\\*")


def _words(t: pd.DataFrame, n: int = 3) -> str:
    names = []
    for _, r in t.head(n).iterrows():
        names.append(f"{plain(r['parameter'])} (`{r['parameter']}`)")
    return join_names(names)


def summary_lines(table: pd.DataFrame, points: pd.DataFrame, meta: dict) -> list[str]:
    """The plain-words paragraph at the top of robustness.md."""
    t = ranked(table)
    d = meta.get("parameters", 0)
    s = spread(points)
    if t.empty:
        return [f"P(China stays) hardly moves across the ranges of the {d} drawn parameters: no "
                f"parameter can be singled out (see the notes below)."]
    key = index_key(table)
    top = t.iloc[0]
    lines = []
    if s.get("points"):
        lines.append(f"Across the ranges of all {d} drawn parameters, P(China stays) goes from {s['p10']:.2f} to "
                     f"{s['p90']:.2f} (10% to 90% of the {s['points']} design points; {s['min']:.2f} to "
                     f"{s['max']:.2f} in all).")
    lines.append(f"The answer depends most on {_words(t)}.")
    if key == "mu_star":
        lines.append(f"Moving {plain(top['parameter'])} across its range moves P(stays) by "
                     f"{top['mu_star']:.2f} on average (Morris mu*, 95% CI ± {top['mu_star_conf']:.2f}).")
        lead = t.head(5)
        tied = int((lead["mu_star"] + lead["mu_star_conf"] >= top["mu_star"] - top["mu_star_conf"]).sum())
        if tied > 1:
            lines.append(f"The confidence intervals of the {tied} leading parameters overlap, so their order among "
                         f"themselves is not settled at this design size (more trajectories, --samples, narrow it).")
        floor = meta.get("noise_floor", math.nan)
        if math.isfinite(floor):
            above = int((t["mu_star"] - t["mu_star_conf"] > floor).sum())
            lines.append(f"{above} of the {len(t)} parameters move it by more than Monte Carlo noise can "
                         f"explain (mu* minus its CI above {floor:.3f}); the others are not distinguishable "
                         f"from noise at this design size.")
    else:
        share = min(max(float(top["ST"]), 0.0), 1.0)
        lines.append(f"{plain(top['parameter'])} accounts for {share:.0%} of the variance of P(stays) "
                     f"with its interactions (Sobol' total order ST ± {top['ST_conf']:.2f}).")
    return lines


def robustness_markdown(table: pd.DataFrame, points: pd.DataFrame, meta: dict, notes: list[str] | None = None,
                        level: int = 1) -> str:
    """robustness.md: ``table`` (sensitivity_table), ``points`` (points.parquet), ``meta``:
    scenario, method, samples, points, runs, seed, parameters (D), command, data (the resolved
    scenario's plain data, for ranges and sources).  ``level``: heading level of the title."""
    h = "#" * level
    data = meta.get("data", {})
    method = meta.get("method", "morris")
    key = index_key(table) if not table.empty else ("ST" if method == "sobol" else "mu_star")
    meta = {**meta, "noise_floor": noise_floor(points, method)}
    out = [f"{h} What P(China stays) depends on: {meta.get('scenario', '?')}", ""]
    out += [" ".join(summary_lines(table, points, meta)), ""]
    idx_name = ("Morris mu* (how much P(stays) moves over the parameter's full range, on average; "
                "± half-width of its 95% bootstrap CI)" if key == "mu_star" else
                "Sobol' total-order index ST (share of the variance of P(stays) due to the parameter, with its "
                "interactions; ± half-width of its 95% bootstrap CI), with the first-order index S1")
    out += [f"{h}# How this was computed", "",
            f"Every parameter the scenario draws ({meta.get('parameters', '?')}, those with a range; structural "
            f"ones included) is varied over its own range in one {method} design: {meta.get('points', '?')} design "
            f"points ({meta.get('formula', '')}), each run {meta.get('runs', '?')} times on common random numbers "
            f"(seed {meta.get('seed', '?')}). Index: {idx_name}. The design puts each parameter at evenly "
            f"spaced levels of its whole range (not at the triangular draws of a run), so the spread below is that "
            f"of the ranges' corners, wider than the spread of a run's draws (`parameter_spread` in a run's "
            f"summary.json).", ""]
    if meta.get("command"):
        out += ["```bash", meta["command"], "```", ""]
    s = spread(points)
    if s.get("points"):
        out += [f"{h}# Spread of P(stays) across the design", "",
                "| design points | min | 10% | median | 90% | max |", "|---|---|---|---|---|---|",
                f"| {s['points']} | {s['min']:.3f} | {s['p10']:.3f} | {s['p50']:.3f} | {s['p90']:.3f} | "
                f"{s['max']:.3f} |", ""]
    t = ranked(table)
    out += [f"{h}# The parameters that decide P(stays)", ""]
    if t.empty:
        out += ["P(stays) was left out of the analysis: it hardly varies across the design (see the notes).", ""]
    else:
        floor = meta["noise_floor"]
        if math.isfinite(floor):
            out += [f"Monte Carlo noise alone would give a mu* of about {floor:.3f} (an upper bound: common random "
                    f"numbers make differences less noisy).", ""]
        head = (["rank", "parameter", "mu* ± 95% CI", "sigma"] if key == "mu_star" else
                ["rank", "parameter", "ST ± 95% CI", "S1 ± 95% CI"])
        out += ["| " + " | ".join(head + ["value", "range", "source"]) + " |",
                "|" + "---|" * (len(head) + 3)]
        for _, r in t.head(TOP).iterrows():
            value, rng, source = _range_text(data, r["parameter"])
            extra = (f"{r['sigma']:.3f}" if key == "mu_star" else f"{r['S1']:.3f} ± {r['S1_conf']:.3f}")
            out.append("| " + " | ".join(_cell(c) for c in [str(r["rank"]), f"`{r['parameter']}`",
                                                              _index_text(r, key), extra, value, rng, source]) + " |")
        out.append("")
        if len(t) > TOP:
            out += [f"{h}## All {len(t)} parameters, ranked", "",
                    "| rank | parameter | " + ("mu* ± 95% CI" if key == "mu_star" else "ST ± 95% CI") + " | range |",
                    "|---|---|---|---|"]
            for _, r in t.iterrows():
                out.append(f"| {r['rank']} | `{r['parameter']}` | {_index_text(r, key)} | "
                           f"{_range_text(data, r['parameter'])[1]} |")
            out.append("")
    others = [o for o in OUTPUTS if o != "p_stays" and o in set(table.get("output", []))]
    if others:
        out += [f"{h}# The other outcomes", "",
                f"The {TOP_OTHER} parameters that move each of the other outcomes most:", ""]
        for o in others:
            r = ranked(table, o)
            label = r["output_label"].iloc[0]
            items = [f"`{x['parameter']}` ({_index_text(x, key)})" for _, x in r.head(TOP_OTHER).iterrows()]
            sp = spread(points, o)
            where = (f" (across the design: {sp['p10']:.3g} to {sp['p90']:.3g}, 10% to 90%)"
                     if sp.get("points") else "")
            out.append(f"- **{label}**{where}: " + "; ".join(items) + ".")
        out.append("")
    if notes:
        out += [f"{h}# Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def top_parameters(table: pd.DataFrame, output: str = "p_stays", n: int = 3) -> list[str]:
    """The ``n`` most influential parameters of one output, most influential first."""
    return list(ranked(table, output)["parameter"].head(n)) if not table.empty else []
