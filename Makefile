# Two commands do all set-up: `make demo` and `make test`; `make lessons` opens the lessons.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# The exact versions the project is tested with (pyproject.toml states only ranges).
INSTALL := $(PIP) install -c constraints.txt

.PHONY: test demo lessons lab docs lint typecheck format bench examples clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/dev.stamp: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e '.[dev,bench]'
	touch $@

$(VENV)/examples.stamp: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e '.[examples]'
	touch $@

$(VENV)/lessons.stamp: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e '.[notebooks]'
	touch $@

$(VENV)/docs.stamp: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e '.[docs]'
	touch $@

## make test: create .venv, install everything the tests need, run the whole suite
test: $(VENV)/dev.stamp
	$(PY) -m pytest -n 2 --nbmake tests notebooks

## make demo: the worked examples, graphs, and the digits classifier
demo: $(VENV)/examples.stamp
	$(PY) -m gradwalk demo
	$(PY) -m gradwalk train moons --epochs 20 --live out/moons.html

## make lessons (or make lab): install what the notebooks need into .venv, open JupyterLab
lessons: $(VENV)/lessons.stamp
	$(VENV)/bin/jupyter lab notebooks/

lab: lessons

## make docs: the website (README, lessons with their players, docs, API) into site/
docs: $(VENV)/docs.stamp
	$(PY) -m mkdocs build --clean --site-dir site

lint: $(VENV)/dev.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

typecheck: $(VENV)/dev.stamp
	$(PY) -m mypy

format: $(VENV)/dev.stamp
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make bench: speed and memory against micrograd, torch and plain floats; the traced step
bench: $(VENV)/dev.stamp
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/trace_bench.py

clean:
	rm -rf $(VENV) out site build dist .pytest_cache .hypothesis .ruff_cache .mypy_cache
