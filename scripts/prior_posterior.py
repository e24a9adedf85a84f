#!/usr/bin/env python3
"""Prior and posterior P(stays) side by side, from two folders of runs of the same scenarios.

    python scripts/prior_posterior.py results results/posterior

``make run`` runs every bundled scenario twice -- with each parameter drawn from its prior range
(``results/``) and with the calibrated parameters drawn from the shipped posterior
(``results/posterior/``, ``--posterior data/calibration/posterior.parquet``) -- and prints this
table.  Same seed and runs in both, so the difference is the calibration's, not noise.
"""

import json
import sys
from pathlib import Path

HEADERS = ["scenario", "P(stays) prior [95% MC CI]", "P(stays) posterior [95% MC CI]", "posterior - prior",
           "P(stays throughout) prior", "P(stays throughout) posterior"]


def _ci(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['probability']:.3f} [{lo:.3f}, {hi:.3f}]"


def rows(prior: Path, posterior: Path) -> list[list[str]]:
    out = []
    for summary_file in sorted(prior.glob("*/summary.json")):
        other = posterior / summary_file.parent.name / "summary.json"
        if not other.exists():
            continue
        a = json.loads(summary_file.read_text(encoding="utf-8"))
        b = json.loads(other.read_text(encoding="utf-8"))
        oa, ob = a["outcomes"], b["outcomes"]
        out.append([a["scenario"], _ci(oa["china_stays"]), _ci(ob["china_stays"]),
                    f"{ob['china_stays']['probability'] - oa['china_stays']['probability']:+.3f}",
                    f"{oa['china_stays_throughout']['probability']:.3f}",
                    f"{ob['china_stays_throughout']['probability']:.3f}"])
    return out


def table(prior: Path, posterior: Path) -> str:
    body = rows(prior, posterior)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(HEADERS)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(HEADERS), line(["-" * w for w in widths])] + [line(r) for r in body])


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: prior_posterior.py PRIOR_FOLDER POSTERIOR_FOLDER", file=sys.stderr)
        return 2
    prior, posterior = Path(sys.argv[1]), Path(sys.argv[2])
    text = table(prior, posterior)
    if not text.count("\n") > 1:
        print(f"error: no scenario run in both {prior} and {posterior}", file=sys.stderr)
        return 2
    print("\nPrior (parameters drawn from their ranges) and posterior (calibrated parameters drawn from "
          "data/calibration/posterior.parquet; the others from their ranges):")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
