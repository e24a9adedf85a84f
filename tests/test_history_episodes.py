"""Historical episodes (scenarios/history/*.yaml): each validates, starts in its own month from
its own state, and runs; only an episode may set China's month-0 rungs."""

import pytest

from simulator.model.model import AxisModel
from simulator.scenario import ScenarioError, load_scenario

from .conftest import BASELINE, ROOT, run_cli

HISTORY = ROOT / "scenarios" / "history"
EPISODES = {"ukraine_2022": ("2022-02", 34), "eo14114_2024": ("2023-12", 12),
            "north_korea_2017": ("2017-08", 28), "iran_2018": ("2018-05", 63)}


@pytest.mark.parametrize("name", sorted(EPISODES))
def test_episode_starts_in_its_month_from_its_own_state(name):
    r = load_scenario(HISTORY / f"{name}.yaml")
    base = load_scenario(BASELINE)
    start, horizon = EPISODES[name]
    sc = r.scenario
    assert (sc.kind, sc.start, sc.horizon_months) == ("episode", start, horizon)
    assert all(ev.month < horizon for ev in sc.events)
    # it changes the starting state: at least one theatre or policy level and a rung differ
    changed = [p for p in r.params if r.params[p].value != base.params[p].value]
    assert any(p.startswith(("theatres.", "policies.")) for p in changed), changed
    rungs = {sid: dict(s.support) for sid, s in sc.states.items()}
    base_rungs = {sid: dict(s.support) for sid, s in base.scenario.states.items()}
    assert rungs != base_rungs or name == "eo14114_2024"
    # every value it moves away from the baseline carries a source or a stated assumption
    for p in changed:
        assert r.params[p].source, p
    for ev in sc.events:
        assert ev.source, (name, ev.path)
    # the model starts from those rungs
    m = AxisModel(r, replicates=3, seed=1, collect=False)
    assert list(m.china.support["russia"]) == [rungs["china"]["russia"]] * 3
    m.run()
    assert m.month == horizon


def test_every_episode_validates_and_runs_from_the_command_line(tmp_path):
    files = sorted(HISTORY.glob("*.yaml"))
    assert {f.stem for f in files} == set(EPISODES)
    res = run_cli("validate", *files)
    assert res.returncode == 0 and res.stdout.count(": ok (") == len(files), res.stderr
    res = run_cli("run", *files, "--runs", "40", "--out", tmp_path / "out", "--quiet", "--no-charts", "--no-spread")
    assert res.returncode == 0, res.stderr
    for f in files:
        assert (tmp_path / "out" / f.stem / "summary.json").is_file()


def test_china_rungs_are_set_only_by_the_baseline_or_an_episode(write_yaml):
    body = "name: {n}\n{kind}extends: BASELINE\nstates:\n  china:\n    support: {{russia: 1}}\n"
    with pytest.raises(ScenarioError, match=r":5: states.china.support: only the baseline"):
        load_scenario(write_yaml(body.format(n="plain", kind="")))
    r = load_scenario(write_yaml(body.format(n="past", kind="kind: episode\n")))
    assert r.scenario.states["china"].support["russia"] == 1
    # an episode still may not cap China's rungs or reweight its decision
    with pytest.raises(ScenarioError, match=r"decision.weights: only the baseline"):
        load_scenario(write_yaml("name: w\nkind: episode\nextends: BASELINE\ndecision:\n  weights:\n"
                                 "    sanction_cost: 1\n"))


def test_an_episode_run_records_the_observables_of_the_same_replicates(tmp_path):
    import pandas as pd
    out = tmp_path / "eo"
    res = run_cli("run", HISTORY / "eo14114_2024.yaml", "--runs", "200", "--out", out, "--quiet", "--no-charts",
                  "--no-spread")
    assert res.returncode == 0, res.stderr
    obs = pd.read_parquet(out / "observables.parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    assert {"china_russia_trade", "china_iran_crude", "china_nk_trade", "lethal_aid", "rung_russia"} <= set(obs["series"])
    last = obs[(obs["series"] == "rung_russia") & (obs["month"] == 12)].iloc[0]
    assert last["date"] == "2024-12" and last["mean"] == pytest.approx(runs["china_rung"].mean())
    trade = obs[obs["series"] == "china_russia_trade"].sort_values("month")
    assert trade["mean"].iloc[0] == 1.0 and (trade["q10"] <= trade["q90"]).all()
    # an ordinary scenario's folder has no observables
    res = run_cli("run", BASELINE, "--runs", "20", "--out", tmp_path / "base", "--quiet", "--no-charts", "--no-spread")
    assert res.returncode == 0 and not (tmp_path / "base" / "observables.parquet").exists()
