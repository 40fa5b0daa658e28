# cosign — the two commands: `make run` and `make test`. Everything else is set-up they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000
# every absolute link (mail, PDF QR code, feed, API) is made from COSIGN_SITE_URL
SITE_URL := $(or $(COSIGN_SITE_URL),http://127.0.0.1:$(PORT))
STAMP  := $(VENV)/.installed
# compiled message catalogues (cosign/translations/<lang>/LC_MESSAGES/messages.mo), made from
# the .po files on every run and test: they are not kept in git
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard cosign/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint install system-deps db demo messages catalogues clean audit up down

# The site and its one background worker (PDF renders, press mail, embargo ends): the worker
# stops with the site (Ctrl+C) and also when this shell goes away.
run: install system-deps db demo
	@export COSIGN_DEV=1 COSIGN_SITE_URL="$(SITE_URL)"; \
	$(FLASK) cosign worker --exit-with-parent & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install system-deps
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# ruff (the rule set and why: pyproject.toml) and mypy (strict on cosign/core, checked elsewhere)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

install: $(STAMP) catalogues

catalogues: $(CATALOGUES)

cosign/translations/%/LC_MESSAGES/messages.mo: cosign/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile -q -d cosign/translations -l $* --statistics 2>/dev/null || \
	  $(VENV)/bin/pybabel compile -d cosign/translations -l $*

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Creating the virtualenv failed: installing python3-venv"; \
	  apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

# pip-audit (pinned in requirements.txt, installed with it) checks every pinned requirement
# against PyPI's vulnerability data and fails on a known vulnerability. The file pins every
# package exactly, so --no-deps --disable-pip (nothing to resolve); --strict fails when a
# package cannot be checked. The data comes from PyPI's JSON API (/pypi/NAME/VERSION/json), or
# from OSV when only that answers. When neither answers from this machine, the audit cannot
# run: it fails, unless AUDIT_OPTIONAL=1 (then it says so loudly and carries on).
AUDIT_PYPI_PROBE := https://pypi.org/pypi/flask/3.1.3/json
AUDIT_OSV_URL    := https://api.osv.dev/v1/query
AUDIT_FLAGS      := --requirement requirements.txt --no-deps --disable-pip --strict --progress-spinner off
AUDIT_OPTIONAL   ?= 0
# probe URL [JSON body to POST]: exit 0 when the service answers 2xx
PROBE := $(PY) -c "import sys, urllib.request as u; d = sys.argv[2].encode() if sys.argv[2:] else None; \
  u.urlopen(u.Request(sys.argv[1], data=d, headers={'Content-Type': 'application/json'}), timeout=20)"

audit: install
	@if $(PROBE) "$(AUDIT_PYPI_PROBE)" >/dev/null 2>&1; then \
	  echo "pip-audit against PyPI's vulnerability data"; \
	  $(VENV)/bin/pip-audit $(AUDIT_FLAGS) --vulnerability-service pypi; \
	elif $(PROBE) "$(AUDIT_OSV_URL)" '{"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "3.1.3"}' >/dev/null 2>&1; then \
	  echo "pip-audit against OSV (PyPI's vulnerability API does not answer here)"; \
	  $(VENV)/bin/pip-audit $(AUDIT_FLAGS) --vulnerability-service osv --osv-url "$(AUDIT_OSV_URL)"; \
	else \
	  echo "*** make audit: neither PyPI's vulnerability API ($(AUDIT_PYPI_PROBE))"; \
	  echo "*** nor OSV ($(AUDIT_OSV_URL)) answers from this machine: the requirements were NOT audited."; \
	  if [ "$(AUDIT_OPTIONAL)" = 1 ]; then echo "*** AUDIT_OPTIONAL=1: carrying on without the audit."; \
	  else exit 1; fi; \
	fi

# Debian packages: Chromium for the browser tests, Noto fonts (Arabic script),
# poppler for looking at PDFs and Java for the Nu HTML checker (tests/test_html_validity.py). Installed only when missing; needs root and apt.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf || missing="$$missing fonts-noto-core"; \
	test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing) \
	    || echo "Could not install$$missing (not root?): browser or font features may be missing."; \
	fi

# The full local stack: PostgreSQL + Redis (installed and started if missing), two gunicorn
# servers on 127.0.0.1:8101 and :8102, one job worker, restarted if it dies (scripts/stack.py;
# STACK_ARGS=--fresh). `scripts/stack.py status`: what runs, with pids and /healthz.
up: install
	$(PY) scripts/stack.py up $(STACK_ARGS)

down:
	@test -x $(PY) && $(PY) scripts/stack.py stop || echo "No virtualenv: nothing was started."

db: install
	@mkdir -p instance
	COSIGN_DEV=1 $(FLASK) db upgrade

demo: db
	COSIGN_DEV=1 COSIGN_SITE_URL="$(SITE_URL)" $(FLASK) cosign demo

# After changing user-facing strings: extract them, merge them into every catalogue (new ones
# come in empty; tests/test_catalogues.py fails until each is translated), compile.
messages: $(STAMP)
	mkdir -p cosign/translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ \
	  -o cosign/translations/messages.pot . >/dev/null
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete \
	  -i cosign/translations/messages.pot -d cosign/translations
	$(MAKE) catalogues

clean:
	rm -rf $(VENV) .pytest_cache
