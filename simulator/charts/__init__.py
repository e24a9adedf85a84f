"""Charts layer: every chart states its question, labels its units and bands, and
carries a footer with scenario, runs, seed, version and git hash."""

import sys

import matplotlib

if "ipykernel" not in sys.modules:   # files only; a notebook keeps its inline backend
    matplotlib.use("Agg")
