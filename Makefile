# Two commands (see README.md):
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (lint, build check, the ci site,
#               unit tests with the built-site checks, notebooks)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test unit notebooks lint build check-build bench clean colab browser site \
	site-ci

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,video,site]'
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# In this order, one step at a time: the ci site is built (warnings as errors)
# before the unit tests, whose tests/test_site.py checks the built site and, with
# SITE_REQUIRED=1, fails instead of skipping when there is none.
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-build
	$(MAKE) --no-print-directory site-ci
	$(MAKE) --no-print-directory unit SITE_REQUIRED=1 SITE_PROFILE=ci
	$(MAKE) --no-print-directory notebooks

lint: $(STAMP)
	$(PY) -m ruff check .

check-build: $(STAMP)
	$(PY) -m coursework build --check

unit: $(STAMP)
	COURSEWORK_PROFILE=ci $(PY) -m pytest -q --durations=15 tests --ignore=tests/browser

# nbval executes every solution notebook itself (a cell that writes to stderr
# fails: solutions/conftest.py). The site's run of the same notebooks is kept
# apart: it keeps what a page needs and nbval does not (widget state, the
# metrics each notebook records, text progress bars), and nbval cannot take
# outputs it did not compute. The site's jupyter-cache makes a second
# make test on an unchanged checkout re-execute nothing for the site.
notebooks: $(STAMP)
	COURSEWORK_PROFILE=ci $(PY) -m pytest -q --nbval-lax --nbval-current-env solutions/

# The notebooks in JupyterLab in headless Chromium (where /usr/bin/chromium, or
# $$CHROMIUM, exists; the tests skip and say why elsewhere).
browser: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt playwright
	$(MAKE) --no-print-directory site-ci
	COURSEWORK_PROFILE=ci $(PY) -m pytest -q -rs tests/browser

# The course site (README, "The course site"): the solution notebooks executed
# in $$COURSEWORK_PROFILE (default cpu), warnings as errors, cached per profile
# in docs/_build/<profile>/ so a rebuild re-executes only what changed. The
# checks the notebooks run record no progress (COURSEWORK_PROGRESS=off): the
# builder's own ~/.cache/coursework/progress.json stays as it was.
SITE_PROFILE = $(or $(COURSEWORK_PROFILE),cpu)
SITE_OUT = docs/_build/$(SITE_PROFILE)
site: $(STAMP)
	@start=$$(date +%s); \
	COURSEWORK_PROGRESS=off COURSEWORK_PROFILE=$(SITE_PROFILE) $(PY) -m sphinx -W --keep-going -q -b html \
		-d $(SITE_OUT)/doctrees docs $(SITE_OUT)/html && \
	echo "site: $(SITE_OUT)/html/index.html in $$(( $$(date +%s) - start )) s" \
		"(notebook executions: $(SITE_OUT)/executions.txt)"

# The site the test command builds and checks: the ci profile.
site-ci:
	$(MAKE) --no-print-directory site COURSEWORK_PROFILE=ci

build: $(STAMP)
	$(PY) -m coursework build

# Run every solution notebook once per seed in each profile, print its time and
# metrics, and refresh the course's bands (coursework/bands/<profile>.json) from
# the spread over the seeds. cpu takes about ten minutes per notebook and seed.
BENCH_PROFILES ?= ci cpu
BENCH_SEEDS ?= 0 1 2 3 4
bench: $(STAMP)
	$(PY) benchmarks/run.py --profiles $(BENCH_PROFILES) --seeds $(BENCH_SEEDS) --bands

clean:
	rm -rf $(VENV)
