#!/usr/bin/env bash
# Set up (first time) and run the benchmarks; results in bench/results/ (JSON).
# Extra arguments go to `python -m bench`, e.g. `bash scripts/bench.sh --only screens_large_db`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
exec .venv/bin/python -m bench "$@"
