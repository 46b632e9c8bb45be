#!/usr/bin/env bash
# Set up (first time) and run Terrain with demo data. Extra arguments go to `main.py run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== starting Terrain (main.py run $*)"
exec .venv/bin/python main.py run "$@"
