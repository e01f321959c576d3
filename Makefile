# Two commands, each self-bootstrapping on a fresh clone:
#   make book   set up .venv, build the web book (every notebook executed)
#   make test   set up .venv, run every check: lint, unit tests, nbval, the book build, the
#               built site in headless Chromium, and the nbgrader round trip
# and:
#   make lab         open JupyterLab on book/ in the same environment
#   make assignment  build the nbgrader course: student copies in _build/course/release/
#   make grade       autograde _build/course/submitted/<student>/<assignment>/, write grades.csv
#   make bench       run the speed and memory benchmarks (beside PyTorch 2.13.0, one thread)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements
TEST_STAMP := $(VENV)/.installed-test-requirements
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))

.PHONY: book test lint unit nbval browser course assignment grade lab bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# PyTorch and what it needs, for the tests that compare with it (never for the book).
$(TEST_STAMP): requirements-test.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@touch $(TEST_STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check lossutils tests benchmarks tools book
	$(BIN)/ruff format --check lossutils tests benchmarks tools book

unit: $(TEST_STAMP)
	$(BIN)/pytest tests lossutils --doctest-modules --ignore=tests/browser --ignore=tests/course

nbval: $(STAMP)
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
		-p no:cacheprovider $(NOTEBOOKS)

# The built site in headless Chromium (Debian's /usr/bin/chromium; .ci/run installs it).
# axe-core comes from npm; without npm or Chromium the test skips locally (fails under CI=true).
browser: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi
	$(BIN)/pytest -p no:cacheprovider tests/browser

# The teaching round trip: build the course in a temporary directory, hand in the instructor
# version, an untouched student copy and one-solution copies, autograde, check the scores.
course: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider tests/course

test: lint unit nbval book browser course

assignment: $(STAMP)
	$(BIN)/python tools/course.py assignment

grade: $(STAMP)
	$(BIN)/python tools/course.py grade

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_losses.py
	$(BIN)/python benchmarks/bench_ufuncs.py

clean:
	rm -rf _build .pytest_cache .hypothesis
