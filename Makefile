# GasOps Console — the two commands are `make run` and `make test` (see README.md).
# Both create .venv when missing and install what is needed; both are idempotent.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP_RUN := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test
STAMP_SYS := $(VENV)/.stamp-system
# `make package`: the desktop bundle's own venv (from the lock only) and its stamp (see the package rules below)
PKG_VENV := .venv-package
PKG_PY := $(PKG_VENV)/bin/python
PKG_PIP := $(PKG_PY) -m pip --disable-pip-version-check -q
STAMP_PKG_VENV := $(PKG_VENV)/.stamp-lock
STAMP_PACKAGE := dist/gasops/.stamp-package
PACKAGE_INPUTS := pyproject.toml $(shell find console plugins/sparkplug/gasops_sparkplug resources/i18n packaging \
	-type f -not -path '*/__pycache__/*' -not -name '*.pyc' -not -name '*.qm' 2>/dev/null)

# Debian packages the GUI and the test suite need (installed only when missing, only as root on Debian).
# xvfb + Mesa for OpenGL/3D and `make run` without a display; a CJK font so 中文 labels render; mosquitto, the
# MQTT broker the telemetry tests start on a free loopback port (and stop after); PostgreSQL 15 + PostGIS 3 (Debian 12's
# postgresql-15-postgis-3 and its -scripts), the server the PostGIS tests and benchmark initdb and start in a temporary
# folder on loopback (tests/postgres_server.py).
SYSTEM_PACKAGES := xvfb xauth libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri libxkbcommon0 libxkbcommon-x11-0 \
	libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-wqy-microhei mosquitto \
	postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts

.PHONY: run test bench lint format system-deps clean help package lock

help:
	@echo "make run    open the console on the demo district (creates .venv and installs on first use)"
	@echo "make test   install test extras (+ Debian packages when root) and run the whole suite"
	@echo "make bench  run the benchmarks in tests/bench and print their tables"
	@echo "make lint   ruff + import-linter"
	@echo "make package  the desktop bundle dist/gasops/ (PyInstaller, from packaging/requirements-lock.txt)"
	@echo "make lock   refresh packaging/requirements-lock.txt (LOCK_ARGS=--upgrade for the newest releases)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24" wheel

$(STAMP_RUN): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	@touch $@

STAMP_BENCH := $(VENV)/.stamp-bench

$(STAMP_TEST): pyproject.toml packaging/reference-nodeps.txt | $(VENV)/bin/python
	$(PIP) install -e ".[test]"
	$(PIP) install --no-deps -r packaging/reference-nodeps.txt
	@touch $@ $(STAMP_RUN)

$(STAMP_BENCH): $(STAMP_TEST)
	$(PIP) install -e ".[test,bench]"
	@touch $@

system-deps:
	@bash packaging/system-deps.sh $(SYSTEM_PACKAGES)

# The Chinese catalog compiled at install time (console/ui/translations, package data; gitignored).
QM_FILES := console/ui/translations/gasops_zh_CN.qm
console/ui/translations/gasops_%.qm: resources/i18n/gasops_%.ts | $(STAMP_RUN)
	$(PY) packaging/i18n.py --lang $* release

run: $(STAMP_RUN) system-deps $(QM_FILES)
	@bash packaging/run-gui.sh $(VENV)/bin/gasops $(ARGS)

test: $(STAMP_TEST) system-deps $(QM_FILES) $(STAMP_PACKAGE)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP_BENCH) system-deps
	$(PY) -m tests.bench $(BENCH_ARGS)

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check console tests plugins
	$(VENV)/bin/ruff format --check console tests plugins
	$(VENV)/bin/lint-imports

format: $(STAMP_TEST)
	$(VENV)/bin/ruff format console tests plugins
	$(VENV)/bin/ruff check --fix console tests plugins

# The desktop bundle: its own venv installed from the lock only (every file's hash checked), then the console
# without its dependencies, the translations compiled, and PyInstaller (pinned in the lock) over packaging/gasops.spec.
# Rebuilt when the lock, the spec or any source file it bundles changes (tests/packaging launches it).
$(STAMP_PKG_VENV): packaging/requirements-lock.txt
	rm -rf $(PKG_VENV)
	$(PYTHON) -m venv $(PKG_VENV)
	$(PKG_PIP) install --require-hashes --no-deps -r packaging/requirements-lock.txt
	@touch $@

$(STAMP_PACKAGE): $(STAMP_PKG_VENV) $(PACKAGE_INPUTS)
	@start=$$(date +%s); \
	if [ -f packaging/i18n.py ] && ls resources/i18n/*.ts >/dev/null 2>&1; then $(PKG_PY) packaging/i18n.py release; fi && \
	rm -rf build/lib build/bdist.* && \
	$(PKG_PIP) install --no-deps --no-build-isolation --force-reinstall . && \
	$(PKG_VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/gasops.spec && \
	touch $@ && \
	echo "package: dist/gasops ($$(du -sh dist/gasops | cut -f1)) built in $$(( $$(date +%s) - start )) s"

package: $(STAMP_PACKAGE)

lock:
	@bash packaging/lock.sh $(LOCK_ARGS)

clean:
	rm -rf $(VENV) $(PKG_VENV) build dist *.egg-info
