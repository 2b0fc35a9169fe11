# Two commands for a newcomer: `make run` (the app) and `make test` (the whole suite).
# Each creates .venv on first use and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-fast pretrained quality bench clean-venv

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/streamlit run server.py --server.address localhost --server.port $(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# Rebuild every model in pretrained/ on the CPU (prints each model's training time), then what
# first page visits would recompute from them (pretrained/precomputed.safetensors).
pretrained: $(VENV)/.runtime
	$(BIN)/python -m aecore --threads 2 zoo --out pretrained
	$(BIN)/python -m aecore --threads 2 precompute --out pretrained

quality: $(VENV)/.runtime
	$(BIN)/python benchmarks/quality.py --write-results

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/train_speed.py

clean-venv:
	rm -rf $(VENV)
