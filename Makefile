# Idempotent set-up and the project's jobs. `make demo` and `make test` are
# the two commands in the README; everything they need is installed here.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
KIOSK := $(VENV)/bin/kiosk
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export QT_QPA_PLATFORM ?= offscreen

# Debian packages: Python and its venv, Tesseract, the OCR-B font for
# synthetic documents, SANE (scanners; its `test` backend for tests), Xvfb,
# and the xcb/EGL/GL libraries PySide6 needs offscreen and under Xvfb.
APT_PACKAGES := python3 python3-venv python3-dev build-essential \
	tesseract-ocr libtesseract5 fonts-ocr-b fonts-dejavu-core libsane-dev sane-utils libsane1 \
	xvfb xauth libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 \
	libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
	libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0

.PHONY: help setup system-deps venv models bytecode demo test lint typecheck layers pytest bench eval \
	eval-robustness screenshots bundle clean

help:
	@echo "make demo   - set up everything, then run the bundled sample case"
	@echo "make test   - set up everything, then run lint, types, layers and the test suite"
	@echo "make bench  - latency benchmarks (slow)      make eval - accuracy evaluations (slow)"

setup: system-deps venv models bytecode

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(STAMPS)/venv

$(STAMPS)/venv: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0])'
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

models: venv
	$(KIOSK) models fetch

# pip compiles an installed package's modules; an editable install does not, so
# every `kiosk` start under PYTHONDONTWRITEBYTECODE=1 would compile the project
# from source (about 0.15 s of a `kiosk mrz`). Up-to-date files are skipped.
bytecode: venv
	$(PY) -m compileall -q kiosk pipeline models ui

demo: setup
	$(KIOSK) demo

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

layers: venv
	$(VENV)/bin/lint-imports

pytest: setup
	$(PY) -m pytest -m "not slow" -q

test: setup lint typecheck layers pytest

# One table and bench.json; the per-area scripts in tests/bench/ go deeper.
bench: setup
	$(PY) -m tests.bench.bench_all --out bench.json

# Every accuracy evaluation, one report: reports/evaluation.html (about 9 min here,
# 5 of them the MRZ run beside the PassportEye peer; EVAL_ARGS=--quick skips the peer).
eval: setup
	$(PY) -m tests.eval.report $(EVAL_ARGS)

# Robustness runs: 1000 SIGKILLed store writes, 10 000 decisions through a day-long outage.
eval-robustness: setup
	$(PY) -m tests.eval.eval_store_crash
	$(PY) -m tests.eval.eval_sync

# Every screen of the customer flow and the staff console, rendered under Xvfb
# (QT_QPA_PLATFORM=xcb: the Makefile otherwise exports offscreen).
screenshots: setup
	rm -rf reports/screens && mkdir -p reports/screens
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \
		$(KIOSK) app --demo --autorun --windowed --screenshots reports/screens \
		> reports/screens/decision.json
	QT_QPA_PLATFORM=xcb KIOSK_SCREENSHOTS=reports/screens xvfb-run -a -s "-screen 0 1280x800x24" \
		$(PY) -m pytest -q -p no:cacheprovider tests/ui/test_flow.py \
		tests/ui/test_staff.py::test_review_with_evidence_and_an_audited_decision \
		tests/ui/test_staff.py::test_settings_are_validated_saved_and_applied \
		tests/ui/test_window.py::test_the_result_screen_speaks_plainly

# One-folder PyInstaller bundle in dist/kiosk (packaging/README.md), then the smoke
# check: kiosk doctor must be ready and kiosk demo approved under env -i.
bundle: setup
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN packaging/kiosk.spec
	$(PY) packaging/smoke.py dist/kiosk

clean:
	rm -rf $(STAMPS) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
