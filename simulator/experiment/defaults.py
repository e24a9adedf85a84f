"""Defaults of experiment designs and sweeps, importable without numpy or pandas (the command
line builds its help from them)."""

DESIGNS = ("grid", "lhs", "sobol", "morris")
DEFAULT_LEVELS = 5
DEFAULT_SAMPLES = {"lhs": 50, "sobol": 32, "morris": 10}
DEFAULT_BLOCK = 4096     # replicates per task (a multiple of the model's random-stream chunk)
DEFAULT_DASK_TIMEOUT = 30.0   # seconds to wait for a Dask scheduler to answer
#: The parameter-uncertainty spread of a run (simulator/experiment/spread.py): K draws x M runs.
SPREAD_DRAWS = 50
SPREAD_RUNS = 80
