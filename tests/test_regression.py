"""Pinned summary numbers of every bundled scenario (update: python scripts/update_baseline.py)."""

import json

from simulator.analysis.regression import compute_all, diff, within

from .conftest import ROOT, SCENARIOS

FILE = ROOT / "tests" / "baseline" / "regression.json"


def test_numbers_match_the_pinned_baseline():
    pinned = json.loads(FILE.read_text())["scenarios"]
    current = compute_all(SCENARIOS)
    moved = diff(pinned, current)
    assert not moved, ("model numbers moved; if deliberate run `python scripts/update_baseline.py` "
                       "and commit the JSON:\n" + "\n".join(moved))


def test_diff_reports_moves_readably():
    old = {"baseline": {"p_stays": 0.95, "mean_front": 0.40}}
    new = {"baseline": {"p_stays": 0.90, "mean_front": 0.40}, "extra": {"p_stays": 1.0}}
    lines = diff(old, new)
    assert "  baseline.p_stays: 0.9500 -> 0.9000 (-0.0500)" in lines
    assert "+ extra: new scenario" in lines
    assert not any("mean_front" in line for line in lines)
    assert within("p_stays", 0.95, 0.9505) and not within("p_stays", 0.95, 0.96)
