#!/usr/bin/env bash
# Set up everything Terrain needs, from the project's own files. Idempotent and quick when
# nothing changed. Usage: bash scripts/setup.sh [--browser]
#   --browser  also make sure Debian's chromium is installed (for the end-to-end tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Terrain needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1))." >&2
    echo "  -> Install Python 3.11+ or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "== creating the virtualenv in .venv"
    "$PYTHON" -m venv .venv
fi

stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "== installing Python packages (app, web, server, dev) from pyproject.toml"
    echo "   The first time this downloads every package (Flet's web client alone is ~74 MB)"
    echo "   and takes a few minutes; pip shows each package as it goes."
    if ! .venv/bin/python -m pip install --disable-pip-version-check -e ".[web,server,dev]"; then
        echo "error: installing the Python packages failed (see pip's messages above)." >&2
        echo "  -> Check that PyPI is reachable, then run this script again." >&2
        exit 1
    fi
    echo "== Python packages installed"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# PDF checkers the tests use (tools nobody here wrote): qpdf, poppler's pdftoppm and pdfsig.
if [ "${1:-}" = "--browser" ] && ! { command -v qpdf && command -v pdftoppm; } >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        echo "== installing Debian qpdf and poppler-utils (PDF tests)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qpdf poppler-utils >/dev/null
    else
        echo "warning: qpdf/poppler-utils are missing and this is not root; PDF checks will be skipped" >&2
        echo "  -> sudo apt-get install qpdf poppler-utils" >&2
    fi
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        echo "== installing Debian chromium (browser tests)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium is missing and this is not root; browser tests will be skipped" >&2
        echo "  -> sudo apt-get install chromium" >&2
    fi
fi
