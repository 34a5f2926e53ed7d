# Two commands do all set-up: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export AIWF_HOME ?= $(CURDIR)/.aiwf
export DAGSTER_HOME ?= $(AIWF_HOME)/dagster

PORT   ?= 3000
# pytest-xdist workers for `make test` (0: one process): many tests wait on subprocesses (dagster, celery), so more than cores
TEST_WORKERS ?= 3
.PHONY: install demo test browser ui up down status clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/aiwf home

demo: $(STAMP)
	$(BIN)/aiwf demo

test: $(STAMP) browser
	$(BIN)/aiwf home >/dev/null  # creates $$DAGSTER_HOME, which `dagster` requires to exist
	$(BIN)/python -W 'ignore:Function `definitions_validate_command` is superseded' -m dagster definitions validate -w workspace.yaml
	$(BIN)/aiwf prompts check  # a prompt edited without a version bump fails here, naming it (loading definitions does no I/O)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup  # pytest-xdist: docs/reference.md, "Tests in parallel"

ui: $(STAMP)
	$(BIN)/aiwf ui --port $(PORT)

# Debian's headless Chromium and chromedriver for the browser tests (tests/resources/test_review_browser.py):
# installed with apt when missing and we are root; otherwise those tests skip (and fail on CI, CI=true).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium and chromium-driver for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	    >/dev/null) || echo "warning: could not install chromium; the browser tests will skip"; \
	else echo "note: no chromium (as root: apt-get install -y chromium chromium-driver); the browser tests will skip"; fi

clean:
	rm -rf $(AIWF_HOME)

# Team server on this machine: Postgres storage, queued runs, Celery workers on Redis (deploy/README.md).
SERVER_HOME := $(AIWF_HOME)/server
RUN_DIR     := $(AIWF_HOME)/run
SERVICES    := supervisor daemon webserver worker1 worker2  # the supervisor first: it stops the others
up down status: export DAGSTER_HOME := $(SERVER_HOME)
up down status: export DAGSTER_PG_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/aiwf
up down status: export AIWF_PG_URL ?= $(DAGSTER_PG_URL)
up down status: export AIWF_EXECUTOR := celery
up down status: export AIWF_CELERY_BROKER ?= redis://127.0.0.1:6379/0
START = if [ -f $(RUN_DIR)/$(1).pid ] && kill -0 $$(cat $(RUN_DIR)/$(1).pid) 2>/dev/null; then \
	  echo "$(1) already running (pid $$(cat $(RUN_DIR)/$(1).pid))"; \
	else nohup $(2) >$(RUN_DIR)/$(1).log 2>&1 & echo $$! >$(RUN_DIR)/$(1).pid; echo "started $(1) (log $(RUN_DIR)/$(1).log)"; fi

up: $(STAMP)
	mkdir -p $(SERVER_HOME) $(RUN_DIR)
	cp deploy/dagster.yaml $(SERVER_HOME)/dagster.yaml
	$(BIN)/python deploy/ensure_database.py
	@# deploy/supervise.py restarts a service that dies (backoff 1 s to 60 s); logs and pids in $(RUN_DIR)
	@$(call START,supervisor,$(BIN)/python deploy/supervise.py run --run-dir $(RUN_DIR) \
	  "daemon=$(BIN)/dagster-daemon run -w workspace.yaml" \
	  "webserver=$(BIN)/dagster-webserver -w workspace.yaml -h 127.0.0.1 -p $${AIWF_UI_PORT:-3000}" \
	  "worker1=$(BIN)/aiwf worker --name worker1 --concurrency 2" \
	  "worker2=$(BIN)/aiwf worker --name worker2 --concurrency 2")
	@echo "UI: http://127.0.0.1:$${AIWF_UI_PORT:-3000}  (state: make status; stop: make down)"

status:
	@$(BIN)/python deploy/supervise.py status --run-dir $(RUN_DIR)

down:
	@for s in $(SERVICES); do f=$(RUN_DIR)/$$s.pid; [ -f $$f ] || continue; p=$$(cat $$f); \
	  if kill -TERM $$p 2>/dev/null; then \
	    for i in $$(seq 1 40); do kill -0 $$p 2>/dev/null || break; sleep 1; done; \
	    kill -0 $$p 2>/dev/null && kill -KILL $$p; echo "stopped $$s"; fi; rm -f $$f; done
