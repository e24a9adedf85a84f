"""discover: PRIM (the `prim` package) finds a planted box; the target is evaluated safely."""

import json

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.discovery import AnalysisError, Discovery, discover, discover_folder, evaluate_target
from simulator.charts.discovery_charts import discovery_figure
from simulator.cli.main import main

from .conftest import BASELINE


def _planted(n=1500, seed=1):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "policies.a": rng.random(n),
        "policies.b": rng.uniform(2.0, 6.0, n),
        "decision.c": rng.integers(0, 5, n).astype(np.int64),     # an integer column
        "decision.d": rng.random(n),
        "decision.e": rng.random(n),
    })
    inside = (x["policies.a"] > 0.6) & (x["policies.b"] < 3.0)
    return x, inside.to_numpy()


def test_prim_finds_the_planted_box():
    x, y = _planted()
    d = discover(x, y, target="planted", max_boxes=1)
    box = d.boxes[0]
    assert set(box.limits.index) == {"policies.a", "policies.b"}
    assert box.limits.loc["policies.a", "min"] == pytest.approx(0.6, abs=0.05)
    assert box.limits.loc["policies.b", "max"] == pytest.approx(3.0, abs=0.2)
    assert box.coverage > 0.8 and box.density > 0.9
    assert box.limits.loc["policies.a", "max"] == pytest.approx(box.limits.loc["policies.a", "full_max"])
    assert d.cases == int(y.sum()) and d.n == len(y)
    assert d.screening.index[0] in ("policies.a", "policies.b")


