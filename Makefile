# cosign — the two commands: `make run` and `make test`. Everything else is set-up they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: run test install system-deps db demo messages clean

run: install system-deps db demo
	COSIGN_DEV=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install system-deps
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "Creating the virtualenv failed: installing python3-venv"; \
	  apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

# Debian packages: Chromium for the browser tests, Noto fonts (Arabic script) and
# poppler for looking at PDFs. Installed only when missing; needs root and apt.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf || missing="$$missing fonts-noto-core"; \
	test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing) \
	    || echo "Could not install$$missing (not root?): browser or font features may be missing."; \
	fi

db: install
	@mkdir -p instance
	COSIGN_DEV=1 $(FLASK) db upgrade

demo: db
	COSIGN_DEV=1 $(FLASK) cosign demo

messages: install
	mkdir -p cosign/translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o cosign/translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache
