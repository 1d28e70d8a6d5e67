# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: test demo lint format bench examples clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/dev.stamp: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev,bench]'
	touch $@

$(VENV)/examples.stamp: pyproject.toml | $(PY)
	$(PIP) install -e '.[examples]'
	touch $@

## make test: create .venv, install everything the tests need, run the whole suite
test: $(VENV)/dev.stamp
	$(PY) -m pytest -n 2 --nbmake tests notebooks

lint: $(VENV)/dev.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/dev.stamp
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make bench: speed and memory against micrograd, torch and plain floats
bench: $(VENV)/dev.stamp
	$(PY) benchmarks/bench.py

## make demo: the worked examples, graphs, and the digits classifier
demo: $(VENV)/examples.stamp
	$(PY) -m gradwalk demo
	$(PY) -m gradwalk train moons --epochs 20 --live out/moons.html

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
