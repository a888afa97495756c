# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test drills lint bench simulate clean-data lock

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/pytest -q -m "not drill"

# Fault drills on a real dev server and PostgreSQL (tests/drills): a few minutes.
drills: $(STAMP)
	$(BIN)/pytest -q -s -m drill tests/drills

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

simulate: $(STAMP)
	$(BIN)/python -m bench.simulate --cases $(or $(CASES),10000) --servers $(or $(SERVERS),2) --workers $(or $(WORKERS),1)

lock:
	$(PYTHON) -m venv /tmp/lock-venv && /tmp/lock-venv/bin/pip install --quiet -e '.[dev]' \
	  && /tmp/lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean-data:
	rm -rf data
