#!/usr/bin/env python3
"""Summarise a mutmut run (``make mutation``): the share of mutants killed per package and the
mutants still alive, each a test the suite is missing (or an equivalent mutant, listed with its
reason in EQUIVALENT below).

    python scripts/mutation_report.py            # after `python -m mutmut run`
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict

#: Mutants that cannot change behaviour, with the reason (none may be added to raise the score).
EQUIVALENT: dict[str, str] = {}

KILLED = {"killed", "timeout"}          # a timeout is a mutant the tests stopped (an endless loop)
ALIVE = {"survived", "no tests"}


def results() -> list[tuple[str, str]]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m:
            rows.append((m.group(1), m.group(2).strip()))
    return rows


def package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else name


def main() -> int:
    rows = results()
    if not rows:
        print("no mutmut results: run `python -m mutmut run` first", file=sys.stderr)
        return 2
    by_pkg: dict[str, Counter] = defaultdict(Counter)
    alive = defaultdict(list)
    for name, status in rows:
        if name in EQUIVALENT:
            status = "equivalent"
        by_pkg[package(name)][status] += 1
        if status in ALIVE:
            alive[package(name)].append(name)
    print(f"{'package':22s} {'mutants':>8s} {'killed':>7s} {'alive':>6s} {'other':>6s}  score")
    for pkg, c in sorted(by_pkg.items()):
        killed = sum(c[s] for s in KILLED)
        left = sum(c[s] for s in ALIVE)
        other = sum(c.values()) - killed - left - c["equivalent"]
        scored = killed + left
        score = f"{killed / scored:.1%}" if scored else "-"
        print(f"{pkg:22s} {sum(c.values()):8d} {killed:7d} {left:6d} {other:6d}  {score}")
    for pkg, names in sorted(alive.items()):
        print(f"\nalive in {pkg} ({len(names)}):")
        for n in names:
            print(f"  {n}")
    if EQUIVALENT:
        print("\nequivalent (not scored):")
        for n, why in EQUIVALENT.items():
            print(f"  {n}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
