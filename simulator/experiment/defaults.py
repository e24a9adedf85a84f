"""Defaults of experiment designs and sweeps, importable without numpy or pandas (the command
line builds its help from them)."""

DESIGNS = ("grid", "lhs", "sobol", "morris")
DEFAULT_LEVELS = 5
DEFAULT_SAMPLES = {"lhs": 50, "sobol": 32, "morris": 10}
DEFAULT_BLOCK = 4096     # replicates per task (a multiple of the model's random-stream chunk)
DEFAULT_DASK_TIMEOUT = 30.0   # seconds to wait for a Dask scheduler to answer
#: ``sensitivity --all``: every drawn parameter (about 150 in the baseline), so Morris screening by
#: default (N trajectories of D + 1 points) with fewer runs a point than a run; Sobol' on request.
ALL_SAMPLES = {"morris": 10, "sobol": 32}
ALL_RUNS = 200
#: The parameter-uncertainty spread of a run (simulator/experiment/spread.py): K draws x M runs.
SPREAD_DRAWS = 50
SPREAD_RUNS = 80
