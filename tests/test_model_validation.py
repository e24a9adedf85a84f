"""Validation cases: ensembles of >= 2,000 runs, asserting directions and magnitudes.

Each scenario only sets the world; China's rung comes out of its decision rule.  The
ensembles share random numbers (same seed), so differences between scenarios are not noise.
"""

import numpy as np
import pytest

from simulator.experiment.ensemble import run_ensemble
from simulator.model.decisions import TERMS

from .conftest import SCENARIOS

RUNS = 2000
SEED = 20241105


@pytest.fixture(scope="module")
def ensembles():
    names = ["baseline", "secondary_sanctions", "ukraine_stalemate", "middle_east_escalation", "korea_2017"]
    return {n: run_ensemble(SCENARIOS / f"{n}.yaml", runs=RUNS, seed=SEED) for n in names}


def mean_rung(ens, link="russia"):
    counts = ens.rung_counts[link]
    return (counts * np.arange(counts.shape[1])).sum(axis=1) / counts.sum(axis=1)


def held_term(ens, term, months):
    return float(ens.term_held_means[months, TERMS.index(term)].mean())


def p(ens, column):
    return float(ens.outcomes[column].mean())


def test_1_baseline_china_stays_without_weapons(ensembles):
    base = ensembles["baseline"]
    assert p(base, "china_stays") > 0.8           # dual-use supply goes on
    assert p(base, "china_weapons") < 0.02        # lethal aid withheld under the sanctions threat
    assert p(base, "china_weapons_ever") < 0.05
    assert (base.outcomes["china_rung"] == 0).mean() < 0.01


def test_2_secondary_sanctions_step_down_within_three_months_without_breaking(ensembles):
    base, sanc = ensembles["baseline"], ensembles["secondary_sanctions"]
    b, s = mean_rung(base), mean_rung(sanc)
    assert s[1] == pytest.approx(b[1])            # the policy starts at month 1: identical until then
    assert s[3] < b[3] - 0.1                      # a visible step down by month 3
    assert s[3] < s[1]                            # ... from where China stood
    final = sanc.outcomes["china_rung"]
    assert final.isin([1, 2]).mean() > 0.9        # toward rung 1-2 ...
    assert (final == 0).mean() < 0.02             # ... without breaking
    assert p(sanc, "china_stays") > 0.5           # the alignment holds
    assert p(sanc, "china_weapons") < 0.005


def test_3_ukraine_stalemate_losers_lower_the_stay_probability(ensembles):
    base, stal = ensembles["baseline"], ensembles["ukraine_stalemate"]
    diff = stal.outcomes["china_stays"].to_numpy() - base.outcomes["china_stays"].to_numpy()
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() < 0 and diff.mean() + 1.96 * se < 0     # lower, beyond paired noise
    start = stal.resolved.params["theatres.ukraine.front"].value
    assert abs(p(stal, "front") - start) < 0.05                 # a stable line of contact ...
    assert p(stal, "front") < p(base, "front") - 0.03           # ... where the baseline advances
    months = slice(6, 37)
    # the prestige term is visibly larger as a cost (China backing a loser)
    stal_prestige, base_prestige = held_term(stal, "prestige_cost", months), held_term(base, "prestige_cost", months)
    assert stal_prestige < base_prestige - 0.05 and stal_prestige < 2 * base_prestige


def test_4_middle_east_escalation_raises_instability_and_does_not_raise_stays(ensembles):
    base, me = ensembles["baseline"], ensembles["middle_east_escalation"]
    months = slice(3, 37)
    assert held_term(me, "instability_cost", months) < 2 * held_term(base, "instability_cost", months)
    assert p(me, "escalation") > p(base, "escalation") + 0.15
    assert p(me, "china_stays") <= p(base, "china_stays")
    assert p(me, "china_cost") > p(base, "china_cost")


def test_5_north_korea_2017_china_curbs_support_partly_not_wholly(ensembles):
    base, korea = ensembles["baseline"], ensembles["korea_2017"]
    b, k = mean_rung(base, "north_korea"), mean_rung(korea, "north_korea")
    window = slice(3, 13)
    assert (k[window] < b[window] - 0.1).all()            # China curbs its support to North Korea ...
    shares0 = korea.rung_counts["north_korea"][:, 0] / RUNS
    assert shares0.max() < 0.2                            # ... partly: most runs keep trading at all times
    assert k[window].min() > 0.8                          # the mean stays above 'trade only' minus noise


def test_runs_that_break_are_those_whose_partner_is_seen_failing(ensembles):
    """Within one scenario, what separates the runs where China steps below 'dual-use' from the
    rest is prestige (Hadley's "axis of losers"), not the sanctions that all runs share."""
    sanc = ensembles["secondary_sanctions"]
    thr = sanc.resolved.scenario.outcome.stay_threshold
    counts, margins = sanc.outcome_counts, sanc.margin_by_outcome
    # the two groups add up to the margin of the mean terms (a bookkeeping identity)
    whole = (counts["stays"] * margins["stays"] + counts["breaks"] * margins["breaks"]) / RUNS
    np.testing.assert_allclose(whole[1:], (sanc.term_means[:, :, thr] - sanc.term_means[:, :, thr - 1])[1:],
                               atol=1e-6)
    gap = margins["breaks"][1:].mean(axis=0) - margins["stays"][1:].mean(axis=0)
    named = dict(zip(TERMS, gap))
    assert named["prestige_cost"] < -0.1
    assert abs(named["sanction_cost"]) < 0.02
    assert min((k for k in named if k != "inertia"), key=lambda k: named[k]) == "prestige_cost"
