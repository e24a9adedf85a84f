"""explain: the recorded term means add up to the utilities the model used; the waterfall
is the difference of the terms between the new and the old rung."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

import simulator.model.decisions as rules
from simulator.analysis.explain import explain, held_terms, median_rungs, rung_changes, rung_terms
from simulator.analysis.summary import bands, terms_table
from simulator.charts.explain_charts import terms_figure, waterfall_figure
from simulator.experiment.ensemble import run_ensemble
from simulator.model.decisions import N_RUNGS, TERMS
from simulator.model.model import AxisModel
from simulator.scenario import load_scenario
from simulator.scenario.schema import RUNG_NAMES

from .conftest import BASELINE


@pytest.fixture
def capture(monkeypatch):
    """Record the utility (R, rungs) and the choice of every fully recorded decision
    (China -> Russia: the only link whose terms are kept)."""
    calls = []
    original = rules.logit_choice

    def spy(utility, temperature, u):
        choice = original(utility, temperature, u)
        calls.append((utility.copy(), choice.copy()))
        return choice

    monkeypatch.setattr(rules, "logit_choice", spy)
    return calls


def test_recorder_term_means_sum_to_the_utility_the_model_used(capture):
    sc = load_scenario(BASELINE, ["horizon_months=8"])
    n = 300
    model = AxisModel(sc, replicates=n, seed=4, collect=False)
    model.run()
    assert len(capture) == 8                     # one recorded decision a month
    rec = model.recorder
    for month in range(1, 9):
        utility, choice = capture[month - 1]
        summed = rec.term_sums[month].sum(axis=0) / n          # sum over the named terms, mean over runs
        np.testing.assert_allclose(summed, utility.mean(axis=0), rtol=1e-10, atol=1e-12)
        held = np.take_along_axis(utility, choice.astype(np.intp)[:, None], axis=1)[:, 0]
        assert rec.term_held_sums[month].sum() / n == pytest.approx(held.mean(), rel=1e-10, abs=1e-12)


def test_explain_tables_reproduce_the_model_utilities(capture):
    sc = load_scenario(BASELINE, ["horizon_months=6"])
    ens = run_ensemble(sc, runs=250, seed=9)
    terms = terms_table(ens)
    held = held_terms(terms)
    assert list(held.columns) == [*TERMS, "total"]
    for month in range(1, 7):
        utility, choice = capture[month - 1]
        by_rung = rung_terms(terms, month)
        np.testing.assert_allclose(by_rung.sum(axis=0).to_numpy(), utility.mean(axis=0), rtol=1e-10, atol=1e-12)
        chosen = np.take_along_axis(utility, choice.astype(np.intp)[:, None], axis=1)[:, 0]
        assert held.loc[month, "total"] == pytest.approx(chosen.mean(), rel=1e-10, abs=1e-12)
    ex = explain(terms, bands(ens), start="2024-11")
    full = rung_terms(terms, ex.month)
    assert ex.net == pytest.approx(full[ex.new].sum() - full[ex.old].sum(), abs=1e-12)


def _synthetic(change_month=5, months=8):
    """terms: strategic gain favours rung 3 from month 5; bands: median 2 then 3."""
    rows = []
    for m in range(1, months + 1):
        for t in TERMS:
            for k in range(N_RUNGS):
                v = {"strategic_gain": 0.3 * k, "sanction_cost": -0.08 * k * k, "leader_tie": 0.05 * min(k, 2)}.get(t, 0.0)
                if t == "strategic_gain" and m >= change_month:
                    v += 0.2 * k
                rows.append({"month": m, "term": t, "rung": k, "mean": v})
            rows.append({"month": m, "term": t, "rung": -1, "mean": 0.0})
    terms = pd.DataFrame(rows)
    brow = []
    for m in range(0, months + 1):
        shares = [0, 0, 0.7, 0.3, 0] if m < change_month else [0, 0, 0.3, 0.7, 0]
        for k in range(N_RUNGS):
            brow.append({"month": m, "series": f"share_russia_rung{k}", "mean": shares[k]})
    return terms, pd.DataFrame(brow)


def test_explain_finds_the_change_and_the_push_of_each_term():
    terms, b = _synthetic()
    assert median_rungs(b).tolist() == [2] * 5 + [3] * 4
    assert rung_changes(median_rungs(b)) == [(5, 2, 3)]
    ex = explain(terms, b, start="2024-11")
    assert (ex.kind, ex.month, ex.old, ex.new) == ("change", 5, 2, 3)
    assert ex.push["strategic_gain"] == pytest.approx(0.5)          # (0.3 + 0.2) * (3 - 2)
    assert ex.push["sanction_cost"] == pytest.approx(-0.4)          # -0.08 * (9 - 4)
    assert ex.push["leader_tie"] == pytest.approx(0.0)
    assert ex.net == pytest.approx(0.1)
    assert "stepped up from '2 + dual-use' to '3 + components'" in ex.text[0]
    assert "2025-04" in ex.text[0]
    assert "strategic payoff" in ex.text[1] and "sanctions" in ex.text[2]


def test_explain_without_a_change_explains_the_hold():
    terms, b = _synthetic(change_month=99)
    ex = explain(terms, b)
    assert (ex.kind, ex.month, ex.old, ex.new) == ("hold", 8, 1, 2)
    assert ex.push["strategic_gain"] == pytest.approx(0.3)
    assert "stays at '2 + dual-use'" in ex.text[0]


def test_explain_charts_show_every_term_the_total_and_a_waterfall():
    terms, b = _synthetic()
    ex = explain(terms, b, start="2024-11")
    summary = {"scenario": "synthetic", "runs": 10, "seed": 1, "start": "2024-11"}
    fig = terms_figure(ex, summary, {"git": "abc", "versions": {"axis-sim": "0"}})
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert len(labels) == len(TERMS) + 1 and "total utility (sum of the terms)" in labels
    assert len(ax.get_lines()) >= len(TERMS) + 1
    assert ax.get_xlabel() == "calendar month"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "2024-11" and all(len(t) == 7 and t[4] == "-" for t in ticks)
    assert any("add up exactly" in t.get_text() for t in ax.texts)
    assert any("git abc" in t.get_text() for t in fig.texts)
    fig2 = waterfall_figure(ex, summary, {})
    ax2 = fig2.axes[0]
    bars = [p for c in ax2.containers if isinstance(c, BarContainer) for p in c.patches]
    assert len(bars) == len(TERMS) + 1                                 # one per term + the net
    assert bars[-1].get_height() == pytest.approx(ex.net)
    ticks = [t.get_text() for t in ax2.get_xticklabels()]
    assert ticks[0] == "strategic gain" and ticks[-1] == "net"
    assert f"'{RUNG_NAMES[2]}' to '{RUNG_NAMES[3]}'" in fig2._suptitle.get_text()
    low, high = ax2.get_ylim()
    for bar in bars:                                                   # every bar and its label inside the axes
        assert low < min(bar.get_y(), bar.get_y() + bar.get_height()) and \
            max(bar.get_y(), bar.get_y() + bar.get_height()) < high
    from .test_charts import legends_clear_of_axes
    legends_clear_of_axes(fig2)
    legends_clear_of_axes(fig)
