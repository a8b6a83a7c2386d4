# The two commands: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scs
export REDIS_URL ?= redis://127.0.0.1:6379/0
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scs_bench

.PHONY: run test lint bench reliability setup services db demo venv clean format

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

services:
	WANT_BROWSER=$(WANT_BROWSER) scripts/ensure_services.sh

db: venv services
	$(PY) scripts/ensure_database.py
	$(PY) manage.py migrate --noinput

demo: db
	$(PY) manage.py seed_demo

setup: demo

run: setup
	scripts/run.sh

test: WANT_BROWSER=1
test: venv services
	# Tests use their own Redis database so a running `make run` worker never sees their messages.
	REDIS_URL=redis://127.0.0.1:6379/9 $(VENV)/bin/pytest -q
	# Smoke run of the served benchmark at 10 000 subjects: fails if a workload errors, not on timings.
	BENCH_SMOKE=1 BENCH_SUBJECTS=10000 BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) \
	  REDIS_URL=redis://127.0.0.1:6379/9 $(PY) -m benchmarks.served

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The platform served for real (gunicorn, 2 Celery processes) on its own databases
# (<BENCH_DATABASE_URL>_<size>, seeded once, copied for each run); 1 000 000 subjects by
# default, BENCH_SUBJECTS=… to change. Table in the output and benchmarks/results/latest.json.
bench: venv services
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m benchmarks.served

# Failure injection against a Redis server of its own (port 6390), started and stopped by the
# tests, a TCP proxy and a black-hole listener of their own (ports 6531-6532) in front of the
# database, gunicorn on 8131; plus the abuse tests. Ends with one table:
# suite | attempts | failures | figure | PASS/FAIL.
# Sizes of the fault suites (issue 10): override on the command line, e.g. `make reliability
# RELIABILITY_KILL_ENTRIES=2000 REDIS_OUTAGE_SECONDS=10`.
RELIABILITY_KILL_ENTRIES ?= 10000
REDIS_OUTAGE_SECONDS ?= 60

reliability: venv services
	PYTHONPATH=. REDIS_URL=redis://127.0.0.1:6390/0 \
		RELIABILITY_KILL_ENTRIES=$(RELIABILITY_KILL_ENTRIES) REDIS_OUTAGE_SECONDS=$(REDIS_OUTAGE_SECONDS) \
		$(VENV)/bin/pytest -q -p tests.reliability.table \
		-m "reliability or abuse" tests/reliability tests/contract tests/test_security.py \
		tests/test_ratelimits.py

clean:
	rm -rf $(VENV) staticfiles var
