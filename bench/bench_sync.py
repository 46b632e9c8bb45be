"""Sync over loopback HTTP: initial sync, no-op sync, and head office under load.

Head office runs as a subprocess (``main.py serve``), so it has its own interpreter; the
device (or the load generator) runs in this process. The machine has 2 cores shared by both
(and by PostgreSQL for ``headoffice_load``).

- ``initial_sync``: an office device (sees everything) pulls the large demo data from an empty
  database, end to end (HTTP pull, decode, apply). Bound: the very same pages (fetched once,
  raw JSON bytes kept) decoded and upserted with plain ``sqlite3`` ``executemany``, one
  transaction per page, into a fresh device database (same indexes).
- ``noop_sync``: a sync cycle when nothing changed (one round trip). Bound: a
  ``GET /health`` round trip on the same connection, interleaved with it.
- ``headoffice_load``: head office on PostgreSQL (a fresh ``terrain_bench_<uuid>`` database
  with the small demo data, dropped at the end), waitress with 8 threads (or ``--load-workers
  N`` gunicorn processes of 8 threads), under 50 simulated devices (threads) doing 70 % pulls
  and 30 % small pushes for a fixed time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import requests

from app.models import db
from app.models.database import SQLITE_PRAGMAS
from app.sync import schema
from app.sync.apply import PLANS
from app.sync.engine import synchronize
from app.sync.schema import SCHEMA_HEADER, TABLES
from app.sync.store import ensure_device_id, open_device_db
from app.sync.transport import HttpTransport
from app.sync.wire import loads
from bench.datasets import ROOT, demo_database
from bench.runner import benchmark
from headoffice.database import admin_sql
from headoffice.demo import build_demo

log = logging.getLogger(__name__)
PASSWORD = "demo"
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


# --- head office ---------------------------------------------------------------------------


def headoffice_copy(size: str, into: Path) -> Path:
    """``into/headoffice.db``: the ``size`` demo data as a versioned head office database.

    The versioned database is made once and cached next to the demo database."""
    from headoffice.database import open_database
    from headoffice.versions import stamp_unversioned

    demo, _ = demo_database(size)
    cached = demo.parent / "headoffice.db"
    if not cached.exists():
        log.info("versioning the %s demo database as a head office (cached)", size)
        work = cached.with_suffix(".tmp")
        shutil.copy2(demo, work)
        database = open_database(f"sqlite:///{work}")
        with database.connection_context():
            stamp_unversioned()
        database.close()
        db.initialize(None)
        work.replace(cached)
    into.mkdir(parents=True, exist_ok=True)
    target = into / "headoffice.db"
    shutil.copy2(cached, target)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(data_dir: Path, *args: str, timeout: float = 120) -> Iterator[str]:
    """Run ``main.py serve`` on a free port; yields the API base URL."""
    with serving_process(data_dir, *args, timeout=timeout) as (base, _):
        yield base


@contextlib.contextmanager
def serving_process(
    data_dir: Path, *args: str, timeout: float = 120
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``main.py serve`` on a free port; yields the API base URL and the process."""
    port = _free_port()
    command = [sys.executable, "main.py", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen([*command, *args], cwd=ROOT, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited:\n{log_path.read_text(errors='replace')}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _login(base: str, username: str, device_id: str | None = None) -> tuple[str, str]:
    device_id = device_id or str(uuid.uuid4())
    answer = requests.post(
        f"{base}/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": device_id},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()["token"], device_id


def process_usage(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) used so far by process ``pid``, and its RSS in bytes,
    read from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return cpu, rss


# --- initial sync ----------------------------------------------------------------------------


def _fresh_device(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    return open_device_db(folder / "terrain.db")


def _sync_once(base: str, folder: Path, limit: int) -> dict:
    database = _fresh_device(folder)
    try:
        transport = HttpTransport(base, timeout=(5, 300))
        transport.login("office", PASSWORD, ensure_device_id())
        start, cpu = time.perf_counter(), time.process_time()
        report = synchronize(transport, pull_limit=limit)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        transport.close()
    finally:
        database.close()
        db.initialize(None)
    return {"seconds": seconds, "cpu": cpu, "rows": report.pull.rows, "pages": report.pull.pages}


def _fetch_pages(base: str, limit: int) -> tuple[list[bytes], float]:
    """Every page of an initial pull as raw bytes (a new device), and the time it took."""
    token, _ = _login(base, "office")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    # the device's shape (rule 9): without the header head office answers version 1's
    session.headers[SCHEMA_HEADER] = str(schema.current().version)
    pages, cursor = [], ""
    start = time.perf_counter()
    while True:
        answer = session.get(f"{base}/sync/pull", params={"cursor": cursor, "limit": limit})
        answer.raise_for_status()
        pages.append(answer.content)
        page = loads(answer.content)
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return pages, time.perf_counter() - start


def _raw_statements() -> dict[str, tuple[str, list[str], list[int]]]:
    """Per table: a plain upsert, the wire keys in column order, the JSON columns."""
    out = {}
    for table in TABLES:
        plan = PLANS[table]
        out[table] = (plan.upsert_sql, plan.wire_keys, [i for i, _ in plan.converts])
    return out


def _raw_apply(pages: list[bytes], folder: Path, decode) -> tuple[float, int]:
    """The bound: decode each page and upsert it with sqlite3 executemany, one transaction
    per page, into a fresh device database (same schema and indexes)."""
    database = _fresh_device(folder)
    path = database.database
    database.close()
    db.initialize(None)
    con = sqlite3.connect(path, isolation_level=None)
    for name, value in SQLITE_PRAGMAS.items():
        con.execute(f"PRAGMA {name} = {value}")
    con.execute("PRAGMA foreign_keys = OFF")
    statements = _raw_statements()
    dumps = _json_dumps()
    rows = 0
    start = time.perf_counter()
    for raw in pages:
        page = decode(raw)
        con.execute("BEGIN IMMEDIATE")
        for table, items in page["changes"].items():
            sql, keys, json_positions = statements[table]
            values = [[r.get(k) for k in keys] for r in items]
            for v in values:
                for i in json_positions:
                    if v[i] is not None:
                        v[i] = dumps(v[i])
            con.executemany(sql, values)
            rows += len(items)
        con.execute(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('cursor', ?)", (page["cursor"],)
        )
        con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds, rows


def _json_dumps():
    try:
        import orjson

        return lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()
    except ImportError:  # pragma: no cover
        import json

        return lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)


def _decode_time(pages: list[bytes], decode) -> float:
    start = time.perf_counter()
    for raw in pages:
        decode(raw)
    return time.perf_counter() - start


@contextlib.contextmanager
def _stdlib_json() -> Iterator[None]:
    """The device's decoding as on a phone without orjson (``app.sync.wire`` falls back to the
    standard library's ``json``; orjson is a server dependency, not the device's)."""
    from app.sync import wire

    kept, wire._orjson = wire._orjson, None
    try:
        yield
    finally:
        wire._orjson = kept


@benchmark("initial_sync")
def initial_sync(args) -> dict:
    import json

    limit = getattr(args, "pull_limit", None) or 0
    runs = max(1, getattr(args, "sync_runs", 3))
    with tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp:
        tmp = Path(tmp)
        headoffice_copy("large", tmp / "headoffice")
        with serving_process(tmp / "headoffice") as (base, server):
            from app.sync.cursor import DEFAULT_PULL_LIMIT

            limit = limit or DEFAULT_PULL_LIMIT
            _sync_once(base, tmp / "warmup", limit)  # warms the server's caches and the OS's
            syncs, server_cpu = [], []
            for i in range(runs):
                before = process_usage(server.pid)[0]
                syncs.append(_sync_once(base, tmp / f"device-{i}", limit))
                server_cpu.append(process_usage(server.pid)[0] - before)
            with _stdlib_json():
                stdlib = _sync_once(base, tmp / "device-stdlib-json", limit)
            pages, fetch_s = _fetch_pages(base, limit)
        bounds, orjson_decode, json_decode = [], [], []
        for i in range(runs):
            seconds, rows = _raw_apply(pages, tmp / f"raw-{i}", loads)
            bounds.append(seconds)
            orjson_decode.append(_decode_time(pages, loads))
            json_decode.append(_decode_time(pages, json.loads))
    rows = syncs[0]["rows"]
    sync_s = statistics.median(s["seconds"] for s in syncs)
    bound_s = statistics.median(bounds)
    rate, bound_rate = rows / sync_s, rows / bound_s
    return {
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "rows": rows,
        "pages": syncs[0]["pages"],
        "pull_limit": limit,
        "bytes": sum(map(len, pages)),
        "runs": runs,
        "sync_s": [round(s["seconds"], 3) for s in syncs],
        "sync_median_s": round(sync_s, 3),
        "rows_per_s": round(rate),
        "sync_device_cpu_s": [round(s["cpu"], 3) for s in syncs],
        "server_cpu_s": [round(c, 3) for c in server_cpu],
        "sync_stdlib_json_s": round(stdlib["seconds"], 3),
        "rows_per_s_stdlib_json": round(rows / stdlib["seconds"]),
        "raw_bound_s": [round(s, 3) for s in bounds],
        "raw_bound_median_s": round(bound_s, 3),
        "raw_bound_rows_per_s": round(bound_rate),
        "ratio_to_bound": round(rate / bound_rate, 3),
        "fetch_only_s": round(fetch_s, 3),
        "decode_orjson_s": round(statistics.median(orjson_decode), 3),
        "decode_stdlib_json_s": round(statistics.median(json_decode), 3),
        "target_rows_per_s": 40_000,
        "target_ratio": 1.0,
        "meets_target": rate >= 40_000 and rate >= 1.0 * bound_rate,
    }


# --- no-op sync --------------------------------------------------------------------------------


def _summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    n = len(samples)
    return {
        "runs": n,
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(n - 1, int(n * 0.99))], 3),
        "min_ms": round(samples[0], 3),
    }


