"""Outcomes over the whole horizon (model.HORIZON_LINKS), checked per replicate against the
monthly rungs they summarise."""

import numpy as np

from simulator.model.model import AxisModel, HORIZON_LINKS


def _run_with_paths(scenario="scenarios/baseline.yaml", n=400, seed=11):
    model = AxisModel(scenario, replicates=n, seed=seed, collect=False, series_limit=0)
    paths = {j: [model.china.support[j].copy()] for j in HORIZON_LINKS}
    while model.running:
        model.step()
        for j in HORIZON_LINKS:
            paths[j].append(model.china.support[j].copy())
    out = model.outcomes()
    model.release()
    return model, {j: np.array(v) for j, v in paths.items()}, out


def test_horizon_outcomes_match_the_monthly_rungs():
    model, paths, out = _run_with_paths()
    threshold = model.resolved.scenario.outcome.stay_threshold
    for partner, stem in HORIZON_LINKS.items():
        rungs = paths[partner]                              # (months + 1, R), month 0 included
        assert rungs.shape[0] == model.horizon + 1
        np.testing.assert_array_equal(out[f"{stem}_stays_throughout"], (rungs >= threshold).all(axis=0))
        np.testing.assert_array_equal(out[f"{stem}_breaks_ever"], (rungs == 0).any(axis=0))
        np.testing.assert_array_equal(out[f"{stem}_months_below"], (rungs[1:] < threshold).sum(axis=0))
        stays = out["china_stays"] if partner == "russia" else out[f"{stem}_stays"]
        np.testing.assert_array_equal(stays, rungs[-1] >= threshold)


def test_stays_throughout_is_the_stricter_reading():
    _, _, out = _run_with_paths()
    throughout, stays = out["china_stays_throughout"].astype(bool), out["china_stays"].astype(bool)
    assert not np.any(throughout & ~stays)                  # throughout implies stays at the horizon
    assert np.any(stays & ~throughout)                      # and some runs dip, then come back
    assert np.all(out["china_months_below"][throughout] == 0)
    assert np.all(out["china_months_below"][~throughout] > 0)
