"""Why did China move?  The named utility terms of China's support decision to Russia.

Every rung's utility is the plain sum of named terms (:mod:`simulator.model.decisions`).
The run folder's ``terms.parquet`` keeps the MEAN over replicates of each term per
month and rung (and at the rung each replicate chose, ``rung == -1``).  Means are
linear, so the terms add up exactly to the mean utility; medians would not.

When China's median rung changes between month m-1 and m, the decision taken in
month m moved it: for that month, the push of each term is its value at the new
rung minus its value at the old rung.  If the median never changes, the same
comparison against one rung lower shows what holds China where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.decisions import N_RUNGS, TERMS
from ..scenario.schema import RUNG_NAMES
from .inputs import AnalysisError, month_label, read_json, read_manifest, read_parquet, require

#: Each term in plain words (for chart labels and the text summary).
TERM_LABELS = {
    "strategic_gain": "strategic gain",
    "sanction_cost": "sanctions risk",
    "instability_cost": "instability from the wars",
    "prestige_cost": "prestige at stake",
    "allies_cost": "US allies closing ranks",
    "leader_tie": "Xi-Putin tie",
    "inertia": "cost of changing course",
}

TERM_WORDS = {
    "strategic_gain": "the strategic payoff of backing Russia (the common aim against US power, "
                      "leverage over a dependent partner, discounted energy)",
    "sanction_cost": "the expected cost of Western secondary sanctions",
    "instability_cost": "the instability its partners' wars export (Hormuz oil, the Korean peninsula)",
    "prestige_cost": "the prestige China has staked on its partners' success or failure",
    "allies_cost": "America's European and Asian allies closing ranks",
    "leader_tie": "the personal tie between Xi and Putin",
    "inertia": "the cost of changing course (policy inertia)",
}


@dataclass
class Explanation:
    held: pd.DataFrame            # month x term: mean term value at the rung chosen, plus 'total'
    median: pd.Series             # month -> China's median rung to Russia (over all replicates)
    changes: list[tuple[int, int, int]]  # (month, old rung, new rung) where the median changes
    month: int                    # the month explained
    old: int                      # rung compared against
    new: int                      # rung held / moved to
    kind: str                     # 'change' (the median moved) or 'hold' (why it stays)
    push: pd.Series               # term -> value at `new` minus value at `old`
    start: str | None = None
    text: list[str] = field(default_factory=list)
    shares: np.ndarray | None = None      # share of runs at each rung in `month`

    @property
    def net(self) -> float:
        return float(self.push.sum())

    def to_dict(self) -> dict:
        return {"month": self.month, "calendar_month": month_label(self.start, self.month),
                "kind": self.kind, "from_rung": self.old, "to_rung": self.new,
                "from_rung_name": RUNG_NAMES[self.old], "to_rung_name": RUNG_NAMES[self.new],
                "push": {k: float(v) for k, v in self.push.items()}, "net": self.net,
                "changes": [{"month": m, "from_rung": a, "to_rung": b} for m, a, b in self.changes],
                "text": self.text, "note": "means over replicates, so the terms add up to the net"}


def held_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """Month x term table of the mean term value at the rung chosen, with a 'total' column."""
    held = terms[terms["rung"] == -1].pivot_table(index="month", columns="term", values="mean",
                                                  aggfunc="first")
    held = held.reindex(columns=[t for t in TERMS if t in held.columns])
    held["total"] = held.sum(axis=1)
    return held


def rung_terms(terms: pd.DataFrame, month: int) -> pd.DataFrame:
    """Term x rung table of mean term values for one month."""
    t = terms[(terms["month"] == month) & (terms["rung"] >= 0)]
    if t.empty:
        raise AnalysisError(f"terms.parquet has no month {month}")
    table = t.pivot_table(index="term", columns="rung", values="mean", aggfunc="first")
    return table.reindex([x for x in TERMS if x in table.index])


def median_rungs(bands: pd.DataFrame) -> pd.Series:
    """China's median rung to Russia per month, from the rung shares of ALL replicates
    (falls back to the per-replicate series' median)."""
    shares = []
    for k in range(N_RUNGS):
        s = bands[bands["series"] == f"share_russia_rung{k}"].set_index("month")["mean"]
        shares.append(s)
    if all(len(s) for s in shares):
        frame = pd.concat(shares, axis=1).sort_index().fillna(0.0)
        cum = frame.to_numpy().cumsum(axis=1)
        med = (cum < 0.5 - 1e-12).sum(axis=1)
        return pd.Series(np.minimum(med, N_RUNGS - 1).astype(int), index=frame.index, name="median_rung")
    s = bands[bands["series"] == "china_rung"].set_index("month")["p50"].sort_index()
    return s.round().astype(int).rename("median_rung")


def rung_shares(bands: pd.DataFrame, month: int) -> np.ndarray | None:
    """Share of all runs at each rung of China's support to Russia in ``month``."""
    b = bands[bands["month"] == month]
    out = []
    for k in range(N_RUNGS):
        s = b[b["series"] == f"share_russia_rung{k}"]["mean"]
        if s.empty:
            return None
        out.append(float(s.iloc[0]))
    return np.array(out)


def rung_changes(median: pd.Series) -> list[tuple[int, int, int]]:
    out = []
    values = median.sort_index()
    for (m0, a), (m1, b) in zip(values.items(), list(values.items())[1:]):
        if a != b:
            out.append((int(m1), int(a), int(b)))
    return out


def term_push(terms: pd.DataFrame, month: int, old: int, new: int) -> pd.Series:
    """Each term's value at rung ``new`` minus at rung ``old`` in ``month`` (mean over runs)."""
    table = rung_terms(terms, month)
    return (table[new] - table[old]).rename("push")


def explain(terms: pd.DataFrame, bands: pd.DataFrame, month: int | None = None,
            start: str | None = None) -> Explanation:
    """Explain China's move (the first change of its median rung, or ``month``)."""
    held = held_terms(terms)
    median = median_rungs(bands)
    changes = rung_changes(median)
    last = int(held.index.max())
    if month is not None:
        if month not in held.index:
            raise AnalysisError(f"--month {month} is outside 1..{last}")
        prior = int(median.get(month - 1, median.iloc[0]))
        now = int(median.get(month, prior))
        month_ = month
    elif changes:
        month_, prior, now = changes[0]
    else:
        month_, prior, now = last, int(median.get(last, median.iloc[-1])), int(median.get(last, median.iloc[-1]))
    if prior != now:
        kind, old, new = "change", prior, now
    else:
        kind, new = "hold", now
        old = now - 1 if now > 0 else now + 1
    push = term_push(terms, month_, old, new)
    ex = Explanation(held=held, median=median, changes=changes, month=int(month_), old=int(old),
                     new=int(new), kind=kind, push=push, start=start, shares=rung_shares(bands, month_))
    ex.text = summary_text(ex)
    return ex


def summary_text(ex: Explanation, top: int = 3) -> list[str]:
    when = f"month {ex.month} ({month_label(ex.start, ex.month)})"
    old, new = RUNG_NAMES[ex.old], RUNG_NAMES[ex.new]
    if ex.kind == "change":
        direction = "stepped back" if ex.new < ex.old else "stepped up"
        lines = [f"In {when} China's median support to Russia {direction} from '{old}' to '{new}'."]
        toward, away = f"toward '{new}'", f"toward staying at '{old}'"
    else:
        lines = [f"China's median support to Russia stays at '{new}' (checked in {when}); "
                 f"compared with '{old}':"]
        toward, away = f"for '{new}'", f"for '{old}'"
    push = ex.push.sort_values(key=np.abs, ascending=False, kind="stable")
    pros = [(k, v) for k, v in push.items() if v > 1e-9][:top]
    cons = [(k, v) for k, v in push.items() if v < -1e-9][:top]
    if pros:
        lines.append(f"Pushing {toward}: " + "; ".join(f"{TERM_WORDS[k]} ({v:+.3f})" for k, v in pros) + ".")
    if cons:
        lines.append(f"Pulling {away}: " + "; ".join(f"{TERM_WORDS[k]} ({v:+.3f})" for k, v in cons) + ".")
    lines.append(f"Net utility difference '{new}' minus '{old}': {ex.net:+.3f} (mean over runs; "
                 f"the terms add up to it).")
    if ex.shares is not None:
        below, above = float(ex.shares[:ex.new].sum()), float(ex.shares[ex.new + 1:].sum())
        lines.append(f"In month {ex.month}, {below:.0%} of runs are below '{new}' and {above:.0%} above it "
                     f"(the median hides them; the terms are means over all runs).")
    if ex.changes and ex.kind == "change" and len(ex.changes) > 1:
        more = ", ".join(f"month {m}: {a}->{b}" for m, a, b in ex.changes[1:6])
        lines.append(f"Later changes of the median rung: {more} (use --month to explain one).")
    return lines


def outcome_contrast(table: pd.DataFrame, stay_rung: int, top: int = 3) -> list[str]:
    """What separates the runs in which China ends below the 'stays' rung from the others.

    ``table`` is terms_by_outcome.parquet: per month and group ('stays' / 'breaks'), the mean
    margin each term gives the 'stays' rung over the rung below.  Inertia is left out: it only
    says where a run already stood.
    """
    if table.empty or set(table["group"]) != {"stays", "breaks"}:
        return []
    runs = table.groupby("group")["runs"].first()
    if runs.get("breaks", 0) == 0 or runs.get("stays", 0) == 0:
        return []
    means = table[table["term"] != "inertia"].groupby(["term", "group"])["margin"].mean().unstack("group")
    gap = (means["breaks"] - means["stays"]).sort_values(key=np.abs, ascending=False)
    share = runs["breaks"] / (runs["breaks"] + runs["stays"])
    above, below = RUNG_NAMES[stay_rung], RUNG_NAMES[stay_rung - 1]
    parts = [f"{TERM_LABELS[t]} {means.loc[t, 'breaks']:+.3f} vs {means.loc[t, 'stays']:+.3f}"
             for t in gap.index[:top]]
    return [f"What separates the {share:.0%} of runs that end below '{above}' from the rest: the margin "
            f"each term gives '{above}' over '{below}', averaged over the months (runs that break vs "
            f"runs that stay): " + "; ".join(parts) + "."]


def explain_folder(folder: str | Path, month: int | None = None) -> Explanation:
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("kind") != "run":
        raise AnalysisError(f"{folder}: explain needs a run folder (this is a {manifest.get('kind')!r} "
                            f"folder; for a compare folder, pass one of its scenario sub-folders)")
    require(folder, "terms.parquet", "bands.parquet")
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    by_outcome = (read_parquet(folder / "terms_by_outcome.parquet")
                  if (folder / "terms_by_outcome.parquet").exists() else None)
    return explain_tables(read_parquet(folder / "terms.parquet"), read_parquet(folder / "bands.parquet"),
                          by_outcome, month=month, summary=summary)


def explain_tables(terms: pd.DataFrame, bands: pd.DataFrame, by_outcome: pd.DataFrame | None = None,
                   month: int | None = None, summary: dict | None = None) -> Explanation:
    """The explanation from a run's tables (terms, bands, terms by outcome) and its summary."""
    summary = summary or {}
    ex = explain(terms, bands, month=month, start=summary.get("start"))
    if by_outcome is not None:
        ex.text += outcome_contrast(by_outcome, max(1, int(summary.get("stay_threshold", 2))))
    return ex


# ----------------------------------------------------------------------------- other agents

def explain_agent(folder: str | Path, agent: str) -> dict:
    """What each Western or regional decision of ``agent`` did and why: its level over time, the
    share of runs at each rung at the horizon, and its named terms at the rung chosen (from the
    run folder's policies.parquet and policy_terms.parquet)."""
    from ..model.world import STATES, TERMS as DECLARED
    folder = Path(folder)
    require(folder, "policies.parquet")
    pol = read_parquet(folder / "policies.parquet")
    terms = read_parquet(folder / "policy_terms.parquet") if (folder / "policy_terms.parquet").exists() \
        else pd.DataFrame(columns=["month", "policy", "state", "term", "mean"])
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    known = sorted(set(pol["state"]))
    if agent not in known:
        raise AnalysisError(f"--agent {agent!r} takes no Western or regional decision in this run "
                            f"(those that do: {', '.join(known)}; for China's choice, leave --agent out)")
    names = {s.id: s.name for s in STATES}
    labels = {t.id: t.label for t in DECLARED}
    modes = summary.get("policies", {})
    out = {"agent": agent, "policies": [], "text": []}
    for policy in sorted(set(pol.loc[pol["state"] == agent, "policy"])):
        p = pol[pol["policy"] == policy]
        levels = p.groupby("month")["mean_level"].first()
        horizon = int(levels.index.max())
        shares = p[p["month"] == horizon].set_index("rung")["share"]
        t = terms[(terms["policy"] == policy)]
        at_end = t[t["month"] == horizon].set_index("term")["mean"] if not t.empty else pd.Series(dtype=float)
        at_start = t[t["month"] == 1].set_index("term")["mean"] if not t.empty else pd.Series(dtype=float)
        mode = modes.get(policy, {}).get("mode", "decided")
        kind = policy.split(".", 1)[1]
        entry = {"policy": policy, "mode": mode, "level_start": float(levels.iloc[0]),
                 "level_horizon": float(levels.iloc[-1]), "rung_shares": {int(k): float(v) for k, v in shares.items()},
                 "terms_horizon": {k: float(v) for k, v in at_end.items()},
                 "terms_change": {k: float(at_end.get(k, 0.0) - at_start.get(k, 0.0)) for k in at_end.index}}
        out["policies"].append(entry)
        who = names.get(agent, agent)
        line = (f"{who}{chr(39) if who.endswith('s') else chr(39) + 's'} {kind} ({mode}): mean level {entry['level_start']:.2f} at month 0, "
                f"{entry['level_horizon']:.2f} at month {horizon}; runs by rung at the horizon: "
                + ", ".join(f"{k}: {v:.0%}" for k, v in entry["rung_shares"].items() if v >= 0.005) + ".")
        out["text"].append(line)
        if any(abs(v) > 0 for v in entry["terms_horizon"].values()):
            ranked = sorted(entry["terms_horizon"].items(), key=lambda kv: -abs(kv[1]))
            out["text"].append("  its terms at the rung chosen (month %d): " % horizon
                               + ", ".join(f"{labels.get(k, k)} {v:+.3f}" for k, v in ranked if abs(v) > 5e-4))
            moved = sorted(entry["terms_change"].items(), key=lambda kv: -abs(kv[1]))
            if moved and abs(moved[0][1]) > 5e-4:
                k, v = moved[0]
                out["text"].append(f"  what moved most since month 1: {labels.get(k, k)} ({v:+.3f})")
        elif mode != "decided":
            out["text"].append("  fixed by the scenario: no choice, so no terms")
    return out
