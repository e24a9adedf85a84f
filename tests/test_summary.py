"""Summary statistics: confidence intervals."""

import pytest

from simulator.analysis.summary import mean_ci, wilson


def test_wilson_interval_known_values_and_edges():
    low, high = wilson(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson(0, 2000)[0] == 0.0 and wilson(0, 2000)[1] == pytest.approx(0.00192, abs=1e-5)
    assert wilson(2000, 2000)[1] == 1.0 and wilson(2000, 2000)[0] < 1.0


def test_mean_ci_covers_the_mean():
    import numpy as np
    m, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    assert m == 2.5 and lo < m < hi and hi - m == pytest.approx(1.96 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-3)
