"""The explorer page (Solara).  Started by ``run.py explore``; the logic lives in :mod:`.core`."""

from __future__ import annotations

import html
import os
import threading
from collections import OrderedDict

import solara

from ...analysis.inputs import month_label
from ...scenario import ScenarioError
from ...scenario.schema import RUNG_NAMES
from . import core

DEFAULT_SCENARIO = os.environ.get("AXIS_SIM_EXPLORE_SCENARIO", core.BASELINE)
SAVE_DIR = os.environ.get("AXIS_SIM_EXPLORE_SAVE_DIR", os.getcwd())

_BASE_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()   # (runs, seed, fixed) -> (Numbers, figures)
_BASE_LOCK = threading.Lock()


def _baseline(runs: int, seed, fixed: bool, cancelled):
    """The bundled baseline on the same runs and seed (common random numbers), cached."""
    base = core.load_scenario(core.bundled()[core.BASELINE])
    seed = int(base.scenario.seed if seed is None else seed)
    key = (runs, seed, fixed)
    with _BASE_LOCK:
        if key in _BASE_CACHE:
            _BASE_CACHE.move_to_end(key)
            return _BASE_CACHE[key]
    num = core.compute(base, runs, seed, fixed)
    figs = core.figures(num, cancelled)
    if cancelled():
        return num, figs
    with _BASE_LOCK:
        _BASE_CACHE[key] = (num, figs)
        while len(_BASE_CACHE) > 4:
            _BASE_CACHE.popitem(last=False)
    return num, figs


def _p(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['probability']:.4f} <small>[95% CI {lo:.3f}-{hi:.3f}; {entry['count']} of {entry['runs']} runs]</small>"


def _numbers_html(title: str, num: core.Numbers, test_id: str) -> str:
    shares = "".join(f"<tr><td>{html.escape(RUNG_NAMES[k])}</td><td style='text-align:right'>{s:.1%}</td></tr>"
                     for k, s in enumerate(num.shares))
    thr = num.summary.get("stay_threshold", 2)
    return (f"<div class='numbers' data-testid='{test_id}'><h3>{html.escape(title)}</h3>"
            f"<p><b>P(stays)</b> = <span data-testid='{test_id}-pstays' data-count='{num.stays['count']}' "
            f"data-runs='{num.stays['runs']}'>{_p(num.stays)}</span><br>"
            f"<small>China's support to Russia at least '{html.escape(RUNG_NAMES[thr])}' in "
            f"{month_label(num.summary.get('start'), num.summary['horizon_months'])} (month "
            f"{num.summary['horizon_months']})</small></p>"
            f"<p><b>P(stays throughout)</b> = {_p(num.throughout)}<br><small>never below that rung in any "
            f"month</small></p>"
            f"<table class='shares'><tr><th>rung at the horizon</th><th>share of runs</th></tr>{shares}</table></div>")


def _diff_html(diff: dict, name: str) -> str:
    lo, hi = diff["ci95"]
    return (f"<div class='diff' data-testid='diff'><b>P(stays), {html.escape(name)} as set here minus the "
            f"baseline</b>: "
            f"<span data-testid='diff-value'>{diff['mean']:+.4f}</span> "
            f"<small>[95% CI {lo:+.4f} to {hi:+.4f}; paired over the same {diff['n']} runs: common random "
            f"numbers, so most of the Monte Carlo noise cancels]</small></div>")


def _work(view: core.View):
    def task(cancel: threading.Event):
        clock = core.timer()
        cancelled = cancel.is_set
        resolved = core.load(view)
        num = core.compute(resolved, view.runs, view.seed, view.fixed)
        t_compute = clock()
        if cancelled():
            return None
        figs = core.figures(num, cancelled)
        if os.environ.get("AXIS_SIM_EXPLORE_DEBUG"):
            print(f"compute {t_compute:.3f} s, figures {clock() - t_compute:.3f} s", flush=True)
        if cancelled():
            return None
        own_time = clock()
        base, base_figs = _baseline(view.runs, num.seed, view.fixed, cancelled)
        if cancelled():
            return None
        return {"view": view, "num": num, "figs": figs, "base": base, "base_figs": base_figs,
                "diff": core.difference(base, num), "seconds": own_time, "total": clock()}
    return task


def _h(title: str, note: str = "") -> None:
    small = f"<br><small>{html.escape(note)}</small>" if note else ""
    solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(title)}</b>{small}", classes=["section-head"])


@solara.component
def Figures(figs: dict, prefix: str):
    for key in ("rung", "network", "waterfall"):
        if key in figs:
            with solara.Div(classes=[f"{prefix}-{key}"]):
                solara.Image(figs[key], width="100%")


@solara.component
def Page():
    router = solara.use_router()
    initial = solara.use_memo(lambda: core.View.from_query(router.search, DEFAULT_SCENARIO), [])
    view, set_view = solara.use_state(initial)
    file_text, set_file_text = solara.use_state("" if view.scenario in core.bundled() else view.scenario)
    save_path, set_save_path = solara.use_state("")
    message, set_message = solara.use_state("")

    def push_url():
        query = view.to_query()
        if router.search != query:
            router.push(f"{router.path or '/'}?{query}")
    solara.use_effect(push_url, [view])

    def load_base():
        try:
            resolved = core.load(core.View(scenario=view.scenario))
            return None, core.sliders(resolved), resolved
        except ScenarioError as exc:
            return exc.format(), [], None
        except OSError as exc:
            return f"{view.scenario}: {exc}", [], None
    error, controls, resolved = solara.use_memo(load_base, [view.scenario])

    result = solara.use_thread(_work(view), dependencies=[view], intrusive_cancel=False) \
        if error is None else None

    solara.Title("axis-sim explorer")
    solara.Style(".numbers td, .numbers th {padding: 0 8px; font-size: 13px} .numbers h3 {margin: 4px 0} "
                 ".diff {margin: 6px 0 10px 0; font-size: 15px} .slider-label {font-size: 12px; margin-bottom: -14px} "
                 ".section-head {margin-top: 14px; font-size: 15px} .section-head small {color: #555} "
                 ".page-title {margin: 8px 16px; font-size: 22px}")
    solara.HTML(tag="h2", unsafe_innerHTML="axis-sim explorer: does China stay aligned with Russia?",
                classes=["page-title"])
    with solara.Columns([1, 3]):
        with solara.Column(classes=["controls"]):
            Controls(view, set_view, controls, resolved, file_text, set_file_text, save_path, set_save_path,
                     message, set_message)
        with solara.Column():
            Results(view, error, result)


