# The two commands of the README, plus the benchmarks. Each one sets up what it needs first.
.PHONY: setup build run dev lint test bench bench-smoke check-ably

setup:
	./scripts/setup.sh

# The production site: Vite compiles site/ into dist/site/ (hashed file names under dist/site/assets/).
build: setup
	npm run build

# The site exactly as deployed: the production build, served by the dev host with the API and the emulator.
# Port 4280 unless you say another: `make run PORT=4300`.
run: build
	.venv/bin/python -m devserver --lan $(if $(PORT),--port $(PORT))

# Whether ABLY_API_KEY (environment or local.settings.json) works with Ably and allows what the site needs: one line.
check-ably: setup
	.venv/bin/python -m devserver --check-ably

# For UI work: Vite's dev server (hot reload) in front of a dev host that answers /api and Ably; Ctrl-C stops both.
dev: setup
	.venv/bin/python -m devserver.vite_dev

# Format, lint and type checks (ruff, mypy, Prettier, ESLint), in seconds; `make test` runs them first.
lint: setup
	./scripts/lint.sh

test:
	./scripts/setup.sh --with-browser
	./scripts/lint.sh
	./scripts/test.sh

bench: build
	.venv/bin/python -m bench

# The benchmarks at tiny sizes, checking that each still runs and reports numbers (a few minutes; each smoke test
# runs a whole benchmark, so it gets 5 minutes rather than the suite's 2).
bench-smoke:
	./scripts/setup.sh --with-browser
	.venv/bin/python -m pytest -m bench_smoke --timeout 300 tests/bench

# The official SDKs' own test suites against the emulator (not part of `make test`): give the checkouts' paths,
# e.g. `make sdk-suites ABLY_JS=../ably-js ABLY_PYTHON=../ably-python`; table in test-artifacts/. As root, OFFLINE=1
# runs them where only loopback exists, with a stand-in for echo.ably.io (the known-failures list expects that run).
.PHONY: sdk-suites
sdk-suites: setup
	./scripts/sdk_suites.sh $(if $(OFFLINE),--offline) $(if $(ABLY_JS),--js "$(ABLY_JS)") \
	  $(if $(ABLY_PYTHON),--python "$(ABLY_PYTHON)") $(FILES)

# @ably/spaces' own integration scenarios against the emulator (not part of `make test`): give a checkout of
# ably/spaces, e.g. `make spaces-suite SPACES=../spaces`; only its sandbox helper is replaced (scripts/spaces_suite.sh).
.PHONY: spaces-suite
spaces-suite: setup
	./scripts/spaces_suite.sh "$(SPACES)"
