# Two commands do all the set-up: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser test (tests/test_serve_browser.py) drives Debian's Chromium through Playwright;
# `make test` installs the package when it is missing (CI runs as root; elsewhere via sudo).
CHROMIUM := /usr/bin/chromium
# Chinese figures (`--lang zh`) need a CJK font; matplotlib finds Debian's Noto Sans CJK
# (tests/test_i18n.py renders a Chinese title and fails on a missing glyph).
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

.PHONY: demo test lint bench clean venv chromium fonts

venv: $(STAMP)

$(STAMP): pyproject.toml constraints-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, so nothing else can pull a CUDA build
	$(BIN)/python -m pip install --quiet -c constraints-dev.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints-dev.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) fonts
	$(BIN)/gdlab train --out runs/demo

test: $(STAMP) chromium fonts
	$(BIN)/python -m pytest -q

chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	}
	@test -x $(CHROMIUM) || { echo "no $(CHROMIUM): install Debian's chromium (apt-get install chromium)"; exit 1; }

fonts:
	@test -f $(CJK_FONT) || { \
	  echo "installing Debian's fonts-noto-cjk for Chinese figures"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	}
	@test -f $(CJK_FONT) || { echo "no $(CJK_FONT): install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)"; exit 1; }

lint: $(STAMP)
	$(BIN)/ruff check src tests

bench: $(STAMP)
	$(BIN)/gdlab bench

clean:
	rm -rf runs .pytest_cache
