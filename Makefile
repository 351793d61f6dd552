# Two commands on a fresh machine (Python 3.11):
#   make demo   installs evalkit into .venv and produces the demo campaign's reports under reports/
#   make test   installs evalkit with its test dependencies into .venv, checks the code (ruff) and that
#               imports go one way (lint-imports: the layers in pyproject.toml), and runs the tests
#   make lab    installs evalkit and opens JupyterLab on notebooks/ (the report notebooks and the workbench)
#               (and, as root, the system packages PDFs and browser tests need: scripts/install-system-packages.sh)
#   make screenshots  regenerates the pictures of README.md and docs/ from the demo campaign
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test install lab screenshots clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/evalkit run params/demo.yaml

lab: $(INSTALLED)
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: $(INSTALLED)
	bash scripts/install-system-packages.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# the pictures in README.md and docs/ (docs/img/), photographed from the demo campaign's pages
screenshots: $(INSTALLED)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) reports/demo-2021
