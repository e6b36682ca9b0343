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

# Debian packages the GUI and the test suite need (installed only when missing, only as root on Debian).
# xvfb + Mesa for OpenGL/3D and `make run` without a display; a CJK font so 中文 labels render; mosquitto, the
# MQTT broker the telemetry tests start on a free loopback port (and stop after); PostgreSQL 15 + PostGIS 3 (Debian 12's
# postgresql-15-postgis-3 and its -scripts), the server the PostGIS tests and benchmark initdb and start in a temporary
# folder on loopback (tests/postgres_server.py).
SYSTEM_PACKAGES := xvfb xauth libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri libxkbcommon0 libxkbcommon-x11-0 \
	libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-wqy-microhei mosquitto \
	postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts

.PHONY: run test bench lint format system-deps clean help

help:
	@echo "make run    open the console on the demo district (creates .venv and installs on first use)"
	@echo "make test   install test extras (+ Debian packages when root) and run the whole suite"
	@echo "make bench  run the benchmarks in tests/bench and print their tables"
	@echo "make lint   ruff + import-linter"

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

run: $(STAMP_RUN) system-deps
	@bash packaging/run-gui.sh $(VENV)/bin/gasops $(ARGS)

test: $(STAMP_TEST) system-deps
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

clean:
	rm -rf $(VENV) build *.egg-info
