"""The faster variants of the decision rule in benchmarks/kernels.py agree with the reference
(simulator.model.decisions.fast_decide) -- a speed figure for a different answer means nothing."""

import importlib.util

import numpy as np
import pytest

from simulator.model.decisions import fast_decide

from .conftest import ROOT


def _kernels():
    spec = importlib.util.spec_from_file_location("kernels_bench", ROOT / "benchmarks" / "kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed, top", [(0, 4), (1, 4), (2, 2)])
def test_fewer_temporaries_is_identical_to_the_reference(seed, top):
    k = _kernels()
    x, w, a = k.make_inputs(3000, seed=seed)
    ref = fast_decide(x, w, **a, top=top)
    lean = k.LeanDecide(3000)(x, w, **a, top=top)
    for r, v in zip(ref, lean):
        assert np.array_equal(r, v)
    assert len(np.unique(ref[0])) == top + 1          # every available rung is chosen somewhere


def test_the_models_buffers_change_no_decision():
    """The model runs fast_decide in two (rungs, R) buffers shared by all its decisions: the
    results are those of a call that allocates its own, whatever a previous call left there."""
    k = _kernels()
    buffers = (np.full((5, 3000), np.nan), np.full((5, 3000), -7.0))
    rng = np.random.default_rng(11)
    for seed, top, at_war in ((0, 4, True), (3, 2, True), (4, 4, False), (6, 3, False)):
        x, w, a = k.make_inputs(3000, seed=seed)
        if not at_war:                            # part of the runs in peace: the need branch
            x.need = np.where(rng.random(3000) < 0.5, 1.0, rng.random(3000))
        ref = fast_decide(x, w, **a, top=top)
        got = fast_decide(x, w, **a, top=top, buffers=buffers)
        for r, v in zip(ref, got):
            assert np.array_equal(r, v)


def test_float32_inputs_are_decided_in_float32():
    """The float32 line of the benchmark measures float32 arithmetic: without buffers the rule
    works in the inputs' precision, and it decides as float64 does up to near-ties."""
    k = _kernels()
    x, w, a = k.make_inputs(3000, seed=2, dtype=np.float32)
    choice, stock, _ = fast_decide(x, w, **a)
    assert stock.dtype == np.float32
    x64, w64, a64 = k.make_inputs(3000, seed=2)
    ref_choice, ref_stock, _ = fast_decide(x64, w64, **a64)
    assert (choice != ref_choice).mean() < 1e-3
    np.testing.assert_allclose(stock, ref_stock, rtol=1e-5, atol=1e-5)


def test_numba_kernel_matches_the_reference():
    pytest.importorskip("numba")
    k = _kernels()
    x, w, a = k.make_inputs(3000, seed=5)
    choice, stock, redecide = k.numba_decide()(x, w, **a)
    ref_choice, ref_stock, ref_redecide = fast_decide(x, w, **a)
    assert np.array_equal(choice, ref_choice) and np.array_equal(redecide, ref_redecide)
    np.testing.assert_allclose(stock, ref_stock, rtol=1e-12, atol=1e-12)


def test_versus_benchmark_runs_this_tree_against_a_revision(tmp_path):
    """benchmarks/versus.py exports a revision with git archive and times both versions in one
    process: against HEAD it prints one row per batch size with both speeds and the ratio."""
    import subprocess
    import sys
    import shutil
    if shutil.which("git") is None or subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                                                      capture_output=True).returncode:
        pytest.skip("not a git checkout (or no git)")
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "versus.py"), "--against", "HEAD",
                          "--batch", "1024", "--rounds", "1", "--batches", "1"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    row = [line.split() for line in res.stdout.splitlines() if line.strip().startswith("1,024")]
    assert len(row) == 1 and len(row[0]) == 6, res.stdout
    assert row[0][3].endswith("x") and float(row[0][3][:-1]) > 0
