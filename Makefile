# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install system-packages demo test web

# Debian packages: the browser the web page's tests drive, pdftotext, and pango with fonts
# (Arabic, Hebrew, emoji) for the conversation PDFs. Installed only when one is missing.
SYSTEM_PACKAGES := chromium poppler-utils fonts-noto-core fonts-noto-color-emoji fonts-dejavu-core \
	libpango-1.0-0 libpangoft2-1.0-0

install: system-packages $(VENV)/.installed

system-packages:
	@missing=$$(for package in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q "install ok installed" || echo $$package; \
	done); \
	if [ -n "$$missing" ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "Installing Debian packages:" $$missing; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt bench/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r bench/requirements.txt
	touch $@

demo: install
	$(PY) -m zendesk_sandbox.demo

test: install
	$(PY) -m pytest

# The web page on http://127.0.0.1:8000 (same environment as a crawl; README, "The web page").
web: install
	$(PY) -m zendesk_crawler.web --host 127.0.0.1 --port 8000
