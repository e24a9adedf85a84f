"""What the explorer computes, without the web page: the controls, the URL state, the
ensemble of a view, its figures, and "save as scenario".

The page (:mod:`.app`) only wires these to widgets, so that everything a user sees can be
checked here and reproduced with ``run.py run``.
"""

from __future__ import annotations

import functools
import io
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import yaml

from ... import __version__
from ...analysis.compare import paired_difference
from ...analysis.explain import explain
from ...analysis.labels import plain_label
from ...analysis.summary import bands, link_rungs_table, links_table, probability, summarize, terms_table
from ...experiment.ensemble import run_ensemble
from ...scenario import ScenarioError, load_scenario
from ...scenario.loader import parse_override

ROOT = Path(__file__).resolve().parents[3]
BUNDLED_DIR = ROOT / "scenarios"
BASELINE = "baseline"
DEFAULT_RUNS = 2000
MAX_RUNS = 20_000

#: The parameters with a slider, most influential first: the seven largest Morris mu* of the
#: baseline's screening of every drawn parameter (docs/robustness.md, made by
#: `python scripts/make_robustness.py`), China's decision weights left out: they are structural,
#: set by the baseline alone, so a saved scenario cannot set them -- study them with
#: `sensitivity` or `--set`.
SLIDERS = (
    "decision.neutral_failure",
    "theatres.ukraine.axis_elasticity",
    "decision.failure_own_share",
    "states.united_states.prestige_stake",
    "theatres.ukraine.spillover",
    "decision.policy_weights.resistance.strategic_gain",
    "decision.gain_curvature",
)

#: Policy switches: name -> (label, what "off" sets, help).
POLICIES = {
    "sanctions": ("Western secondary sanctions on China",
                  {"policies.secondary_sanctions.intensity": 0.0, "policies.secondary_sanctions.credibility": 0.0},
                  "Off: no sanctions and no threat (intensity and credibility 0). Scenario events still apply."),
    "ukraine_support": ("Western support to Ukraine", {"policies.ukraine_support.level": 0.0},
                        "Off: support level 0. Scenario events still apply."),
    "deterrence": ("US deterrence in the Middle East and Indo-Pacific",
                   {"policies.deterrence.middle_east": 0.0, "policies.deterrence.indo_pacific": 0.0},
                   "Off: both deterrence levels 0."),
    "allies_respond": ("Allies close ranks as the axis escalates (decided by the model)",
                       {"policies.allied_cohesion.response": 0.0},
                       "Off: allied cohesion is fixed at its month-0 level (response 0) instead of "
                       "evolving with the axis' escalation."),
}

SAVE_SOURCE = "set in the explorer"


def bundled() -> dict[str, Path]:
    """Bundled scenarios by name (file stem)."""
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.yaml"))}


def scenario_path(choice: str) -> Path:
    """A bundled scenario name or a path to a scenario file."""
    known = bundled()
    if choice in known:
        return known[choice]
    return Path(choice)


# ----------------------------------------------------------------------------- state

@dataclass(frozen=True)
class View:
    """Everything that determines the numbers on the page (and its URL)."""

    scenario: str = BASELINE                   # bundled name or file path
    runs: int = DEFAULT_RUNS
    seed: int | None = None                    # None: the scenario's seed
    fixed: bool = False                        # point values instead of draws from ranges
    values: tuple[tuple[str, float], ...] = ()  # slider values that differ from the scenario
    off: tuple[str, ...] = ()                  # policies switched off

    def overrides(self) -> dict[str, float]:
        """Path -> value, sliders first, then switched-off policies (which win)."""
        out = dict(self.values)
        for name in self.off:
            out.update(POLICIES[name][1])
        return out

    def set_args(self) -> list[str]:
        return [f"{p}={_num(v)}" for p, v in self.overrides().items()]

    def with_value(self, path: str, value: float | None) -> "View":
        vals = dict(self.values)
        if value is None:
            vals.pop(path, None)
        else:
            vals[path] = float(value)
        return _replace(self, values=tuple(sorted(vals.items())))

    def with_policy(self, name: str, on: bool) -> "View":
        off = set(self.off)
        (off.discard if on else off.add)(name)
        return _replace(self, off=tuple(sorted(off)))

    # URL query string -------------------------------------------------------------
    def to_query(self) -> str:
        q: list[tuple[str, str]] = [("scenario", self.scenario), ("runs", str(self.runs))]
        if self.seed is not None:
            q.append(("seed", str(self.seed)))
        if self.fixed:
            q.append(("fixed", "1"))
        q += [("set", f"{p}={_num(v)}") for p, v in self.values]
        q += [("off", name) for name in self.off]
        return urlencode(q)

    @classmethod
    def from_query(cls, search: str | None, default_scenario: str = BASELINE) -> "View":
        """Parse a URL query string; anything unreadable falls back to the default."""
        q = parse_qs(search or "", keep_blank_values=False)

        def one(key, cast, default):
            try:
                return cast(q[key][0]) if key in q else default
            except (TypeError, ValueError):
                return default

        runs = one("runs", int, DEFAULT_RUNS)
        runs = min(max(1, runs), MAX_RUNS)
        seed = one("seed", int, None)
        if seed is not None and seed < 0:
            seed = None
        values = []
        for item in q.get("set", []):
            try:
                path, value = parse_override(item)
            except ScenarioError:
                continue
            if path in SLIDERS:
                values.append((path, value))
        off = tuple(sorted({o for o in q.get("off", []) if o in POLICIES}))
        return cls(scenario=one("scenario", str, default_scenario) or default_scenario, runs=runs, seed=seed,
                   fixed=one("fixed", str, "0") in ("1", "true", "yes"), values=tuple(sorted(values)), off=off)


