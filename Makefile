# zhenggai: `make run` (demo on SQLite) and `make test` (the whole suite). See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
STAMP := $(VENV)/.installed
ASSETS := src/zhenggai/static/vendor/.built

.PHONY: install assets run serve worker migrate demo test test-sqlite test-postgres test-browser lint messages clean bench bench-integrity soak

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json scripts/copy-assets.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $(ASSETS)

install: $(STAMP) $(ASSETS)
	@if command -v msgfmt >/dev/null; then $(BIN)/zhenggai compilemessages --ignore '.venv/*' --ignore 'node_modules/*' -v0; fi

assets: $(ASSETS)

migrate: install
	ZHENGGAI_DEMO=1 $(BIN)/zhenggai migrate --noinput -v0

demo: migrate
	ZHENGGAI_DEMO=1 $(BIN)/zhenggai load-demo --if-empty

run: demo
	ZHENGGAI_DEMO=1 $(BIN)/zhenggai collectstatic --noinput -v0
	@echo ""
	@echo "整改 · 演示环境  http://127.0.0.1:8000"
	@echo "演示账号（密码均为 zhenggai-demo）：office 督察整改办 | staff / head 区住房城乡建委经办人 / 负责人 |"
	@echo "  staff2 / head2 双桂街道经办人 / 负责人 | acceptor 区生态环境局（验收单位） | leader 领导 | discipline 纪检监察 | admin 系统管理员"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	ZHENGGAI_DEMO=1 $(BIN)/zhenggai worker & \
	ZHENGGAI_DEMO=1 $(BIN)/zhenggai serve & \
	wait

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

test-sqlite: install
	$(BIN)/pytest -m "not browser" -p no:cacheprovider

test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser" -p no:cacheprovider

test-browser: install
	$(BIN)/pytest -m browser -p no:cacheprovider

test: lint test-sqlite test-postgres test-browser

messages: install
	$(BIN)/zhenggai makemessages -l en --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*' --ignore 'bench/*'
	$(BIN)/zhenggai compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

clean:
	rm -rf $(VENV) node_modules var src/zhenggai/static/vendor
# `make bench SCALE=district|city|province|demo [BENCH_ARGS="--reuse --rounds 10"]`: docs/performance.md
SCALE ?= district
bench: install
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)
# `make bench-integrity`: planted anomalies, precision and recall of each integrity check (docs/integrity.md)
bench-integrity: install
	$(BIN)/python bench/integrity.py
# `make soak`: 100 simulated users for 5 minutes on gunicorn and PostgreSQL (PG_ADMIN_URL), figures in docs/security.md
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
soak: install
	ZHENGGAI_BENCH_POSTGRES_URL=$(PG_ADMIN_URL) $(BIN)/python bench/soak.py
