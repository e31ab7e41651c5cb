# zorgid-cards. `make run` and `make test` are the README's two commands.
VENV := .venv
DEMO_DIR := .demo
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: setup setup-test run demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	scripts/setup.sh

setup-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml scripts/setup.sh
	scripts/setup.sh --test

# The main job on the embedded default (a SQLite file, no server to install): the API and
# portal with demo data made on first start, at http://127.0.0.1:$(PORT)/portal (PORT=8000
# unless given: make run PORT=8011).
# With HSM=1 the demo's card CA keeps its key in a SoftHSM2 token under $(DEMO_DIR)/hsm
# (made on the first such start, with the demo's PIN below: a demo, never for real cards).
run: setup
	@echo "serving the demo at http://127.0.0.1:$(PORT)/portal (another port: make run PORT=8011)"
	@set -e; if [ -n "$(HSM)" ]; then \
	    export ZORGID_PKCS11_PIN=zorgid-demo-pin ZORGID_CA_PASSPHRASE="zorgid demo only"; \
	    eval "$$(scripts/softhsm-token.sh $(DEMO_DIR)/hsm zorgid-demo)"; \
	    $(VENV)/bin/zorgid ca init --data-dir $(DEMO_DIR) --token-label zorgid-demo \
	        --pkcs11-module /usr/lib/softhsm/libsofthsm2.so; \
	fi; \
	exec $(VENV)/bin/zorgid serve --dev --data-dir $(DEMO_DIR) --port $(PORT)

# A fresh demo history and its summary, without a server.
demo: setup
	rm -rf $(DEMO_DIR)-history
	$(VENV)/bin/zorgid demo --data-dir $(DEMO_DIR)-history --practices 50 --seed 1
	@echo "Audit it: $(VENV)/bin/zorgid events --data-dir $(DEMO_DIR)-history --limit 20"

# The whole suite, with the real services it talks to: PostgreSQL (started here when none
# is running), pcscd with the vpcd virtual reader and the Kafka-protocol broker (started
# by the tests themselves).
test: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	ZORGID_TEST_POSTGRES=$$(scripts/ensure-postgres.sh) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup-test
	@set -e; for script in scripts/bench_*.py; do \
		echo "== $$script"; $(VENV)/bin/python $$script; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_DIR)-history .pgtest .pytest_cache .hypothesis
