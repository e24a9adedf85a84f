"""Scenario discovery: under which parameter ranges does a target outcome happen?

PRIM (the Patient Rule Induction Method, the ``prim`` package) peels the parameter
space into boxes where the cases of interest are concentrated.  A box is reported
with its **coverage** (share of all cases of interest that fall inside it) and its
**density** (share of the runs inside it that are cases of interest).

Inputs: a run folder (each replicate's drawn parameters in ``runs.parquet``) or a
sweep folder (design points in ``points.parquet``).  The target is an expression
over outcome columns, evaluated with :meth:`pandas.DataFrame.eval`.
"""

from __future__ import annotations

import logging
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import AnalysisError, is_param_column, read_manifest, read_parquet, require

_FORBIDDEN = re.compile(r"@|__|\b(import|lambda|exec|eval|open)\b")


def evaluate_target(frame: pd.DataFrame, target: str) -> np.ndarray:
    """Evaluate ``target`` (e.g. ``"china_stays == 0"``) over ``frame``'s columns as a
    boolean array.  Raises :class:`AnalysisError` for a bad expression or an unknown column."""
    text = (target or "").strip()
    if not text:
        raise AnalysisError("--target is empty; give an expression such as \"china_stays == 0\"")
    if _FORBIDDEN.search(text):
        raise AnalysisError(f"--target {target!r}: only comparisons of outcome columns are allowed "
                            f"(no '@', '__' or function calls)")
    names = [str(c) for c in frame.columns]
    columns = ", ".join(names[:16]) + (f", ... ({len(names)} in all)" if len(names) > 16 else "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = frame.eval(text, engine="python")
    except pd.errors.UndefinedVariableError as exc:
        name = re.search(r"'([^']+)'", str(exc))
        bad = name.group(1) if name else str(exc)
        raise AnalysisError(f"--target {target!r}: unknown column '{bad}'; outcome columns: {columns}") from None
    except (SyntaxError, tokenize.TokenError) as exc:
        msg = exc.msg if isinstance(exc, SyntaxError) else str(exc.args[0])
        raise AnalysisError(f"--target {target!r}: not a valid expression ({msg})") from None
    except Exception as exc:  # noqa: BLE001 - any evaluation failure is bad input here
        raise AnalysisError(f"--target {target!r}: cannot evaluate: {type(exc).__name__}: {exc}") from None
    if isinstance(result, pd.DataFrame) or not isinstance(result, (pd.Series, np.ndarray)):
        raise AnalysisError(f"--target {target!r}: must give one true/false value per row "
                            f"(a comparison such as 'china_stays == 0')")
    values = np.asarray(result)
    if values.shape != (len(frame),):
        raise AnalysisError(f"--target {target!r}: must give one true/false value per row")
    if values.dtype != bool:
        uniq = set(np.unique(values[~pd.isna(values)]).tolist()) if values.size else set()
        if not uniq <= {0, 1, True, False}:
            raise AnalysisError(f"--target {target!r}: is not true/false (use a comparison, e.g. "
                                f"'china_rung < 2')")
        values = values.astype(bool)
    return values


@dataclass
class Box:
    limits: pd.DataFrame          # one row per restricted parameter: min, max, full_min, full_max, qp
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame      # the peeling/pasting trajectory: coverage, density, mass, res dim
    chosen: int                   # index of the box on the trajectory
    count: int                    # runs (or points) inside the box
    cases: int                    # cases of interest inside the box

    def to_dict(self) -> dict:
        return {"coverage": self.coverage, "density": self.density, "mass": self.mass,
                "runs_in_box": self.count, "cases_in_box": self.cases, "trajectory_index": self.chosen,
                "limits": [{"parameter": p, **{k: float(v) for k, v in r.items()}}
                           for p, r in self.limits.iterrows()],
                "trajectory": [{k: float(v) for k, v in r.items()} for _, r in self.trajectory.iterrows()]}

    @classmethod
    def from_dict(cls, data: dict) -> "Box":
        limits = pd.DataFrame(data.get("limits", []),
                              columns=["parameter", "min", "max", "full_min", "full_max", "qp"])
        return cls(limits=limits.set_index("parameter"), coverage=data["coverage"], density=data["density"],
                   mass=data["mass"], trajectory=pd.DataFrame(data.get("trajectory", [])),
                   chosen=int(data.get("trajectory_index", 0)), count=int(data.get("runs_in_box", 0)),
                   cases=int(data.get("cases_in_box", 0)))


@dataclass
class Discovery:
    target: str
    n: int
    cases: int
    parameters: list[str]
    boxes: list[Box] = field(default_factory=list)
    source: str = ""              # 'runs' or 'points'
    screening: pd.Series | None = None   # parameter -> KS distance, cases vs the rest

    @property
    def base_rate(self) -> float:
        return self.cases / self.n if self.n else float("nan")

    def to_dict(self) -> dict:
        return {"target": self.target, "source": self.source, "rows": self.n, "cases": self.cases,
                "base_rate": self.base_rate, "parameters_searched": self.parameters,
                "screening_ks": ({} if self.screening is None else
                                 {k: float(v) for k, v in self.screening.head(20).items()}),
                "boxes": [b.to_dict() for b in self.boxes]}

    @classmethod
    def from_dict(cls, data: dict) -> "Discovery":
        screening = pd.Series(data.get("screening_ks", {}), name="ks", dtype=float)
        return cls(target=data["target"], n=int(data["rows"]), cases=int(data["cases"]),
                   parameters=list(data.get("parameters_searched", [])),
                   boxes=[Box.from_dict(b) for b in data.get("boxes", [])], source=data.get("source", ""),
                   screening=screening)

    def table(self) -> pd.DataFrame:
        rows = []
        for i, b in enumerate(self.boxes, start=1):
            for p, r in b.limits.iterrows():
                rows.append({"box": i, "parameter": p, "min": r["min"], "max": r["max"],
                             "full_min": r["full_min"], "full_max": r["full_max"], "qp": r["qp"],
                             "coverage": b.coverage, "density": b.density, "mass": b.mass})
        return pd.DataFrame(rows, columns=["box", "parameter", "min", "max", "full_min", "full_max",
                                           "qp", "coverage", "density", "mass"])


def _choose(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The densest box on the trajectory that keeps at least ``min_coverage`` of the cases
    (ties: more coverage); if none does, the box with most coverage."""
    t = trajectory.reset_index(drop=True)
    ok = t[t["coverage"] >= min_coverage - 1e-12]
    if ok.empty:
        return int(t["coverage"].astype(float).idxmax())
    best = ok.sort_values(["density", "coverage"], ascending=[False, False], kind="stable")
    return int(best.index[0])


def screen(x: pd.DataFrame, y: np.ndarray) -> pd.Series:
    """Each parameter's Kolmogorov-Smirnov distance between its values in the cases of
    interest and in the other rows (0: same distribution .. 1: fully separated), sorted."""
    from scipy.stats import ks_2samp
    scores = {}
    for c in x.columns:
        v = x[c].to_numpy(dtype=float)
        scores[c] = float(ks_2samp(v[y], v[~y]).statistic)
    return pd.Series(scores, name="ks", dtype=float).sort_values(ascending=False, kind="stable")


def discover(x: pd.DataFrame, y, *, target: str = "", max_boxes: int = 2, min_coverage: float = 0.5,
             max_params: int | None = 12, include: list[str] | None = None, max_qp: float | None = 0.05,
             peel_alpha: float = 0.05, mass_min: float = 0.05, source: str = "") -> Discovery:
    """PRIM boxes for the cases ``y`` (booleans) in the parameter table ``x``.

    Parameters that do not vary are left out; integer columns are cast to float
    (prim 1.0's integer pasting is unreliable).  With many parameters PRIM overfits
    and slows down, so only the ``max_params`` parameters whose distributions differ
    most between cases and non-cases (:func:`screen`) are searched, plus any whose
    path starts with an ``include`` prefix.  Restrictions whose quasi-p value is
    above ``max_qp`` (not distinguishable from chance) are dropped from each box.
    """
    import prim

    y = np.asarray(y, dtype=bool)
    if len(x) != y.size:
        raise AnalysisError("parameters and target have different lengths")
    x = x.astype(float)
    varying = [c for c in x.columns if np.nanmax(x[c]) > np.nanmin(x[c])] if len(x) else []
    if include:
        unknown = [p for p in include if not any(str(c).startswith(p) for c in x.columns)]
        if unknown:
            raise AnalysisError(f"--include {unknown[0]!r} matches no parameter column")
    if not varying:
        raise AnalysisError("no parameter varies across the runs (was the run --fixed?); nothing to search")
    x = x[varying].reset_index(drop=True)
    if x.isna().any().any():
        raise AnalysisError("parameter table has missing values")
    cases = int(y.sum())
    if cases == 0:
        raise AnalysisError(f"no row satisfies the target {target!r} ({y.size} rows); nothing to discover")
    if cases == y.size:
        raise AnalysisError(f"every row satisfies the target {target!r}; nothing to discover")
    scores = screen(x, y)
    chosen_params = list(scores.index[:max_params]) if max_params else list(scores.index)
    for prefix in include or []:
        chosen_params += [c for c in varying if c.startswith(prefix) and c not in chosen_params]
    x = x[chosen_params]
    result = Discovery(target=target, n=int(y.size), cases=cases, parameters=chosen_params, source=source,
                       screening=scores)
    logging.getLogger("prim").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, y, threshold=None, peel_alpha=peel_alpha, mass_min=mass_min)
        full = {c: (float(x[c].min()), float(x[c].max())) for c in chosen_params}
        for _ in range(max(1, int(max_boxes))):
            box = p.find_box()
            if box is None:
                break
            trajectory = box.peeling_trajectory.reset_index(drop=True).astype(float)
            chosen = _choose(trajectory, min_coverage)
            box.select(chosen)
            while max_qp is not None:
                lims = box.limits
                restricted = lims[[not (float(r["min"]) <= full[n][0] and float(r["max"]) >= full[n][1])
                                   for n, r in lims.iterrows()]]
                if restricted.empty or float(restricted["qp values"].max()) <= max_qp:
                    break
                box.drop_restriction(str(restricted["qp values"].astype(float).idxmax()))
            trajectory = box.peeling_trajectory.reset_index(drop=True).astype(float)
            chosen = len(trajectory) - 1 if max_qp is not None else chosen
            if float(box.density) <= result.base_rate and result.boxes:
                break   # no better than the data as a whole: stop looking
            lims = box.limits
            rows = []
            for name, r in lims.iterrows():
                lo, hi = float(r["min"]), float(r["max"])
                f_lo, f_hi = full[name]
                if lo <= f_lo and hi >= f_hi:
                    continue
                rows.append({"parameter": name, "min": lo, "max": hi, "full_min": f_lo, "full_max": f_hi,
                             "qp": float(r["qp values"])})
            limits = pd.DataFrame(rows, columns=["parameter", "min", "max", "full_min", "full_max", "qp"])
            limits = limits.set_index("parameter")
            inside = np.asarray(box.yi)
            result.boxes.append(Box(limits=limits, coverage=float(box.coverage), density=float(box.density),
                                    mass=float(box.mass), trajectory=trajectory, chosen=chosen,
                                    count=int(inside.size), cases=int(y[inside].sum())))
            if not limits.shape[0]:
                break
    return result


def _split_columns(frame: pd.DataFrame, manifest: dict, kind: str) -> tuple[list[str], list[str]]:
    params = None
    if kind == "sweep":
        listed = (manifest.get("design") or {}).get("params") or manifest.get("params")
        if isinstance(listed, dict):
            listed = list(listed)
        if isinstance(listed, list):
            names = [e.get("path", e.get("name")) if isinstance(e, dict) else str(e).split("=")[0]
                     for e in listed]
            params = [n for n in names if n in frame.columns]
    if not params:
        params = [c for c in frame.columns if is_param_column(c)]
    outcomes = [c for c in frame.columns if c not in params]
    return params, outcomes


def discover_folder(folder: str | Path, target: str, **kwargs) -> Discovery:
    """Scenario discovery on a run folder (runs.parquet) or a sweep folder (points.parquet)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest.get("kind")
    if kind == "run":
        require(folder, "runs.parquet")
        frame, source = read_parquet(folder / "runs.parquet"), "runs"
    elif kind == "sweep":
        require(folder, "points.parquet")
        frame, source = read_parquet(folder / "points.parquet"), "points"
        if "runs" in frame:
            frame = frame[frame["runs"] > 0].reset_index(drop=True)     # points without results
    else:
        raise AnalysisError(f"{folder}: discover needs a run or sweep folder (this is a {kind!r} folder; "
                            f"for a compare folder, pass one of its scenario sub-folders)")
    params, outcomes = _split_columns(frame, manifest, kind)
    if not params:
        raise AnalysisError(f"{folder}: no parameter columns to search (was the run --fixed?)")
    try:
        y = evaluate_target(frame[outcomes], target)
    except AnalysisError as exc:
        if kind == "sweep" and "unknown column" in str(exc):
            raise AnalysisError(f"{exc} (a sweep has one row per design point: use its probabilities, "
                                f"e.g. 'p_stays < 0.5')") from None
        raise
    return discover(frame[params], y, target=target, source=source, **kwargs)
