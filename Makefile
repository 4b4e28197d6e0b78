# The two commands of the README, plus the benchmarks. Each one sets up what it needs first.
.PHONY: setup run lint test test-python test-js bench bench-smoke vendor

setup:
	./scripts/setup.sh

run: setup
	.venv/bin/python -m devserver --lan

# Format, lint and type checks (ruff, mypy, Prettier, ESLint), in seconds; `make test` runs them first.
lint: setup
	./scripts/lint.sh

test:
	./scripts/setup.sh --with-browser
	./scripts/lint.sh
	./scripts/test.sh

bench: setup
	.venv/bin/python -m bench

# The benchmarks at tiny sizes, checking that each still runs and reports numbers (a few minutes; each smoke test
# runs a whole benchmark, so it gets 5 minutes rather than the suite's 2).
bench-smoke:
	./scripts/setup.sh --with-browser
	.venv/bin/python -m pytest -m bench_smoke --timeout 300 tests/bench

vendor: setup
	node scripts/vendor.mjs

# The official SDKs' own test suites against the emulator (not part of `make test`): give the checkouts' paths,
# e.g. `make sdk-suites ABLY_JS=../ably-js ABLY_PYTHON=../ably-python`; table in test-artifacts/.
.PHONY: sdk-suites
sdk-suites: setup
	./scripts/sdk_suites.sh $(if $(ABLY_JS),--js "$(ABLY_JS)") $(if $(ABLY_PYTHON),--python "$(ABLY_PYTHON)") $(FILES)
