# Two commands do all the set-up: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser test (tests/test_serve_browser.py) drives Debian's Chromium through Playwright;
# `make test` installs the package when it is missing (CI runs as root; elsewhere via sudo).
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint bench clean venv chromium

venv: $(STAMP)

$(STAMP): pyproject.toml constraints-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, so nothing else can pull a CUDA build
	$(BIN)/python -m pip install --quiet -c constraints-dev.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints-dev.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gdlab train --out runs/demo

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	}
	@test -x $(CHROMIUM) || { echo "no $(CHROMIUM): install Debian's chromium (apt-get install chromium)"; exit 1; }

lint: $(STAMP)
	$(BIN)/ruff check src tests

bench: $(STAMP)
	$(BIN)/gdlab bench

clean:
	rm -rf runs .pytest_cache
