"""Run the benchmarks and write their results as JSON.

Each benchmark is a function returning a dict of figures; where a bound applies (the same
work done the cheapest way we know, measured in the same run), it is reported next to the
figure. Usage: python -m bench [--only NAME ...] [--repeat N] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

BENCHMARKS: dict[str, Callable[[argparse.Namespace], dict]] = {}


def benchmark(name: str):
    def register(fn):
        BENCHMARKS[name] = fn
        return fn

    return register


def timings(fn: Callable[[], object], repeat: int, warmup: int = 2) -> dict:
    """Run ``fn`` and summarise wall times in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "runs": repeat,
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 3),
        "min_ms": round(samples[0], 3),
    }


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


def main(argv: list[str]) -> int:
    # Import the benchmark modules so they register themselves.
    from bench import (  # noqa: F401
        bench_media,
        bench_push,
        bench_queries,
        bench_report,
        bench_seal,
        bench_sim,
        bench_startup,
        bench_sync,
    )

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query benchmark")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--sync-runs", type=int, default=3, help="initial syncs to measure")
    parser.add_argument("--pull-limit", type=int, default=0, help="initial sync: rows per page")
    parser.add_argument("--noop-runs", type=int, default=200, help="no-op syncs to measure")
    parser.add_argument("--load-seconds", type=float, default=30, help="head office load time")
    parser.add_argument("--devices", type=int, default=50, help="simulated devices under load")
    parser.add_argument("--load-workers", type=int, default=1, help="head office load: processes")
    parser.add_argument("--push-share", type=float, default=0.3, help="head office load: pushes")
    parser.add_argument("--sim-devices", type=int, default=1000, help="sim_1000: devices")
    parser.add_argument("--sim-seconds", type=float, default=60, help="sim_1000: load time")
    parser.add_argument("--sim-clients", type=int, default=16, help="sim_1000: client threads")
    parser.add_argument("--sim-first", type=int, default=20, help="sim_1000: first syncs")
    parser.add_argument("--sim-db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--sim-data", choices=("small", "large"), default="small")
    parser.add_argument("--push-runs", type=int, default=5, help="5,000-row pushes to measure")
    parser.add_argument("--out", type=Path, help="JSON output (default bench/results/<time>.json)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    results = {"started_at": datetime.now(UTC).isoformat(), "machine": _machine(), "results": {}}
    for name in args.only or sorted(BENCHMARKS):
        logging.info("== %s", name)
        results["results"][name] = BENCHMARKS[name](args)
        logging.info("%s", json.dumps(results["results"][name], indent=2, ensure_ascii=False))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"{stamp}.json"
    text = json.dumps(results, indent=2, ensure_ascii=False)
    out.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    logging.info("results written to %s", out)
    return 0
