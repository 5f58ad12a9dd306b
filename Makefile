# Two entry points: `make serve` and `make test`. Both set up .venv on first use and are safe to rerun.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test test-fast typecheck build ask eval bench fuzz soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first, so nothing later pulls the multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,ray]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

test: $(STAMP) typecheck
	$(BIN)/python -m pytest -q
	$(BIN)/rag eval --check

# The quick loop: every test but the slow ones (soak, reindexing, killed builds), on the real model all the same.
test-fast: $(STAMP) typecheck
	$(BIN)/python -m pytest -q -m "not slow"

typecheck: $(STAMP)
	$(BIN)/mypy

build: $(STAMP)
	$(BIN)/rag build

ask: $(STAMP)
	$(BIN)/rag ask "$(Q)"

eval: $(STAMP)
	$(BIN)/rag eval

# The figures in README's Performance and Reliability sections come from these three.
# Everything `rag bench` measures, then the whole server over 100k, 1M and 10M synthetic chunks (the 10M index
# takes about half an hour to write on two CPUs and 11 GB of disk; each is removed after its row is measured).
bench: $(STAMP)
	$(BIN)/rag bench
	$(BIN)/rag bench --scale 100000
	$(BIN)/rag bench --scale 1000000
	$(BIN)/rag bench --scale 10000000

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(BIN)/python -m pytest -q -s tests/test_fuzz.py

soak: $(STAMP)
	$(BIN)/python tests/soak.py --seconds $${SOAK_SECONDS:-120} --connections $${SOAK_CONNECTIONS:-32}

clean:
	rm -rf index/builds index/current .pytest_cache
