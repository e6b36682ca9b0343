#!/usr/bin/env bash
# Refresh packaging/requirements-lock.txt: the dependency ranges of pyproject.toml (with the `package` extra, which
# pins PyInstaller) resolved once, with every file's sha256, for the desktop bundle (`make package`).
#
#   make lock                      keep every pinned version that still satisfies pyproject.toml; add what is new
#   make lock LOCK_ARGS=--upgrade  move every pin to the newest release within the ranges (then run `make test`:
#                                  it rebuilds the bundle from the new lock and launches it)
#
# The lock is for Linux x86_64 (manylinux 2.34 = glibc >= 2.34, Debian 12's 2.36) and CPython 3.11, what the
# bundle is built on. The resolver is uv, pinned below, installed into .venv-lock (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=.venv-lock
if ! "$tools/bin/uv" --version 2>/dev/null | grep -q "^uv $UV_VERSION "; then
    "${PYTHON:-python3}" -m venv "$tools"
    "$tools/bin/python" -m pip --disable-pip-version-check -q install "uv==$UV_VERSION"
fi
"$tools/bin/uv" pip compile pyproject.toml --extra package --generate-hashes \
    --python-version 3.11 --python-platform x86_64-manylinux_2_34 \
    --custom-compile-command "make lock" --quiet "$@" -o packaging/requirements-lock.txt
echo "lock: packaging/requirements-lock.txt ($(grep -c '^[a-zA-Z]' packaging/requirements-lock.txt) distributions)"
