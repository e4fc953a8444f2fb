# M.AX Data Exchange Registry. `make run` serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check bench schema lock clean worker beat messages

$(STAMP): $(LOCK)
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/dev.py run $(RUN_ARGS)

# Both cores (pytest-xdist); each worker gets its own test database.
test: $(STAMP)
	$(PY) scripts/dev.py exec -- $(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

check: lint typecheck test

bench: $(STAMP)
	$(PY) scripts/dev.py exec -- $(PY) bench/run.py $(BENCH_ARGS)

schema: $(STAMP)
	$(PY) scripts/dev.py exec -- $(PY) manage.py spectacular --lang en --file docs/openapi.yaml

worker: $(STAMP)
	$(PY) -m celery -A config worker --loglevel INFO

beat: $(STAMP)
	$(PY) -m celery -A config beat --loglevel INFO --schedule .data/celerybeat-schedule

# Refresh the Korean message catalogs from the code, then compile them (needs GNU gettext).
# Translate the new entries in */locale/ko/LC_MESSAGES/django.po and run it again.
I18N_APPS := accounts audit common console datasets registry stats
messages: $(STAMP)
	for app in $(I18N_APPS); do \
	  (cd $$app && DATABASE_URL=$${DATABASE_URL:-postgres://localhost/unused} ../$(PY) ../manage.py \
	    makemessages -l ko --no-obsolete --ignore 'migrations/*' && \
	   DATABASE_URL=$${DATABASE_URL:-postgres://localhost/unused} ../$(PY) ../manage.py \
	    compilemessages -l ko) || exit 1; \
	done

# Regenerate the lock files after editing pyproject.toml (needs network access to PyPI).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements/prod.lock -q
	$(VENV)/bin/uv pip compile pyproject.toml --extra embedded --extra dev --universal --python-version 3.11 --generate-hashes -o $(LOCK) -q

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
