# Two commands do all set-up: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export AIWF_HOME ?= $(CURDIR)/.aiwf
export DAGSTER_HOME ?= $(AIWF_HOME)/dagster

.PHONY: install demo test ui up down clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aiwf demo

test: $(STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/pytest -q

ui: $(STAMP)
	$(BIN)/aiwf ui

clean:
	rm -rf $(AIWF_HOME)
