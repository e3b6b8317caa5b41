# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install install-web install-dev apt system-packages web-packages demo test web lint

# Debian packages of the web page's conversation PDFs: pango and fonts (Arabic, Hebrew, CJK, emoji).
WEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
	fonts-dejavu-core
# And what the tests add: the browser they drive and pdftotext. Each set is installed only when one is missing.
TEST_PACKAGES := $(WEB_PACKAGES) chromium poppler-utils

# The Python packages, pinned in requirements/ (from pyproject.toml): the crawler and the demo (runtime.txt), the
# web page (web.txt), and everything the tests, the benchmarks and the lint need (dev.txt). Each file includes the
# one before it. The crawler and the demo need no Debian package.
install: $(VENV)/.installed-runtime
install-web: $(VENV)/.installed-web
install-dev: $(VENV)/.installed-dev

web-packages:
	@$(MAKE) --no-print-directory apt PACKAGES="$(WEB_PACKAGES)"

system-packages:
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"

apt:
	@missing=$$(for package in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q "install ok installed" || echo $$package; \
	done); \
	if [ -n "$$missing" ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "Installing Debian packages:" $$missing; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements/runtime.txt
$(VENV)/.installed-web: requirements/web.txt requirements/runtime.txt
$(VENV)/.installed-dev: requirements/dev.txt requirements/web.txt requirements/runtime.txt
$(VENV)/.installed-%: | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/$*.txt
	touch $@

demo: install
	$(PY) -m zendesk_crawler.demo

# Lint and types first: a finding fails the tests as a failing test would.
test: system-packages install-dev lint
	$(PY) -m pytest -n 2 --dist loadfile

# The web page on http://127.0.0.1:8000 (same environment as a crawl; README, "The web page").
web: web-packages install-web
	$(PY) -m zendesk_crawler.web --host 127.0.0.1 --port 8000

# Lint and type checks (configured in pyproject.toml); both run, so that one report shows every finding.
lint: install-dev
	@status=0; \
	$(VENV)/bin/ruff check zendesk_crawler zendesk_sandbox harness tests bench docs || status=1; \
	$(VENV)/bin/mypy zendesk_crawler || status=1; \
	exit $$status
