# The two commands of the README, plus the benchmarks. Each one sets up what it needs first.
.PHONY: setup run test test-python test-js bench vendor

setup:
	./scripts/setup.sh

run: setup
	.venv/bin/python -m devserver

test:
	./scripts/setup.sh --with-browser
	./scripts/test.sh

bench: setup
	.venv/bin/python -m bench

vendor: setup
	node scripts/vendor.mjs
