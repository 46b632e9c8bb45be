#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: lint, unit, PostgreSQL and browser tests.
# With CI=true, a missing Chromium or an unreachable PostgreSQL fails the run (never a skip).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k sync -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ "$(id -u)" = "0" ] \
    && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "== starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== pytest"
exec .venv/bin/python -m pytest "$@"
