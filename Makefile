# Everyday commands. CI runs `.ci/run`, which uses the same targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install serve test test-fast lint format cassandra-start cassandra-stop bench clean

install: $(BIN)/python

$(BIN)/python: pyproject.toml poetry.lock
	$(PYTHON) -m pip install --quiet "poetry>=2.1,<3"
	$(PYTHON) scripts/poetry_compat.py install --no-root --no-interaction
	@touch $(BIN)/python

serve: install
	$(BIN)/python run.py

test: install
	bash scripts/test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

cassandra-start:
	bash scripts/cassandra start

cassandra-stop:
	bash scripts/cassandra stop

bench: install
	$(BIN)/python bench/http_overhead.py

clean:
	rm -rf $(VENV) data .pytest_cache
