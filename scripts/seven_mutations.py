#!/usr/bin/env python3
"""Apply seven one-line mutations of the model, one at a time, to a copy of the project and
check that each is caught by the behavioural test named for it (not only by the regression
snapshot, which is left out).

    python scripts/seven_mutations.py          # prints one line per mutation, exits 1 if any survives
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (name, file, original text, mutated text, the test that must catch it)
MUTATIONS = [
    ("prestige sign", "simulator/model/decisions.py", "prestige *= x.failure - _neutral(x)",
     "prestige *= _neutral(x) - x.failure",
     "tests/test_mechanisms.py::test_prestige_cost_term_size_and_sign"),
    ("risk-tolerance inversion", "simulator/model/decisions.py", "np.subtract(1.0, x.risk_tolerance)", "x.risk_tolerance * 1.0",
     "tests/test_mechanisms.py::test_risk_tolerance_lowers_the_instability_cost"),
    ("redline >= -> >", "simulator/model/decisions.py", "(RUNGS[None, :] >= x.redline[:, None])",
     "(RUNGS[None, :] > x.redline[:, None])",
     "tests/test_mechanisms.py::test_the_redline_rung_itself_carries_the_threat"),
    ("inertia dropped in the fast path", "simulator/model/decisions.py",
     "    util += np.multiply(tmp, -(switching_cost * (1.0 - redecide)), out=tmp)\n", "",
     "tests/test_mechanisms.py::test_fast_path_applies_inertia"),
    ("escalation self-coupling", "simulator/model/model.py",
     'damping, contagion, moved["tension"] + moved["front"])', 'damping, contagion, moved["escalation"] + moved["front"])',
     "tests/test_mechanisms.py::test_escalation_couples_to_the_change_of_korean_tension"),
    ("enforcement >= -> >", "simulator/model/theatres.py", "over = top_rung >= redline",
     "over = top_rung > redline",
     "tests/test_mechanisms.py::test_broad_sanctions_switch_on_after_the_lag_and_off_again"),
    ("partner-specific failure dropped", "simulator/model/model.py",
     'return own * ctx["failure"].get(partner, ctx["failure_axis"]) + (1.0 - own) * ctx["failure_axis"]',
     'return ctx["failure_axis"]',
     "tests/test_mechanisms.py::test_china_weighs_each_partners_own_failure"),
]


def main() -> int:
    survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, file, old, new, test in MUTATIONS:
            work = Path(tmp) / "copy"
            if work.exists():
                shutil.rmtree(work)
            for part in ("simulator", "tests", "scenarios", "docs", "scripts", "run.py", "pyproject.toml"):
                src = ROOT / part
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / part)
            target = work / file
            text = target.read_text(encoding="utf-8")
            if text.count(old) != 1:
                print(f"{name}: the original text is not found once in {file}; update this script")
                return 2
            target.write_text(text.replace(old, new), encoding="utf-8")
            res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
                                 cwd=work, capture_output=True, text=True)
            caught = res.returncode == 1
            survived += not caught
            print(f"{'caught' if caught else 'SURVIVED'}: {name:34s} by {test.split('::')[1]}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
