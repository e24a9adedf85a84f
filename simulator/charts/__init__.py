"""Charts layer: every chart states its question, labels its units and bands, and
carries a footer with scenario, runs, seed, version and git hash."""

import matplotlib

matplotlib.use("Agg")
