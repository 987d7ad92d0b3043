# The README's commands. Each makes its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app

.PHONY: run test test-postgres test-browser lint format worker bench translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

compile: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

run: compile
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	$(FLASK) worker & WORKER=$$!; trap "kill $$WORKER" EXIT INT TERM; \
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port 5000

worker: compile
	$(FLASK) worker

test: compile
	$(BIN)/pytest -q

test-postgres: compile
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	$(BIN)/pytest -q

# axe-core for the browser tests (Chromium itself: apt-get install chromium; .ci/run does both).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test-browser: compile node_modules/.package-lock.json
	$(BIN)/pytest -q -m browser tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: compile
	$(BIN)/python bench/run.py

translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --ignore-dirs=".venv node_modules migrations build tests bench" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python translations/complete_en.py

clean:
	rm -rf $(VENV) instance/motesplats.sqlite

# schemathesis against /api/v1/openapi.json under gunicorn, anonymous and with a token
# (SQLite; PostgreSQL when TEST_DATABASE_URL is set).
.PHONY: test-fuzz
test-fuzz: compile
	$(BIN)/pytest -q -m fuzz tests/api/test_fuzz.py
