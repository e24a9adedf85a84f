# Two commands for a newcomer (Python >= 3.11 and pip are all you need):
#   make run    create .venv, install, run every bundled scenario (prior and calibrated posterior),
#               write results/ and charts
#   make test   create .venv, install, run the test suite
#   make explore  the interactive explorer in the browser (http://127.0.0.1:8765/)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install bench baseline clean mutation explore posterior

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) run.py run scenarios/*.yaml --out results --force
	$(PY) run.py run scenarios/*.yaml --out results/posterior --force --quiet --no-charts \
		--posterior data/calibration/posterior.parquet
	$(PY) scripts/prior_posterior.py results results/posterior

# The shipped posterior (data/calibration/): calibrate to the historical episodes and copy the
# posterior and its report (docs/history.md, "Reference run").
posterior: $(STAMP)
	$(PY) run.py calibrate scenarios/history/*.yaml --particles 1000 --accept 0.005 --out results/calibration --force
	cp results/calibration/posterior.parquet results/calibration/calibration.md results/calibration/posterior_params.png data/calibration/

explore: $(STAMP)
	$(PY) run.py explore

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/ensemble.py

# Mutation testing of simulator/model and simulator/scenario against their fast tests (without the
# regression snapshot): prints the score per package and every mutant still alive.
mutation: $(STAMP)
	rm -rf mutants
	AXIS_SIM_SHARED=$(abspath ..)/shared $(PY) -m mutmut run --max-children 2
	$(PY) scripts/mutation_report.py

baseline: $(STAMP)
	$(PY) scripts/update_baseline.py

clean:
	rm -rf $(VENV) results .pytest_cache
