# `make run` and `make test` are the two commands in the README; everything else serves them.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app app
PORT   ?= 5000

.PHONY: run test setup lint format translations messages clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,prod]"
	touch $(BIN)/activate

translations: $(BIN)/activate
	$(BIN)/pybabel compile -d app/translations -f 2>&1 | tail -1

messages: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations

setup: $(BIN)/activate translations

run: setup
	$(FLASK) init-db
	$(FLASK) seed-demo
	trap 'kill 0' EXIT INT TERM; $(FLASK) run-timers >/dev/null & COMPLAINTFLOW_DEMO=1 $(FLASK) run --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app forms services tests benchmarks
	$(BIN)/lint-imports
	@tmp=$$(mktemp -d) && export DATABASE_URL=sqlite:///$$tmp/check.sqlite SECRET_KEY=lint && \
	  $(FLASK) db upgrade >/dev/null 2>&1 && $(FLASK) db check; status=$$?; rm -rf $$tmp; exit $$status

format: setup
	$(BIN)/ruff format app forms services tests benchmarks
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
