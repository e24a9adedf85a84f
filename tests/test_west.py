"""Western and regional decisions: each responds to its drivers in the direction the articles
and common sense give.  Every test compares two worlds on common random numbers (same seed,
same draws) and requires the paired difference to lie beyond its 95% interval."""

import numpy as np
import pytest

from simulator.experiment.ensemble import run_ensemble

from .conftest import SCENARIOS

RUNS = 1500


def ens(name, *overrides, runs=RUNS):
    return run_ensemble(SCENARIOS / f"{name}.yaml", runs=runs, seed=20241105, overrides=list(overrides))


def paired(a, b, column):
    """Mean and 95% half-width of the per-run difference a - b."""
    d = a.outcomes[column].to_numpy(float) - b.outcomes[column].to_numpy(float)
    return float(d.mean()), float(1.96 * d.std(ddof=1) / np.sqrt(len(d)))


def test_europe_more_dependent_on_china_joins_sanctions_less():
    low = ens("secondary_sanctions_us_led", "states.europe.dependency.china=0.05")
    high = ens("secondary_sanctions_us_led", "states.europe.dependency.china=0.3")
    diff, half = paired(high, low, "europe_sanctions_level")
    assert diff < 0 and diff + half < 0


def test_a_us_only_coalition_bites_less_than_a_joined_one():
    """Sanctions reach China through the markets of the coalition's members: with the US alone
    they reach less of its trade, cost it less, and it stays more often."""
    from simulator.scenario.loader import load_scenario, resolve_data
    joined = ens("secondary_sanctions")
    res = load_scenario(SCENARIOS / "secondary_sanctions.yaml")
    data = dict(res.data)
    data["policies"] = {**data["policies"],
                        "secondary_sanctions": {**data["policies"]["secondary_sanctions"],
                                                "coalition": ["united_states"]}}
    alone = run_ensemble(resolve_data(data, [], res.file, res.origins), runs=RUNS, seed=20241105)
    cost, half = paired(alone, joined, "china_cost")
    assert cost < 0 and cost + half < 0
    stays, half_s = paired(alone, joined, "china_stays")
    assert stays > 0 and stays - half_s > 0


def test_europe_left_to_decide_follows_a_broad_us_policy_only_partly():
    us_led = ens("secondary_sanctions_us_led")
    joined = ens("secondary_sanctions")
    level, half = paired(us_led, joined, "europe_sanctions_level")
    assert level < 0 and level + half < 0
    stays, half_s = paired(us_led, joined, "china_stays")
    assert stays > 0 and stays - half_s > 0


def test_higher_us_hostility_raises_its_sanctions():
    low = ens("baseline", "states.united_states.hostility=0.6")
    high = ens("baseline", "states.united_states.hostility=0.8")
    diff, half = paired(high, low, "united_states_sanctions_level")
    assert diff > 0 and diff - half > 0


def test_more_western_aid_holds_the_front():
    low = ens("baseline", "policies.ukraine_support.level=0.5")
    high = ens("baseline", "policies.ukraine_support.level=0.7")
    diff, half = paired(high, low, "front")
    assert diff < 0 and diff + half < 0


