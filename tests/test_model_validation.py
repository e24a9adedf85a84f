"""Validation patterns: generated from the table in simulator/analysis/patterns.py.

Each scenario only sets the world; China's rung comes out of its decision rule.  The
ensembles (2,000 runs each) share random numbers (same seed), so differences between
scenarios are not noise.  A pattern the model is known to miss keeps its limit and runs as
a strict expected failure: the day the model meets it, the test fails until the table's
``known_miss`` is removed.
"""

import re

import pytest

from simulator.analysis.patterns import OPS, PATTERNS, RUNS, SCENARIOS as NAMES, SEED
from simulator.experiment.ensemble import run_ensemble

from .conftest import ROOT, SCENARIOS, SHARED, need


@pytest.fixture(scope="module")
def ensembles():
    return {n: run_ensemble(SCENARIOS / f"{n}.yaml", runs=RUNS, seed=SEED) for n in NAMES}


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.id for p in PATTERNS])
def test_pattern(pattern, ensembles, request):
    value = pattern.compute(ensembles)
    if pattern.known_miss:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"known miss: {pattern.known_miss}"))
    assert pattern.holds(value), f"{pattern.id}: {pattern.measure} = {value:.4f}, limit {pattern.op} {pattern.limit}"


CLAIM_ID = re.compile(r"\b([NOMF]\d+[a-z]?)\b")


def test_every_pattern_has_a_source_and_a_reason():
    claims = SHARED / "calibration" / "claims.md"
    need(claims.exists(), f"the calibration table {claims} (set AXIS_SIM_SHARED)")
    known = set(CLAIM_ID.findall(claims.read_text(encoding="utf-8")))
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))
    for p in PATTERNS:
        assert p.op in OPS
        assert len(p.reason.split()) >= 3, f"{p.id}: the limit needs a stated reason"
        cited = CLAIM_ID.findall(p.source)
        assert cited or re.search(r"supplement \d+|construction|assumption", p.source), \
            f"{p.id}: source {p.source!r} names no claim ID, supplement item or construction"
        assert set(cited) <= known, f"{p.id}: unknown claim IDs {set(cited) - known}"


def test_the_docs_render_the_pattern_table():
    from simulator.analysis.patterns import markdown_table
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert markdown_table() in text, "docs/model.md is stale: run `python scripts/gen_patterns.py`"