def _replace(view: View, **kw) -> View:
    from dataclasses import replace
    return replace(view, **kw)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


# ----------------------------------------------------------------------------- sliders

@dataclass
class Slider:
    path: str
    label: str
    value: float          # the scenario's point value
    low: float
    high: float
    step: float
    integer: bool
    source: str
    range: tuple[float, float] | None

    @property
    def tooltip(self) -> str:
        rng = f"range [{self.range[0]:g}, {self.range[1]:g}] (drawn per run)" if self.range else "no range (fixed)"
        return (f"{self.path}: {rng}; point value {self.value:g}. Source: {self.source or 'not given'}. "
                f"Moving the slider fixes it at the chosen value.")


def param_label(path: str) -> str:
    """Plain words for a parameter, from the schema's field descriptions."""
    return plain_label(path)


def sliders(resolved) -> list[Slider]:
    out = []
    for path in SLIDERS:
        spec = resolved.params.get(path)
        if spec is None:
            continue
        lo_b, hi_b, integer = resolved.bounds.get(path, (-math.inf, math.inf, False))
        if spec.range is not None and spec.range[1] > spec.range[0]:
            lo, hi = spec.range
        else:
            span = abs(spec.value) * 0.5 or 1.0
            lo, hi = spec.value - span, spec.value + span
        lo, hi = max(lo, lo_b), min(hi, hi_b)
        step = 1.0 if integer else _nice_step(hi - lo)
        out.append(Slider(path=path, label=param_label(path), value=float(spec.value), low=float(lo),
                          high=float(hi), step=step, integer=bool(integer), source=spec.source or "",
                          range=tuple(spec.range) if spec.range is not None else None))
    return out


def _nice_step(span: float) -> float:
    raw = span / 50 if span > 0 else 0.01
    mag = 10 ** math.floor(math.log10(raw))
    return float(min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=mag))


# ----------------------------------------------------------------------------- compute

@dataclass
class Numbers:
    """The figures of one ensemble shown on the page."""

    name: str
    runs: int
    seed: int
    summary: dict
    stays: dict
    throughout: dict
    shares: list[float]           # share of runs at each rung of China's support to Russia (horizon)
    ensemble: object = field(repr=False, default=None)


def load(view: View):
    """The scenario of a view with its overrides (raises ScenarioError on bad input)."""
    return load_scenario(scenario_path(view.scenario), view.set_args())


def compute(resolved, runs: int, seed: int | None, fixed: bool) -> Numbers:
    """One ensemble through the same code path as ``run.py run`` (run_ensemble + summarize)."""
    ens = run_ensemble(resolved, runs=runs, seed=seed, fixed=fixed)
    summary = summarize(ens)
    o = summary["outcomes"]
    drop = ens.outcomes["first_drop_month"].to_numpy()
    dist = o["china_rung"]["distribution"]
    return Numbers(name=summary["scenario"], runs=ens.runs, seed=ens.seed, summary=summary,
                   stays=o["china_stays"], throughout=probability(drop < 0),
                   shares=[float(dist[str(k)]) for k in range(len(dist))], ensemble=ens)


