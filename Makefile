# The README's commands. Each makes its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app

.PHONY: run test test-postgres test-browser lint format worker bench soak translations lock wheel clean assets

# .venv holds exactly requirements.lock (every package pinned with its hashes), then the app
# itself as an editable install without dependencies (--no-build-isolation: setup.py's build
# tools, setuptools and Babel, come from the lock too). pip-sync takes out what the lock no
# longer names; pip check then fails, naming the package, when pyproject.toml asks for one
# the lock lacks. Runs again whenever the lock or the packaging files change.
$(STAMP): requirements.lock pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip-sync --quiet requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check || { echo "requirements.lock does not hold what" \
		"pyproject.toml asks for: run make lock" >&2; exit 1; }
	touch $(STAMP)

# Resolve the dependencies of pyproject.toml (runtime and the dev extra) anew into
# requirements.lock, keeping every pin that still fits; `make lock UPGRADE=1` moves them all
# to the newest releases, `make lock UPGRADE=flask` one package. It asks PyPI alone, whatever
# the machine's pip configuration adds (PIP_CONFIG_FILE=/dev/null), so the lock names no
# local mirror. It needs only pip-tools, installed into .venv if missing, so it works even
# when the lock itself is broken (delete it, or take one side of a merge, then run this).
LOCK_TOOL := $(BIN)/pip-compile
UPGRADE ?=
lock:
	@! grep -qE '^(<<<<<<<|=======|>>>>>>>)' requirements.lock 2>/dev/null || { echo \
		"requirements.lock has merge conflict markers: git checkout --theirs requirements.lock," \
		"then make lock again" >&2; exit 1; }
	test -x $(LOCK_TOOL) || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"; }
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT \
		PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
		$(LOCK_TOOL) --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra dev \
		$(if $(filter 1,$(UPGRADE)),--upgrade,$(foreach p,$(UPGRADE),--upgrade-package $(p))) \
		--output-file requirements.lock pyproject.toml
	@echo "requirements.lock refreshed: review 'git diff requirements.lock', run make test"

# A wheel of the app in dist/ (templates, static files, compiled translations, migrations).
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

# The app compiles its message catalogues itself when it starts (core/catalogues.py).
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	$(FLASK) worker & WORKER=$$!; trap "kill $$WORKER" EXIT INT TERM; \
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port 5000

worker: $(STAMP)
	$(FLASK) worker

test: $(STAMP)
	$(BIN)/pytest -q

test-postgres: $(STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	$(BIN)/pytest -q

# axe-core for the browser tests (Chromium itself: apt-get install chromium; .ci/run does both).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The design system: GOV.UK Frontend with our identity (assets/motesplats.scss), compiled by
# Dart Sass into static/css/, its script and licence copied into static/. The results are
# committed, so `make run` needs no Node; run this after changing assets/ or package.json.
assets: node_modules/.package-lock.json
	npx sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules \
		assets/motesplats.scss static/css/motesplats.min.css
	mkdir -p static/js
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/js/
	cp assets/govuk-frontend-LICENSE.txt static/govuk-frontend-LICENSE.txt

test-browser: $(STAMP) node_modules/.package-lock.json
	$(BIN)/pytest -q -m browser tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

# PostgreSQL, 4 gunicorn workers, 2 outbox workers and an SMTP server under mixed traffic for
# 3 minutes, a worker of each killed midway; fails when anything was lost (bench/soak.py).
# `make soak SOAK_ARGS=--quick` runs 40 s.
SOAK_ARGS ?=
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --no-location --ignore-dirs=".venv node_modules migrations build tests bench" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python translations/complete_en.py

clean:
	rm -rf $(VENV) instance/motesplats.sqlite build dist

# schemathesis against /api/v1/openapi.json under gunicorn, anonymous and with a token
# (SQLite; PostgreSQL when TEST_DATABASE_URL is set).
.PHONY: test-fuzz
test-fuzz: $(STAMP)
	$(BIN)/pytest -q -m fuzz tests/api/test_fuzz.py
