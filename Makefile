# zorgid-cards. `make run` and `make test` are the README's two commands.
VENV := .venv
DEMO_DIR := .demo
PYTEST_ARGS ?= -n 2

.PHONY: setup setup-test run test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	scripts/setup.sh

setup-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml scripts/setup.sh
	scripts/setup.sh --test

# The main job on the embedded default (a SQLite file, no server): a fresh demo history.
run: setup
	rm -rf $(DEMO_DIR)
	$(VENV)/bin/zorgid demo --data-dir $(DEMO_DIR) --practices 50 --seed 1
	@echo "Audit it: $(VENV)/bin/zorgid events --data-dir $(DEMO_DIR) --limit 20"

# The whole suite, with the real services it talks to: PostgreSQL (started here when none
# is running), pcscd with the vpcd virtual reader and the Kafka-protocol broker (started
# by the tests themselves).
test: setup-test
	$(VENV)/bin/ruff check .
	ZORGID_TEST_POSTGRES=$$(scripts/ensure-postgres.sh) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(VENV)/bin/ruff check .

bench: setup-test
	@set -e; for script in scripts/bench_*.py; do \
		echo "== $$script"; $(VENV)/bin/python $$script; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pgtest .pytest_cache .hypothesis