def difference(base: Numbers, other: Numbers) -> dict:
    """Paired difference of P(stays) (other minus baseline) on common random numbers."""
    a = base.ensemble.outcomes.sort_values("replicate")["china_stays"].to_numpy()
    b = other.ensemble.outcomes.sort_values("replicate")["china_stays"].to_numpy()
    return paired_difference(a, b)


# ----------------------------------------------------------------------------- figures

_DRAW_LOCK = threading.Lock()     # pyplot keeps global state: one drawing at a time
_LAYOUTS: dict[str, dict] = {}    # scenario name -> chart key -> margins (a redraw reuses them)
DPI = 72


@functools.lru_cache(maxsize=1)
def _git() -> str:
    from ...experiment.provenance import git_hash
    return git_hash()


def figures(num: Numbers, cancelled=lambda: False) -> dict[str, bytes]:
    """PNG bytes of the rung chart, the alignment network and the drivers waterfall."""
    import matplotlib.pyplot as plt

    from ...charts.explain_charts import waterfall_figure
    from ...charts.network import network_figure
    from ...charts.run_charts import china_rung_figure
    from ...charts.style import reuse_layouts
    ens = num.ensemble
    b = bands(ens)
    manifest = {"scenario": num.name, "runs": num.runs, "seed": num.seed, "git": _git(),
                "versions": {"axis-sim": __version__}}
    makers = {
        "rung": lambda: china_rung_figure(b, num.summary, manifest, partners=("russia",)),
        "network": lambda: network_figure(links_table(ens), num.summary, manifest,
                                          months=[num.summary["horizon_months"]], rungs=link_rungs_table(ens)),
        "waterfall": lambda: waterfall_figure(explain(terms_table(ens), b, start=num.summary.get("start")),
                                              num.summary, manifest),
    }
    out = {}
    for key, make in makers.items():
        if cancelled():
            break
        with _DRAW_LOCK, reuse_layouts(_LAYOUTS.setdefault(num.name, {})):
            fig = make()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
            plt.close(fig)
        out[key] = buf.getvalue()
    return out


# ----------------------------------------------------------------------------- save

def saved_yaml(view: View, name: str | None = None, base_dir: Path | None = None) -> str:
    """A scenario file that ``extends`` the view's scenario with the view's changed values.

    A changed value is written as ``{value: V, range: null, source: ...}``: fixed at V, as the
    page (and ``--set``) computes it.  ``runs`` and ``seed`` are the page's.
    """
    parent = scenario_path(view.scenario).resolve()
    base = load_scenario(parent)
    if base_dir is not None:
        try:
            ref = str(parent.relative_to(base_dir.resolve()))
        except ValueError:
            import os
            ref = os.path.relpath(parent, base_dir.resolve())
    else:
        ref = str(parent)
    data: dict = {"name": name or f"{base.name}_explored",
                  "description": f"{base.name} with values changed in the axis-sim explorer",
                  "extends": ref, "runs": int(view.runs)}
    data["seed"] = int(base.scenario.seed if view.seed is None else view.seed)
    for path, value in view.overrides().items():
        node = data
        parts = path.split(".")
        for key in parts[:-1]:
            node = node.setdefault(key, {})
        spec = base.params.get(path)
        was = f"; scenario value {spec.value:g}" + (f", range [{spec.range[0]:g}, {spec.range[1]:g}]"
                                                     if spec and spec.range else "") if spec else ""
        node[parts[-1]] = {"value": int(value) if float(value).is_integer() and base.bounds.get(path, (0, 0, False))[2]
                           else float(value), "range": None, "source": SAVE_SOURCE + was}
    head = ("# Saved from the axis-sim explorer. Reproduce the page's numbers with:\n"
            f"#   python run.py run THIS_FILE{' --fixed' if view.fixed else ''}\n")
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def save_scenario(view: View, path: str | Path, name: str | None = None) -> Path:
    """Write :func:`saved_yaml` to ``path`` and check it with the scenario loader; a file that
    does not validate is removed and the error raised."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise ScenarioError(str(path), None, "", "a scenario file name must end in .yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = saved_yaml(view, name, base_dir=path.parent)
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError:
        path.unlink(missing_ok=True)
        raise
    return path


def command(view: View, path: str | Path) -> str:
    return f"python run.py run {path}" + (" --fixed" if view.fixed else "")


def timer():
    t0 = time.perf_counter()
    return lambda: time.perf_counter() - t0