@benchmark("noop_sync")
def noop_sync(args) -> dict:
    runs = max(20, getattr(args, "noop_runs", 200))
    with tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp:
        tmp = Path(tmp)
        headoffice_copy("small", tmp / "headoffice")
        with serving(tmp / "headoffice") as base:
            results = {}
            for username in ("office", "tech1"):
                database = _fresh_device(tmp / f"device-{username}")
                try:
                    transport = HttpTransport(base)
                    transport.login(username, PASSWORD, ensure_device_id())
                    first = synchronize(transport)
                    for _ in range(5):  # warm-up
                        synchronize(transport)
                        transport.health()
                    sync_ms, health_ms = [], []
                    for _ in range(runs):
                        start = time.perf_counter()
                        report = synchronize(transport)
                        sync_ms.append((time.perf_counter() - start) * 1000)
                        assert report.pull.rows == 0 and report.pull.pages == 1
                        start = time.perf_counter()
                        transport.health()
                        health_ms.append((time.perf_counter() - start) * 1000)
                    transport.close()
                finally:
                    database.close()
                    db.initialize(None)
                sync, health = _summary(sync_ms), _summary(health_ms)
                results[username] = {
                    "initial_rows": first.pull.rows,
                    "noop_sync": sync,
                    "health_round_trip_bound": health,
                    "target_ms": 5,
                    "meets_target": sync["median_ms"] <= 5,
                }
    return {
        "database": "small demo data (SQLite head office)",
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        **results,
    }


