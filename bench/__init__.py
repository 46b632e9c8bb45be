"""Benchmarks: `python -m bench` (or `bash scripts/bench.sh`). Results go to bench/results/."""
