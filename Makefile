# Two entry points for a fresh clone: `make demo` and `make test` (see README.md); `make test-fast` while developing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install data demo test test-fast release lab lectures clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned requirements and the course package

data: install  ## fetch (once) and verify every dataset; stops with what to do if one cannot be had (data/README.md)
	$(BIN)/python -m autograder data

demo: data  ## get the data, release the student notebooks, then autograde every reference solution (exit 1 unless full marks)
	$(BIN)/python -m autograder release
	$(BIN)/python -m autograder grade --require-full solutions/*/*.ipynb

test: data  ## lint and run the whole test suite (what CI runs): tests/, and every solution notebook through nbval
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: data  ## lint, the unit and other fast tests, and one grading round trip (01_perceptron): under two minutes
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow"

release: install  ## regenerate notebooks/ from solutions/
	$(BIN)/python -m autograder release

lectures: data  ## execute the solution notebooks and write HTML pages to build/lectures/ (ARGS="--full", "--released", names)
	$(BIN)/python -m autograder render $(ARGS)

lab: install  ## open the course in JupyterLab (settings in jupyter-config/: Validate kept, exchange tools off)
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" $(BIN)/jupyter lab

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
