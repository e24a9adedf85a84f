"""Sweep designs: point counts, whole-number levels, reproducibility, --param checks."""

import numpy as np
import pytest

from simulator.experiment.designs import ParamRange, build_design, expected_points, parse_param
from simulator.experiment.sweep import task_seed
from simulator.scenario import ScenarioError, load_scenario

from .conftest import BASELINE

INTENSITY = "policies.secondary_sanctions.intensity"
CREDIBILITY = "policies.secondary_sanctions.credibility"
LAG = "policies.secondary_sanctions.lag_months"          # a whole-number parameter
REDLINE = "policies.secondary_sanctions.redline_rung"    # a whole-number parameter


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def p(path, low, high, levels=None, integer=False):
    return ParamRange(path, low, high, levels, integer)


def test_grid_is_the_product_of_levels():
    d = build_design([p(INTENSITY, 0, 1, 3), p(CREDIBILITY, 0.2, 0.8, 4)], "grid")
    assert len(d) == 12 == expected_points("grid", d.params, None)
    assert sorted(set(d.points[INTENSITY])) == [0.0, 0.5, 1.0]
    assert np.allclose(sorted(set(d.points[CREDIBILITY])), [0.2, 0.4, 0.6, 0.8])
    # first parameter varies slowest (points are in a stable, documented order)
    assert list(d.points[INTENSITY][:4]) == [0.0] * 4
    assert not d.points.duplicated().any()


def test_grid_default_levels_is_five():
    d = build_design([p(INTENSITY, 0, 1)], "grid")
    assert len(d) == 5 and not d.notes
    assert len(build_design([p(INTENSITY, 0, 1)], "grid", samples=40)) == 5   # samples: sampled designs only
    assert "--samples" in build_design([p(INTENSITY, 0, 1)], "grid", samples=40).notes[0]


def test_grid_integer_parameter_gets_whole_distinct_levels():
    d = build_design([p(LAG, 0, 3, 10, integer=True)], "grid")
    assert list(d.points[LAG]) == [0.0, 1.0, 2.0, 3.0]
    assert any("distinct" in n for n in d.notes)


@pytest.mark.parametrize("design,samples,d,expected", [
    ("lhs", 17, 3, 17),
    ("sobol", 8, 2, 8 * (2 * 2 + 2)),
    ("sobol", 16, 3, 16 * (2 * 3 + 2)),
    ("morris", 5, 2, 5 * (2 + 1)),
    ("morris", 4, 4, 4 * (4 + 1)),
])
def test_sampled_design_point_counts(design, samples, d, expected):
    paths = [INTENSITY, CREDIBILITY, "policies.secondary_sanctions.broad_intensity",
             "policies.allied_cohesion.level"][:d]
    params = [p(x, 0.1, 0.9) for x in paths]
    out = build_design(params, design, samples, seed=1)
    assert len(out) == expected == expected_points(design, params, samples)
    assert out.points[paths].min().min() >= 0.1 and out.points[paths].max().max() <= 0.9


def test_lhs_has_one_point_in_every_stratum():
    n = 20
    out = build_design([p(INTENSITY, 0, 1), p(CREDIBILITY, 0, 1)], "lhs", n, seed=3)
    for path in (INTENSITY, CREDIBILITY):
        strata = np.floor(out.points[path].to_numpy() * n).astype(int)
        assert sorted(strata) == list(range(n))


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_integer_parameters_are_whole_and_cover_their_range(design):
    out = build_design([p(REDLINE, 1, 4, integer=True), p(INTENSITY, 0, 1)], design, 32, seed=5)
    v = out.points[REDLINE].to_numpy()
    assert np.all(v == np.round(v))
    assert v.min() >= 1 and v.max() <= 4
    assert set(v) == {1.0, 2.0, 3.0, 4.0}


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_designs_are_a_function_of_the_seed(design):
    params = [p(INTENSITY, 0, 1), p(CREDIBILITY, 0, 1)]
    a = build_design(params, design, 8, seed=11)
    b = build_design(params, design, 8, seed=11)
    c = build_design(params, design, 8, seed=12)
    assert a.points.equals(b.points) and a.digest() == b.digest()
    assert not a.points.equals(c.points)


def test_sampled_designs_need_low_below_high():
    with pytest.raises(ValueError, match="LOW < HIGH"):
        build_design([p(INTENSITY, 0.5, 0.5)], "lhs", 4)


def test_task_seeds_differ_by_point_and_block():
    seeds = {task_seed(7, point, block) for point in range(50) for block in range(4)}
    assert len(seeds) == 200
    assert task_seed(7, 3, 1) == task_seed(7, 3, 1) != task_seed(8, 3, 1)
    assert all(0 <= s < 2**63 for s in seeds)


# ----------------------------------------------------------------------------- --param checks

def test_parse_param_ok(baseline):
    r = parse_param(f"{LAG}=0:12:4", baseline)
    assert (r.path, r.low, r.high, r.levels, r.integer) == (LAG, 0.0, 12.0, 4, True)
    r = parse_param(f"{INTENSITY}.value=0.1:0.9", baseline)
    assert (r.path, r.levels, r.integer) == (INTENSITY, None, False)


@pytest.mark.parametrize("text,message", [
    ("policies.secondary_sanctions.intensty=0:1", f"did you mean '{INTENSITY}'"),
    (f"{INTENSITY}=0.9:0.1", "above HIGH"),
    (f"{INTENSITY}=0:1.5", "outside the allowed [0, 1]"),
    (f"{LAG}=0:30", "outside the allowed [0, 24]"),
    (f"{LAG}=0.5:3", "whole numbers"),
    (f"{INTENSITY}=0:1:0", "at least 1"),
    (f"{INTENSITY}=0:1:1", "one level cannot cover 0:1"),
    (f"{INTENSITY}=0:1:x", "whole number"),
    (f"{INTENSITY}=a:b", "must be numbers"),
    (f"{INTENSITY}=0", "LOW:HIGH"),
    (INTENSITY, "PATH=LOW:HIGH"),
    ("horizon_months=6:12", "not a sweepable parameter"),
])
def test_parse_param_errors(baseline, text, message):
    with pytest.raises(ScenarioError) as info:
        parse_param(text, baseline, index=2)
    assert message in info.value.message
    assert info.value.file == "--param" and info.value.line == 2
