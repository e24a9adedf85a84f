"""The explorer without a browser: URL state, sliders, compute path, save as scenario."""

import json
import socket

import pytest

from simulator.analysis.summary import summarize
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import load_scenario

from .conftest import BASELINE, run_cli

core = pytest.importorskip("simulator.cli.explore.core")


def test_url_state_round_trips():
    view = core.View(scenario="secondary_sanctions", runs=500, seed=7, fixed=True,
                     values=(("decision.gain_curvature", 0.6), ("theatres.ukraine.axis_elasticity", 0.9)),
                     off=("sanctions",))
    assert core.View.from_query(view.to_query()) == view


def test_url_state_ignores_what_it_cannot_read():
    view = core.View.from_query("runs=abc&seed=-3&set=nope=1&set=decision.temperature=x&off=unknown",
                                default_scenario="korea_2017")
    assert view == core.View(scenario="korea_2017")


def test_sliders_show_source_and_range_of_the_scenario():
    resolved = load_scenario(BASELINE)
    sliders = core.sliders(resolved)
    assert [s.path for s in sliders] == list(core.SLIDERS)
    for s in sliders:
        spec = resolved.params[s.path]
        assert (s.low, s.high) == tuple(spec.range)
        assert spec.source in s.tooltip and f"[{spec.range[0]:g}, {spec.range[1]:g}]" in s.tooltip
        assert "." not in s.label.split(":")[0]          # plain words, not a dotted path


def test_policy_switch_overrides_win_over_sliders():
    view = core.View(values=(("policies.secondary_sanctions.intensity", 0.3),)).with_policy("sanctions", False)
    assert view.overrides()["policies.secondary_sanctions.intensity"] == 0.0
    assert view.with_policy("sanctions", True).overrides() == {"policies.secondary_sanctions.intensity": 0.3}


def test_compute_is_the_run_command_path():
    view = core.View(runs=300, values=(("theatres.ukraine.axis_elasticity", 1.1),))
    num = core.compute(core.load(view), view.runs, view.seed, view.fixed)
    ens = run_ensemble(load_scenario(BASELINE, ["theatres.ukraine.axis_elasticity=1.1"]), runs=300)
    assert num.summary == summarize(ens)
    assert abs(sum(num.shares) - 1) < 1e-9
    base = core.compute(core.load(core.View(runs=300)), 300, None, False)
    diff = core.difference(base, num)
    assert diff["mean"] == pytest.approx(num.stays["probability"] - base.stays["probability"])
    assert diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]


def test_saved_scenario_reproduces_the_page_with_run(tmp_path):
    view = core.View(runs=400, seed=11, values=(("decision.tie_floor_rung", 3.0),
                                                ("theatres.ukraine.axis_elasticity", 0.25)),
                     off=("ukraine_support",))
    page = core.compute(core.load(view), view.runs, view.seed, view.fixed)
    path = core.save_scenario(view, tmp_path / "mine.yaml", name="mine")
    text = path.read_text()
    assert "extends:" in text and "range: null" in text
    loaded = load_scenario(path)
    assert loaded.params["decision.tie_floor_rung"].value == 3 and loaded.params["decision.tie_floor_rung"].range is None
    r = run_cli("run", path, "--out", tmp_path / "out", "--no-charts", "--quiet")
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["runs"] == 400 and summary["seed"] == 11
    # the run adds the parameter-uncertainty spread (separately seeded); every number of the page is the run's
    spread = summary["outcomes"]["china_stays"].pop("parameter_spread")
    assert spread["p10"] <= spread["p50"] <= spread["p90"]
    assert summary["outcomes"] == json.loads(json.dumps(page.summary["outcomes"]))


def test_save_refuses_a_name_that_is_not_yaml(tmp_path):
    with pytest.raises(core.ScenarioError, match="must end in .yaml"):
        core.save_scenario(core.View(), tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_explore_bad_scenario_is_one_line_exit_2(tmp_path):
    r = run_cli("explore", tmp_path / "missing.yaml", "--no-browser")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "missing.yaml" in r.stderr and "file not found" in r.stderr


def test_explore_port_in_use_is_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_cli("explore", "--no-browser", "--port", port)
    assert r.returncode == 2
    assert f"--port {port}" in r.stderr and "choose another port" in r.stderr
