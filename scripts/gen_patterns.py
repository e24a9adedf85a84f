#!/usr/bin/env python3
"""Render the validation-pattern table (simulator/analysis/patterns.py) into docs/model.md."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analysis.patterns import markdown_table  # noqa: E402

START, END = "<!-- patterns:start -->", "<!-- patterns:end -->"


def main() -> int:
    doc = ROOT / "docs" / "model.md"
    text = doc.read_text(encoding="utf-8")
    block = f"{START}\n{markdown_table()}\n{END}"
    new, n = re.subn(re.escape(START) + ".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    if n != 1:
        print(f"{doc}: expected one {START} ... {END} block, found {n}", file=sys.stderr)
        return 2
    doc.write_text(new, encoding="utf-8")
    print(f"wrote the pattern table into {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