def test_aid_reaches_the_front_through_its_delivery_pipeline(write_yaml):
    """A committed aid cut arrives as the pipeline runs down: each month it closes 1/n of the gap
    to the level decided (n = delivery_months, docs/model.md 7.17), so the front answers a cut
    sooner when deliveries are fast."""
    from simulator.model.model import AxisModel
    cut = write_yaml("name: cut\nextends: BASELINE\nhorizon_months: 6\npolicies:\n  control: "
                     "{united_states.aid: {mode: fixed}, europe.aid: {mode: fixed}}\n"
                     "events:\n  - {month: 1, path: policies.ukraine_support.level, set: 0.3}\n", name="cut.yaml")
    m = AxisModel(cut, replicates=200, seed=5, collect=False)
    n = m.p["policies.ukraine_support.delivery_months"]
    assert n.min() >= 6 and n.max() <= 18 and n.std() > 0           # drawn over its range
    start = m.p["policies.ukraine_support.level"].copy()
    m.step()                                                          # month 0: the level held
    np.testing.assert_allclose(m.delivered["europe->ukraine:aid"], start)
    for k in range(1, 6):
        m.step()
        np.testing.assert_allclose(m.delivered["united_states->ukraine:aid"], 0.3 + (start - 0.3) * (1 - 1 / n) ** k)
    fast = run_ensemble(cut, runs=RUNS, seed=20241105, overrides=["policies.ukraine_support.delivery_months=6"])
    slow = run_ensemble(cut, runs=RUNS, seed=20241105, overrides=["policies.ukraine_support.delivery_months=18"])
    diff, half = paired(fast, slow, "front")                          # Russia gains more, sooner
    assert diff > 0 and diff - half > 0


def test_ukraine_weighs_the_aid_delivered_not_the_aid_committed(write_yaml):
    """Ukraine's resistance costs it (1 - aid received)(1 - its capability) (docs/model.md 7.17):
    the aid received is what the donors' pipelines have delivered, which lags a committed cut."""
    from simulator.model.model import AxisModel
    cut = write_yaml("name: cut\nextends: BASELINE\nhorizon_months: 6\npolicies:\n  control: "
                     "{united_states.aid: {mode: fixed}, europe.aid: {mode: fixed}}\n"
                     "events:\n  - {month: 1, path: policies.ukraine_support.level, set: 0.3}\n", name="cut.yaml")
    m = AxisModel(cut, replicates=200, seed=5, collect=False)
    for _ in range(4):
        m.step()
    m.ctx = m._context()
    ukraine = m.by_id["ukraine"]
    received = (m.delivered["united_states->ukraine:aid"] + m.delivered["europe->ukraine:aid"]) / 2
    assert received.min() > 0.3 + 1e-3                                # the cut has not arrived yet
    inputs = m.link_inputs(ukraine, "russia")
    np.testing.assert_allclose(inputs.exposure, (1 - received) * (1 - ukraine.capability))
    assert np.all(inputs.exposure < (1 - 0.3) * (1 - ukraine.capability) - 1e-6)   # less than the cut's cost


def test_russian_gains_raise_the_donors_aid(write_yaml):
    """The donors read Russia's war by the ground it has gained since November 2024 (model.md
    7.17): a Russian advance (the front moved 0.2 its way at month 1) raises both donors' aid in
    the following year (read at month 12, while the gain is fresh; docs/scenarios.md, "Who
    decides", shows how far the answer then pushes the front back)."""
    head = "extends: " + str(SCENARIOS / "baseline.yaml") + "\nhorizon_months: 12\n"
    still = run_ensemble(write_yaml("name: still\n" + head, name="still.yaml"), runs=RUNS, seed=20241105)
    moved = run_ensemble(write_yaml("name: gains\n" + head + "events:\n  - {month: 1, path: theatres.ukraine.front, "
                                    "add: 0.2}\n", name="gains.yaml"), runs=RUNS, seed=20241105)
    for donor in ("united_states", "europe"):
        diff, half = paired(moved, still, f"{donor}_aid_level")
        assert diff > 0 and diff - half > 0, donor


def test_a_donor_with_more_at_stake_gives_more_aid():
    """Aid's motive is the donor's stake in Russia not succeeding (Europe's security rides on it
    more than America's), so a Europe with more at stake gives more."""
    low = ens("baseline", "states.europe.prestige_stake=0.5")
    high = ens("baseline", "states.europe.prestige_stake=0.9")
    diff, half = paired(high, low, "europe_aid_level")
    assert diff > 0 and diff - half > 0


