# One entry point: every target creates the virtual environment first when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
# `make bench` alone also installs the benchmark's extras (dlt, pyarrow), within the versions of the main lock.
# Both locks carry every file's hash: pip refuses a download that does not match (DECISIONLOG "Types checked
# by pyright, and a hashed lock"); the project itself installs apart, as its source is not in the lock.
BENCH_STAMP := $(VENV)/.installed-bench-from-lock
# The dbt manifest the Dagster definitions are built from: parsed again whenever a dbt file changed,
# so that importing the definitions only reads it.
MANIFEST := dbt_project/target/manifest.json
# Where runs are recorded, unless the environment says otherwise (the same default as the CLI's).
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)

# Python keeps compiled modules (and pytest its rewritten test modules) in __pycache__, even where
# the environment says not to (PYTHONDONTWRITEBYTECODE=1 on our CI machines): without them every
# test worker and every child process compiles the project again (3.5 s of a test worker's start).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test e2e test-servers calendar lint format bench lock sandbox dev clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-bench.lock
	touch $(BENCH_STAMP)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --target-path target
	touch $(MANIFEST)

demo: $(MANIFEST)
	$(BIN)/social-roi demo

# Everything but the end-to-end tier: the suite a change is tried against, under 3 minutes on 2 cores.
test: $(MANIFEST)
	$(BIN)/python -m pytest -m "not end_to_end and not servers"

# The end-to-end tier (marked `end_to_end`): whole commands as a user types them and whole pipeline
# runs that rebuild every model (20-40 s each: the dbt build of 150 nodes and Dagster's record of
# each). CI runs it after `make test`.
e2e: $(MANIFEST)
	$(BIN)/python -m pytest -m "end_to_end and not servers"

# The tests that start a real server of their own (marked `servers`): PostgreSQL from the machine's initdb and
# pg_ctl (tests/postgres_server.py), for Dagster's instance on PostgreSQL (deploy/). CI runs it after `make e2e`.
# One test at a time (-n0): each starts its own servers and processes (the agency queue test: PostgreSQL, four
# gRPC code servers, the daemon, ten runs), and beside the lake tests on the other worker the code servers
# once took over 3 minutes to start, and the launches outlasted a report's window.
test-servers: $(MANIFEST)
	$(BIN)/python -m pytest -m servers -n0

# The date-sensitive tests (marked `calendar`) on 40+ days of a year: month ends, 1 January,
# 29 February 2028, Europe/Oslo's clock changes. Outside `make test`: a settled sync per day.
calendar: $(MANIFEST)
	$(BIN)/python tests/calendar_days.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/sqlfluff lint dbt_project

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(MANIFEST) $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

sandbox: $(STAMP)
	$(BIN)/social-roi sandbox

# The UI on the same instance as `social-roi sync` (.dagster_home), whose dagster.yaml runs one
# run at a time: a backfill launched in the UI never meets another run's DuckDB lock.
dev: $(MANIFEST)
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/python -c "from pipelines.settings import dagster_home; dagster_home()"
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml

# Regenerate the lock files from the ranges in pyproject.toml, in throwaway environments: pip picks the
# versions, pip-tools writes them with the hashes of every file the index serves for each (a package
# another asks for with extras keeps them: pip's hash mode wants that line pinned too). The benchmark's
# lock holds what its extras add, resolved within the main lock.
LOCK_HASHES := .lock-venv/tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-header --no-annotate --no-emit-index-url --no-emit-find-links
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && $(PYTHON) -m venv .lock-venv/tools
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/tools/bin/python -m pip install --quiet pip-tools==7.7.0
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^social-roi' > .lock-venv/main.txt
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,bench]' -c .lock-venv/main.txt
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^social-roi' | grep -vxFf .lock-venv/main.txt > .lock-venv/bench.txt
	(echo '-c main.txt' && cat .lock-venv/bench.txt) > .lock-venv/bench.in
	$(LOCK_HASHES) -o .lock-venv/main.lock .lock-venv/main.txt
	$(LOCK_HASHES) -o .lock-venv/bench.lock .lock-venv/bench.in
	(sed -n '1,2p' requirements.lock && cat .lock-venv/main.lock) > .lock-venv/requirements.lock
	(sed -n '1,2p' requirements-bench.lock && cat .lock-venv/bench.lock) > .lock-venv/requirements-bench.lock
	mv .lock-venv/requirements.lock .lock-venv/requirements-bench.lock .
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
