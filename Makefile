# mindshare: two commands do all the set-up on a fresh machine.
#   make demo   create .venv, install, run the default scenario and two experiments, report
#   make test   create .venv, install, run the test suite (slow statistical tests included)
#   make bench  create .venv, install with benchmark extras, write results/bench/bench.json
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python >= 3.12: $PYTHON if set, then python3.13/python3.12/python3 on PATH, then pyenv's.
define FIND_PYTHON
for c in "$${PYTHON:-}" python3.13 python3.12 python3 \
         $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.*/bin/python 2>/dev/null | sort -rV); do \
  [ -n "$$c" ] || continue; \
  p=$$(command -v "$$c" 2>/dev/null) || continue; \
  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; \
done
endef

.PHONY: help venv browser demo test test-fast lint bench docs clean
help:
	@echo "make demo    one default run, then two experiments in parallel (N = 10,000), then report"
	@echo "make test    run the whole test suite"
	@echo "make bench   run the benchmarks, write results/bench/bench.json"

$(STAMP): pyproject.toml
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then echo "error: no Python >= 3.12 found (set PYTHON=/path/to/python3.12)" >&2; exit 1; fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,ray,slurm]'
	@touch $@

venv: $(STAMP)

# The demo: one run of the default two-layer scenario at N = 10,000 (its outputs and its
# reach-per-layer chart, a few seconds); then two of the shipped experiments, reduced to 10
# replicates at N = 10,000, each a sweep on every core (about 20 s each on 2 cores), then
# each sweep's report.
DEMO_EXPERIMENTS := mindset_divide influence_seeding
demo: $(STAMP)
	$(VENV)/bin/mindshare name=demo_default n=10000
	@for e in $(DEMO_EXPERIMENTS); do \
	  $(VENV)/bin/mindshare -m experiment=$$e name=demo_$$e replicates=10 || exit $$?; \
	  $(PY) -m sim.sweep.table results/demo_$$e/sweep || exit $$?; \
	done
	@# ---- report: the command that turns each sweep directory into charts and a deck ----
	@for e in $(DEMO_EXPERIMENTS); do \
	  $(VENV)/bin/mindshare-report results/demo_$$e/sweep || exit $$?; \
	done

# Lint first: ruff (pyflakes, bugbear, import order, Google docstrings) and the import contract
# of the layers (pyproject.toml, [tool.importlinter]); then every test, slow ones included.
lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests experiments
	$(VENV)/bin/lint-imports --no-cache

# The explorer's browser test drives Debian's Chromium (Playwright's own browser download is
# not needed): installed here when missing, as root or through sudo; when that fails the test
# fails and says how to install it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the explorer's browser test"; \
	  if [ "$$(id -u)" = 0 ]; then s=""; else s="sudo -n"; fi; \
	  { $$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq \
	    chromium >/dev/null; } || echo "could not install chromium: the browser test will fail" >&2; }

test: lint browser
	$(PY) -m pytest -q

test-fast: lint browser
	$(PY) -m pytest -q -m "not slow"

$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

bench: $(VENV)/.bench
	$(PY) experiments/bench/bench.py --out results/bench/bench.json

docs: $(STAMP)
	$(PY) -c 'import pathlib, sim.config as c; p = pathlib.Path("README.md"); p.write_text(c.render_readme(p.read_text()))'
	$(PY) docs/architecture.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