@solara.component
def Controls(view, set_view, controls, resolved, file_text, set_file_text, save_path, set_save_path, message,
             set_message):
    _h("Scenario")
    names = list(core.bundled())
    solara.Select(label="bundled scenario", values=names,
                  value=view.scenario if view.scenario in names else None,
                  on_value=lambda v: v and set_view(core.View(scenario=v, runs=view.runs, seed=view.seed,
                                                               fixed=view.fixed)))

    def use_file(text):
        set_file_text(text)
        if text.strip():
            set_view(core.View(scenario=text.strip(), runs=view.runs, seed=view.seed, fixed=view.fixed))
    solara.InputText("or a scenario file (path, Enter)", value=file_text, on_value=use_file,
                     continuous_update=False)
    _h("Parameters that matter most", "ranked by a Morris screening of P(stays); hover for source and "
       "range; moving a slider fixes the parameter at that value")
    values = dict(view.values)
    for s in controls:
        current = values.get(s.path, s.value)

        def change(v, s=s):
            v = float(v)
            set_view(view.with_value(s.path, None if abs(v - s.value) < 1e-12 else v))
        with solara.Tooltip(s.tooltip):
            with solara.Div(classes=["slider-row"]):
                changed = " (changed)" if s.path in values else ""
                solara.HTML(tag="div", unsafe_innerHTML=html.escape(f"{s.label}{changed}: {current:g}"),
                            classes=["slider-label"])
                if s.integer:
                    solara.SliderInt("", value=int(round(current)), min=int(s.low),
                                     max=int(s.high), step=1, on_value=change)
                else:
                    solara.SliderFloat("", value=current, min=s.low, max=s.high,
                                       step=s.step, on_value=change)
    if view.values:
        solara.Button("reset sliders", text=True, on_click=lambda: set_view(
            core.View(scenario=view.scenario, runs=view.runs, seed=view.seed, fixed=view.fixed,
                      off=view.off)))
    _h("Policies")
    for name, (label, _, help_text) in core.POLICIES.items():
        with solara.Tooltip(help_text):
            solara.Switch(label=label, value=name not in view.off,
                          on_value=lambda on, name=name: set_view(view.with_policy(name, on)))
    with solara.Tooltip("On: every parameter at its point value. Off: each run draws every ranged "
                        "parameter from its range."):
        solara.Switch(label="fixed: point values, no draws", value=view.fixed,
                      on_value=lambda on: set_view(core._replace(view, fixed=bool(on))))
    _h("Runs and seed")
    solara.InputInt("runs", value=view.runs, continuous_update=False,
                    on_value=lambda v: v and 1 <= v <= core.MAX_RUNS and set_view(core._replace(view, runs=int(v))))
    seed_now = view.seed if view.seed is not None else (resolved.scenario.seed if resolved else 0)
    solara.InputInt("seed", value=seed_now, continuous_update=False,
                    on_value=lambda v: v is not None and v >= 0 and set_view(core._replace(view, seed=int(v))))
    _h("Save as scenario")
    default_name = f"{resolved.name if resolved else 'scenario'}_explored.yaml"
    solara.InputText("file", value=save_path or os.path.join(SAVE_DIR, default_name),
                     on_value=set_save_path, continuous_update=True)

    def save():
        target = save_path or os.path.join(SAVE_DIR, default_name)
        try:
            written = core.save_scenario(view, target)
        except ScenarioError as exc:
            set_message(f"not saved: {exc.format()}")
        except OSError as exc:
            set_message(f"not saved: {exc}")
        else:
            set_message(f"saved {written}; reproduce with: {core.command(view, written)}")
    solara.Button("Save as scenario", on_click=save, color="primary")
    if message:
        solara.Text(message, classes=["save-message"])



@solara.component
def Results(view, error, result):
    if error is not None:
        solara.Error(error)
        return
    if result is None or result.value is None:
        solara.ProgressLinear(True)
        solara.Text("computing...")
        return
    r = result.value
    stale = r["view"] != view or result.state == solara.ResultState.RUNNING
    solara.ProgressLinear(stale)
    solara.HTML(tag="div", unsafe_innerHTML=_diff_html(r["diff"], r["num"].name), classes=[])
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<small data-testid='timing' data-seconds='{r['seconds']:.3f}'>{r['num'].runs} runs computed and "
        f"drawn in {r['seconds']:.2f} s (seed {r['num'].seed}){' ... updating' if stale else ''}</small>"))
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.HTML(tag="div", unsafe_innerHTML=_numbers_html(f"{r['num'].name} (as set here)", r["num"],
                                                                   "chosen"))
            Figures(r["figs"], "chosen")
        with solara.Column():
            solara.HTML(tag="div", unsafe_innerHTML=_numbers_html("baseline (same runs and seed)", r["base"],
                                                                   "baseline"))
            Figures(r["base_figs"], "baseline")
