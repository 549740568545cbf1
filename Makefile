# `make run` and `make test` are the two commands in the README; everything else serves them.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app app
DEMO    = COMPLAINTFLOW_DEMO=1 $(FLASK)
PORT   ?= 5000
# Three test workers on two cores: a test waiting on a child process, a server or Chromium
# leaves a core idle with two (6% of a run's CPU time); with three, the run is 6% shorter.
PYTEST_ARGS ?= -n 3 --dist worksteal

.PHONY: run production test test-fast setup vendor browser redis pango lint format translations messages clean

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

# bpmn-js draws the process diagrams; it is installed from package-lock.json and served from
# app/static/vendor, so nothing is fetched at run time. bpmnlint, from the same install, checks
# diagrams before a deploy: esbuild bundles tools/bpmnlint.mjs with it into one file that
# services/bpmnlint.py runs under Node, with no node_modules (so the wheel carries it). The
# process owner's editor adds the bpmn-js and dmn-js modelers.
BPMN_JS = app/static/vendor/bpmn-js
DMN_JS  = app/static/vendor/dmn-js
# Chart.js draws the dashboard's charts (each one also shown as a table).
CHART_JS = app/static/vendor/chart.js
# Swagger UI shows the API reference at /api/docs; it runs under the strict CSP unchanged.
SWAGGER_UI = app/static/vendor/swagger-ui-dist
BPMNLINT = services/vendor/bpmnlint.cjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(BPMN_JS)/bpmn-navigated-viewer.production.min.js: node_modules/.package-lock.json
	mkdir -p $(BPMN_JS)
	cp -R node_modules/bpmn-js/dist/assets/. $(BPMN_JS)/
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(BPMN_JS)/

$(BPMN_JS)/bpmn-modeler.production.min.js: node_modules/.package-lock.json
	mkdir -p $(BPMN_JS)
	cp -R node_modules/bpmn-js/dist/assets/. $(BPMN_JS)/
	cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(BPMN_JS)/

$(DMN_JS)/dmn-modeler.production.min.js: node_modules/.package-lock.json
	mkdir -p $(DMN_JS)
	cp -R node_modules/dmn-js/dist/assets/. $(DMN_JS)/
	cp node_modules/dmn-js/dist/dmn-modeler.production.min.js $(DMN_JS)/

$(CHART_JS)/chart.umd.min.js: node_modules/.package-lock.json
	mkdir -p $(CHART_JS)
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(CHART_JS)/

$(SWAGGER_UI)/swagger-ui-bundle.js: node_modules/.package-lock.json
	mkdir -p $(SWAGGER_UI)
	cp $(addprefix node_modules/swagger-ui-dist/,swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE) \
		$(SWAGGER_UI)/

$(BPMNLINT): node_modules/.package-lock.json tools/bpmnlint.mjs tools/build-bpmnlint.mjs
	node tools/build-bpmnlint.mjs $(dir $@)

vendor: $(BPMN_JS)/bpmn-navigated-viewer.production.min.js \
	$(BPMN_JS)/bpmn-modeler.production.min.js $(DMN_JS)/dmn-modeler.production.min.js \
	$(CHART_JS)/chart.umd.min.js $(SWAGGER_UI)/swagger-ui-bundle.js $(BPMNLINT)

setup: $(BIN)/activate translations vendor pango

# WeasyPrint prints the letters to PDF through Debian's Pango; install it when missing.
pango:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	  fonts-dejavu-core >/dev/null; }

# Production on one machine: web, Celery worker and beat, by the console script an installed
# package has too (app/production_stack.py says what it needs: DATABASE_URL,
# CELERY_BROKER_URL, RATELIMIT_STORAGE_URI, SECRET_KEY).
production: setup
	exec $(BIN)/complaintflow-production

# Links in the demo's messages (tracking, tasks) point at the port it serves on.
run: export PUBLIC_BASE_URL ?= http://localhost:$(PORT)
run: setup
	$(DEMO) init-db
	$(DEMO) seed-demo
	COMPLAINTFLOW_DEMO=1 exec tools/run-demo.sh $(PORT) $(FLASK)

# Browser tests drive Debian's Chromium; Playwright never downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The rate-limit tests share counts through a real Redis; start one when none answers.
redis:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 \
	  --port 6379 --save "" --appendonly no >/dev/null

# Bytecode is kept (an environment may set PYTHONDONTWRITEBYTECODE): without it each test
# worker and each child interpreter compiles the app and pytest rewrites its plugins again.
PYTEST = PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

test: setup browser redis
	$(PYTEST) $(PYTEST_ARGS)

# The quick loop while working: SQLite only, no browser tests.
test-fast: setup redis
	TEST_DATABASE_URL= $(PYTEST) $(PYTEST_ARGS) -m "not browser" -q

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
