PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fmt browser clean

# Debian's own Python needs python3-venv for `-m venv`; install it when it is missing.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/erpsync db upgrade
	$(BIN)/erpsync serve

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The suite in two worker processes, a test file to each at a time (module and package fixtures,
# such as the browser tests' live app, are built once per worker).
TEST_WORKERS ?= 2

test: $(STAMP) browser
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/sync_throughput.py
	$(BIN)/python bench/smart_sync.py
	$(BIN)/python bench/order_submit.py
	$(BIN)/python bench/customer_search.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/offline_slice.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/event_fanout.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