def test_allied_cohesion_can_share_a_burden_but_never_turn_it_into_a_gain():
    """A decider's own cost enters as -w_cost x cost and allied cohesion's push as
    +w_allies x cost x cohesion (cohesion in 0-1): for every draw within the ranges the net
    burden stays a cost, so a less capable state never gives more because it is less capable."""
    from simulator.scenario import load_scenario
    res = load_scenario(SCENARIOS / "baseline.yaml")
    for kind in ("sanctions", "aid", "deterrence", "strikes", "resistance"):
        cost, allies = (res.params[f"decision.policy_weights.{kind}.{t}"] for t in ("sanction_cost", "allies_cost"))
        assert (allies.range or (allies.value,) * 2)[1] <= (cost.range or (cost.value,) * 2)[0], kind


def test_each_policy_kind_sits_at_the_centre_of_its_revealed_preference_region():
    """Each kind's escalation-risk weight is the value, the other weights held, at which the
    November 2024 levels are best replies by the widest relative margin (scripts/policy_equilibrium.py):
    the drawn +-25% weights then move the best replies up as often as down."""
    import importlib.util
    from .conftest import ROOT
    spec = importlib.util.spec_from_file_location("policy_equilibrium", ROOT / "scripts" / "policy_equilibrium.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    world = SCENARIOS / "baseline.yaml"
    for kind in ("sanctions", "aid", "deterrence", "strikes", "resistance"):
        now = module.weights_of(world, kind)[module.TERMS.index("instability_cost")]
        centre, margin = module.fit(world, kind, "instability_cost")
        assert abs(centre - now) <= 0.05 + 1e-9, (kind, now, centre)
        assert margin > 0.05, (kind, margin)


def test_israels_capability_lowers_middle_east_escalation():
    low = ens("baseline", "states.israel.capability=0.7")
    high = ens("baseline", "states.israel.capability=0.9")
    diff, half = paired(high, low, "escalation")
    assert diff < 0 and diff + half < 0


def test_a_fixed_policy_holds_its_level_and_a_decided_one_moves(write_yaml):
    from simulator.model.world import POLICY_LINKS
    every = ", ".join(f"{lk.policy}: {{mode: fixed}}" for lk in POLICY_LINKS if lk.kind != "arms")
    held = write_yaml(f"name: held\nextends: BASELINE\npolicies:\n  control: {{{every}}}\n", name="held.yaml")
    fixed = run_ensemble(held, runs=300, seed=20241105)
    decided = ens("baseline", runs=300)
    np.testing.assert_allclose(fixed.outcomes["united_states_aid_level"],
                               fixed.outcomes["policies.ukraine_support.level"])   # the drawn level
    assert np.all(fixed.outcomes["ukraine_resistance_level"] == 1.0)
    moved = decided.outcomes["united_states_aid_level"].to_numpy()
    assert (np.abs(moved - 0.6) > 1e-9).mean() > 0.05
    base = decided.outcomes["policies.ukraine_support.level"].to_numpy()
    rungs = moved / (base / 2)                     # level = base x rung / 2, capped at 1
    below = moved < 1.0
    np.testing.assert_allclose(rungs[below], np.round(rungs[below]), atol=1e-9)


def test_an_event_on_a_policy_level_fixes_that_policy_from_its_month(write_yaml):
    file = write_yaml("name: ev\nextends: " + str(SCENARIOS / "baseline.yaml") + "\n"
                      "events:\n  - {month: 4, path: policies.ukraine_support.level, set: 0.9}\n")
    e = run_ensemble(file, runs=300, seed=3)
    np.testing.assert_allclose(e.outcomes["united_states_aid_level"], 0.9)
    np.testing.assert_allclose(e.outcomes["europe_aid_level"], 0.9)
    assert e.resolved.scenario.policies.control["united_states.aid"].mode == "decided"


def test_each_november_2024_policy_is_its_states_best_reply():
    """Revealed preference: at the point values, with every policy decided, no Western or
    regional decision gains by moving from its starting rung (more than the switching cost)."""
    import importlib.util
    from .conftest import ROOT
    spec = importlib.util.spec_from_file_location("policy_equilibrium", ROOT / "scripts" / "policy_equilibrium.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.table(SCENARIOS / "baseline.yaml")
    assert {r[0] for r in rows} >= {"united_states.sanctions", "europe.sanctions", "united_states.aid",
                                    "israel.strikes", "ukraine.resistance"}
    for policy, start, best, held, utility, _ in rows:
        assert held, f"{policy} would move from rung {start} (best {best}): {utility}"
        if policy != "south_korea.arms":         # held by inertia only, as in the base model
            assert best == start, policy


#: secondary_sanctions_us_led with the donors' aid held (fixed), as in aid_held.yaml
US_LED_AID_HELD = (f"name: us_led_aid_held\nextends: {SCENARIOS / 'secondary_sanctions_us_led.yaml'}\n"
                   "policies:\n  control:\n    united_states.aid: {mode: fixed}\n    europe.aid: {mode: fixed}\n")


def test_explain_agent_names_each_decision_its_level_and_its_terms(tmp_path, capsys, write_yaml):
    from simulator.cli.main import main
    out = tmp_path / "us_led"
    assert main(["run", str(write_yaml(US_LED_AID_HELD, name="us_led_aid_held.yaml")), "--runs", "300", "--seed", "4",
                 "--out", str(out), "--quiet", "--no-charts"]) == 0
    capsys.readouterr()
    assert main(["explain", str(out), "--agent", "europe"]) == 0
    text = capsys.readouterr().out
    import json
    data = json.loads((out / "explain_europe.json").read_text())
    sanctions = next(p for p in data["policies"] if p["policy"] == "europe.sanctions")
    runs = __import__("pandas").read_parquet(out / "runs.parquet")
    assert sanctions["mode"] == "decided"
    assert sanctions["level_horizon"] == pytest.approx(runs["europe_sanctions_level"].mean())
    assert sanctions["level_start"] == 1.0 and sanctions["level_horizon"] < 1.0    # it followed only partly
    assert sum(sanctions["rung_shares"].values()) == pytest.approx(1.0)
    assert sanctions["terms_horizon"]["strategic_gain"] > 0 > sanctions["terms_horizon"]["instability_cost"]
    assert "Europe's sanctions (decided): mean level 1.00 at month 0" in text
    assert "Europe's aid (fixed)" in text and "fixed by the scenario" in text
    assert main(["explain", str(out), "--agent", "russia"]) == 2
    assert "takes no Western or regional decision" in capsys.readouterr().err


def test_who_did_what_chart_draws_every_decision_solid_when_decided_dashed_when_fixed(tmp_path, write_yaml):
    import pandas as pd
    from simulator.charts.policy_charts import policies_figure
    from simulator.cli.main import main
    out = tmp_path / "r"
    assert main(["run", str(write_yaml(US_LED_AID_HELD, name="us_led_aid_held.yaml")), "--runs", "200", "--seed", "2",
                 "--out", str(out), "--quiet", "--no-charts"]) == 0
    policies = pd.read_parquet(out / "policies.parquet")
    import json
    summary = json.loads((out / "summary.json").read_text())
    fig = policies_figure(policies, pd.read_parquet(out / "bands.parquet"), summary, {})
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert {"China -> Russia (support rung)", "Europe", "United States", "Japan"} <= set(panels)
    styles = {ax_title: sorted(line.get_linestyle() for line in ax.lines if line.get_xydata().shape[0] > 2)
              for ax_title, ax in panels.items()}
    assert styles["Europe"] == ["--", "-"] or styles["Europe"] == ["-", "--"]     # aid fixed, sanctions decided
    europe = panels["Europe"]
    solid = next(line for line in europe.lines if line.get_linestyle() == "-" and line.get_xydata().shape[0] > 2)
    expected = policies[(policies["policy"] == "europe.sanctions") & (policies["rung"] == 0)]["mean_level"]
    assert solid.get_ydata() == pytest.approx(expected.to_numpy())