# --- head office under load ------------------------------------------------------------------


def _own_interventions(url: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Technician user name -> ids of his open interventions (pushed comments go there),
    and user name -> user id."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT u.username, i.id FROM interventions i "
                "JOIN technicians t ON t.id = i.technician_id JOIN users u ON u.id = t.user_id "
                "WHERE i.status IN ('planned', 'assigned', 'in_progress')"
            )
            out: dict[str, list[str]] = {}
            for username, iid in cur.fetchall():
                out.setdefault(username, []).append(iid)
            cur.execute("SELECT id, username FROM users")
            users = {u: i for i, u in cur.fetchall()}
        return out, users
    finally:
        con.close()


class _Device(threading.Thread):
    def __init__(self, base, username, user_id, jobs, stop_at, seed, push_share):
        super().__init__(daemon=True)
        self.base, self.username, self.user_id, self.jobs = base, username, user_id, jobs
        self.stop_at, self.random, self.push_share = stop_at, random.Random(seed), push_share
        self.samples: list[tuple[str, float, int]] = []  # kind, seconds, status
        self.session = requests.Session()
        self.cursor = ""

    def setup(self) -> None:
        token, self.device_id = _login(self.base, self.username)
        self.session.headers["Authorization"] = f"Bearer {token}"
        while True:  # initial pull, not measured
            page = self._pull(measure=False)
            if not page["has_more"]:
                break

    def _pull(self, measure: bool = True) -> dict:
        start = time.perf_counter()
        answer = self.session.get(
            f"{self.base}/sync/pull", params={"cursor": self.cursor, "limit": 2000}, timeout=60
        )
        if measure:
            self.samples.append(("pull", time.perf_counter() - start, answer.status_code))
        page = answer.json()
        if answer.status_code == 200:
            self.cursor = page["cursor"]
        return page

    def _push(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        row = {
            "id": str(uuid.uuid4()),
            "base_version": 0,
            "fields": {
                "intervention_id": self.random.choice(self.jobs),
                "author_id": self.user_id,
                "visibility": "internal",
                "body": "Pièce commandée, retour prévu jeudi.",
                "created_at": now,
                "updated_at": now,
            },
        }
        body = {"batch_id": str(uuid.uuid4()), "device_id": self.device_id}
        start = time.perf_counter()
        answer = self.session.post(
            f"{self.base}/sync/push", json={**body, "changes": {"comments": [row]}}, timeout=60
        )
        self.samples.append(("push", time.perf_counter() - start, answer.status_code))

    def run(self) -> None:
        while time.perf_counter() < self.stop_at:
            if self.jobs and self.random.random() < self.push_share:
                self._push()
            else:
                while self._pull()["has_more"]:
                    pass


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its live children (gunicorn's
    workers), from /proc."""
    total = process_usage(pid)[0]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(_tree_cpu(int(child)) for child in children)
    return total


def _health_bound(base: str, n_threads: int, seconds: float) -> dict:
    """The bound of ``headoffice_load``: ``GET /health`` through the same server (same
    process, threads and PostgreSQL) from as many client threads, right after the load."""
    samples: list[tuple[float, int]] = []  # appends are atomic
    stop_at = time.perf_counter() + seconds

    def hammer() -> None:
        with requests.Session() as session:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                status = session.get(f"{base}/health", timeout=60).status_code
                samples.append((time.perf_counter() - start, status))

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(n_threads)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "what": "GET /health, same server and client threads, right after the load",
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "errors": sum(1 for _, status in samples if status >= 400),
        "requests_per_s": round(len(samples) / elapsed, 1),
        **_summary([t * 1000 for t, _ in samples]),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
    }


@benchmark("headoffice_load")
def headoffice_load(args) -> dict:
    seconds = getattr(args, "load_seconds", 30)
    n_devices = getattr(args, "devices", 50)
    push_share = getattr(args, "push_share", 0.3)
    workers = max(1, getattr(args, "load_workers", 1) or 1)
    name = f"terrain_bench_{uuid.uuid4().hex}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    admin_sql(f'CREATE DATABASE "{name}"', **PG_ADMIN)
    try:
        build_demo(url)
        jobs, users = _own_interventions(url)
        with (
            tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp,
            serving_process(
                Path(tmp), "--db", url, "--threads", "8", "--workers", str(workers)
            ) as (base, server),
        ):
            techs = sorted(jobs)
            devices = []
            for i in range(n_devices):
                username = techs[i % len(techs)]
                devices.append(
                    _Device(base, username, users[username], jobs[username], 0, i, push_share)
                )
            for device in devices:
                device.setup()
            from bench.bench_sim import _postgres_cpu

            cpu_before = _tree_cpu(server.pid), _postgres_cpu(name)
            start = time.perf_counter()
            stop_at = start + seconds
            for device in devices:
                device.stop_at = stop_at
                device.start()
            for device in devices:
                device.join()
            elapsed = time.perf_counter() - start
            server_cpu = _tree_cpu(server.pid) - cpu_before[0]
            postgres_cpu = _postgres_cpu(name) - cpu_before[1]
            bound = _health_bound(base, n_devices, min(seconds, 10.0))
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', **PG_ADMIN)
    samples = [s for d in devices for s in d.samples]
    errors = sum(1 for _, _, status in samples if status >= 400)
    out = {
        "devices": n_devices,
        "push_share": push_share,
        "workers": workers,
        "technicians": len({d.username for d in devices}),
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "errors": errors,
        "requests_per_s": round(len(samples) / elapsed, 1),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(samples)), 2),
        "postgres_cpu_s": round(postgres_cpu, 2),
        "postgres_cpu_ms_per_request": round(postgres_cpu * 1000 / max(1, len(samples)), 2),
        "note": "the load generator (threads) shares the 2 cores with the server and PostgreSQL",
    }
    for kind in ("all", "pull", "push"):
        times = [s * 1000 for k, s, _ in samples if kind in ("all", k)]
        if times:
            out[kind] = _summary(times)
    out["bound"] = bound
    out["ratio_to_bound"] = round(out["requests_per_s"] / bound["requests_per_s"], 3)
    out["target"] = {"requests_per_s": 500, "p99_ms": 100}
    out["meets_target"] = out["requests_per_s"] >= 500 and out["all"]["p99_ms"] <= 100
    return out
