#!/usr/bin/env python3
"""Run the axis-sim command line: ``python run.py --help``."""

import sys

try:
    from simulator.cli.main import main
except ImportError as exc:  # dependencies not installed yet
    print(f"error: {exc}. Install first: `make run` (creates .venv) or `pip install -e .`",
          file=sys.stderr)
    sys.exit(1)

if __name__ == "__main__":
    sys.exit(main())