@pytest.mark.parametrize("seed", [3, 4])
def test_noise_gives_no_significant_restriction(seed):
    """Cases drawn independently of the parameters: PRIM peels anyway, but every restriction it
    makes is indistinguishable from chance (quasi-p > 0.05), so the reported box is the whole
    space, holding every case at the base rate."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"p.a": rng.random(800), "p.b": rng.random(800)})
    y = rng.random(800) < 0.2
    unfiltered = discover(x, y, target="noise", max_boxes=1, max_qp=None).boxes[0]
    assert not unfiltered.limits.empty and (unfiltered.limits["qp"] > 0.05).all()
    box = discover(x, y, target="noise", max_boxes=1).boxes[0]
    assert box.limits.empty
    assert box.coverage == 1.0 and box.count == 800 and box.cases == int(y.sum())
    assert box.density == pytest.approx(y.mean())


def test_discovery_round_trips_through_json():
    x, y = _planted(n=600)
    d = discover(x, y, target="planted", max_boxes=1)
    back = Discovery.from_dict(json.loads(json.dumps(d.to_dict())))
    pd.testing.assert_frame_equal(back.boxes[0].limits, d.boxes[0].limits)
    assert back.boxes[0].coverage == d.boxes[0].coverage


def test_evaluate_target_good_and_bad():
    f = pd.DataFrame({"china_stays": [1, 0, 1, 0], "front": [0.1, 0.5, 0.7, 0.9]})
    assert evaluate_target(f, "china_stays == 0").tolist() == [False, True, False, True]
    assert evaluate_target(f, "china_stays == 0 and front > 0.6").tolist() == [False, False, False, True]
    assert evaluate_target(f, "china_stays").tolist() == [True, False, True, False]
    for bad, message in (("china_stay == 0", "unknown column 'china_stay'"),
                         ("china_stays ==", "not a valid expression"),
                         ("front", "not true/false"),
                         ("__import__('os').system('true')", "only comparisons"),
                         ("@front > 0", "only comparisons"),
                         ("", "empty")):
        with pytest.raises(AnalysisError, match=message):
            evaluate_target(f, bad)


def test_all_or_no_cases_is_an_error():
    x, _ = _planted(n=100)
    with pytest.raises(AnalysisError, match="no row satisfies"):
        discover(x, np.zeros(100, bool), target="never")
    with pytest.raises(AnalysisError, match="every row"):
        discover(x, np.ones(100, bool), target="always")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("disc") / "run"
    assert main(["run", str(BASELINE), "--runs", "400", "--out", str(out), "--quiet", "--no-charts",
                 "--set", "horizon_months=12"]) == 0
    return out


def test_discover_command_on_a_run_folder(run_dir, capsys):
    code = main(["discover", str(run_dir), "--target", "china_rung >= 3"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "coverage" in out and "density" in out
    for name in ("discovery.json", "discovery.parquet", "discovery.png", "discovery.svg"):
        assert (run_dir / name).exists()
    data = json.loads((run_dir / "discovery.json").read_text())
    assert data["source"] == "runs" and data["rows"] == 400
    assert all("." in p for p in data["parameters_searched"])        # drawn parameters only
    assert "Scenario discovery" in (run_dir / "report.md").read_text()
    d = discover_folder(run_dir, "china_rung >= 3", max_boxes=1)
    fig = discovery_figure(d, {"scenario": "baseline", "runs": 400, "seed": 1}, {})
    ax, ax2 = fig.axes[:2]
    assert "Under which assumptions" in fig._suptitle.get_text()
    assert "coverage" in ax2.get_xlabel() and "density" in ax2.get_ylabel()
    assert len(ax2.get_lines()) >= 2                                    # trajectory + chosen box
    assert "coverage" in ax.get_title() and "density" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and not any("quasi-p" in lab for lab in labels)
    box_paths = list(d.boxes[0].limits.index)
    assert all(path not in " ".join(labels) for path in box_paths)          # plain words, not dotted paths
    from simulator.analysis.labels import plain_label
    assert labels[-1].replace("\n", " ") == plain_label(d.boxes[0].limits.sort_values("qp").index[0])
    from .test_charts import legends_clear_of_axes
    legends_clear_of_axes(fig)


@pytest.mark.parametrize("target, message", [
    ("china_stay == 0", "unknown column 'china_stay'"),
    ("china_stays == (0", "not a valid expression"),
    ("front", "not true/false"),
])
def test_discover_bad_target_exits_2_in_one_line(run_dir, capsys, target, message):
    assert main(["discover", str(run_dir), "--target", target]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_discover_on_a_folder_that_is_not_an_output(tmp_path, capsys):
    assert main(["discover", str(tmp_path), "--target", "china_stays == 0"]) == 2
    assert "no manifest.json" in capsys.readouterr().err


@pytest.fixture
def planted_run(run_dir, tmp_path):
    """A copy of a real run folder whose runs carry two planted parameters and an outcome that
    is true exactly inside the box planted.a > 0.6 and planted.b < 3."""
    import shutil
    folder = tmp_path / "planted"
    shutil.copytree(run_dir, folder)
    runs = pd.read_parquet(folder / "runs.parquet")
    rng = np.random.default_rng(5)
    runs["planted.a"] = rng.random(len(runs))
    runs["planted.b"] = rng.uniform(2.0, 6.0, len(runs))
    runs["hit"] = ((runs["planted.a"] > 0.6) & (runs["planted.b"] < 3.0)).astype(int)
    # two boxes: the cases in the smaller one can only be covered by giving up density
    runs["hit2"] = (((runs["planted.a"] > 0.5) & (runs["planted.b"] < 4.0))
                    | ((runs["planted.a"] < 0.25) & (runs["planted.b"] > 4.5))).astype(int)
    runs.to_parquet(folder / "runs.parquet")
    return folder, runs


def _found(folder):
    return json.loads((folder / "discovery.json").read_text())


def test_discover_options(planted_run, capsys):
    folder, runs = planted_run
    cases = int(runs["hit"].sum())
    # --max-params 2: the two planted parameters are the two that separate the cases most
    assert main(["discover", str(folder), "--target", "hit == 1", "--boxes", "1", "--max-params", "2"]) == 0
    d = _found(folder)
    assert sorted(d["parameters_searched"]) == ["planted.a", "planted.b"]
    assert d["cases"] == cases and d["rows"] == len(runs) and len(d["boxes"]) == 1
    limits = {r["parameter"]: r for r in d["boxes"][0]["limits"]}
    assert set(limits) == {"planted.a", "planted.b"}
    assert limits["planted.a"]["min"] == pytest.approx(0.6, abs=0.1)
    assert limits["planted.b"]["max"] == pytest.approx(3.0, abs=0.4)
    assert all(r["qp"] <= 0.05 for r in limits.values())
    # --include adds parameters beyond --max-params
    assert main(["discover", str(folder), "--target", "hit == 1", "--max-params", "1",
                 "--include", "states.china.risk", "--include", "planted."]) == 0
    searched = _found(folder)["parameters_searched"]
    assert len(searched) == 3 and searched[0] in ("planted.a", "planted.b")
    assert set(searched[1:]) == {"states.china.risk_tolerance", ({"planted.a", "planted.b"} - {searched[0]}).pop()}
    # --min-coverage: the densest box that keeps at least that share of the cases
    two = ["discover", str(folder), "--target", "hit2 == 1", "--boxes", "1", "--max-params", "2"]
    assert main(two) == 0
    box = _found(folder)["boxes"][0]
    assert 0.5 <= box["coverage"] < 0.99 and box["density"] == 1.0          # the larger box alone
    assert main([*two, "--min-coverage", "0.99"]) == 0
    box = _found(folder)["boxes"][0]
    assert box["coverage"] >= 0.99 and box["cases_in_box"] >= 0.99 * runs["hit2"].sum()
    assert box["density"] < 1.0
    # --max-qp: a limit no restriction can meet leaves the whole space, and says so
    capsys.readouterr()
    assert main(["discover", str(folder), "--target", "hit == 1", "--boxes", "1", "--max-params", "2",
                 "--max-qp", "1e-300"]) == 0
    assert "(no restriction is distinguishable from chance)" in capsys.readouterr().out
    box = _found(folder)["boxes"][0]
    assert box["limits"] == [] and box["coverage"] == 1.0 and box["runs_in_box"] == len(runs)


@pytest.mark.parametrize("args, message", [
    (["--boxes", "0"], "error: --boxes must be at least 1, got 0"),
    (["--max-params", "0"], "error: --max-params must be at least 1, got 0"),
    (["--min-coverage", "1.5"], "error: --min-coverage must be between 0 and 1"),
    (["--max-qp", "0"], "error: --max-qp must be in (0, 1]"),
    (["--include", "states.nowhere"], "error: --include 'states.nowhere' matches no parameter column"),
])
def test_discover_bad_options_exit_2_in_one_line(run_dir, capsys, args, message):
    before = sorted(p.name for p in run_dir.iterdir())
    assert main(["discover", str(run_dir), "--target", "china_rung >= 3", *args]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert sorted(p.name for p in run_dir.iterdir()) == before
