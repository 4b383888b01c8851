# Two commands from a fresh clone (only Python >= 3.11 and pip needed):
#   make run    set up .venv, rebuild the corpus, classify the bundled example requests
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run train test lint benchmark notebooks clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python scripts/build_corpus.py corpus/r3/source.txt --policy-id r3 --out corpus/r3/ --quiet
	$(BIN)/python scripts/classify.py corpus/examples/requests_example.csv -o out/requests_example.classified.csv
	$(BIN)/python scripts/show_results.py out/requests_example.classified.csv

train: setup
	$(BIN)/python scripts/train.py --policy r3

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests scripts notebooks benchmarks
	$(BIN)/ruff format --check src tests scripts notebooks benchmarks
	$(BIN)/mypy src

notebooks: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,notebooks]'
	$(BIN)/jupyter lab notebooks/

benchmark: setup
	$(BIN)/python scripts/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
