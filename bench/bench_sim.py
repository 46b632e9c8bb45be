"""``sim_1000``: 1,000 devices against one head office process on loopback.

Head office runs as a subprocess (``main.py serve``, waitress, 8 threads) on PostgreSQL (a
fresh ``terrain_bench_<uuid>`` database with the small demo data, dropped at the end) or, with
``--sim-db sqlite``, on a copy of the small demo as a SQLite file. The devices are light-weight
clients speaking the real protocol over HTTP (``requests``): a token, a device id and a cursor
each, no local database; ``--sim-clients`` threads drive them in turn, each device running one
sync cycle at a time (a push first for some, then pull pages until ``has_more`` is false), as
fast as the server answers (a closed loop: the figures are the process's capacity).

Setting up 1,000 devices with a real sign-in and first sync each would take minutes of scrypt
and pulls before anything is measured, so one template device per user signs in and syncs for
real, and the others are copies of it in head office's tables (``sync_devices``,
``sync_device_rows``: what it sent each device; ``auth_tokens``: a token each), holding the
template's cursor: the server then holds the state of 1,000 devices that completed a first
sync. ``--sim-first`` devices start empty instead and make a real sign-in and first sync during
the run (kinds ``login`` and ``first_pull``).

Reported per request kind (``login``, ``first_pull`` — the pages of a first sync —,
``pull_idle`` — nothing new: no rows, the same cursor —, ``pull_changes``, ``push``): count,
p50/p99, errors; the server's CPU time (``/proc/<pid>/stat``) and RSS (``/proc/<pid>/status``)
before and after, per device and per sync cycle; PostgreSQL's backends' CPU for the run's
database; the load average. Bounded: ``--sim-seconds`` of load and ``--sim-devices`` devices.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from app.models import db
from app.sync import schema
from app.sync.schema import SCHEMA_HEADER, TABLES
from bench.bench_sync import (
    PASSWORD,
    PG_ADMIN,
    headoffice_copy,
    process_usage,
    serving_process,
)
from bench.runner import benchmark

log = logging.getLogger(__name__)
KINDS = ("login", "first_pull", "pull_idle", "pull_changes", "push")
# a cycle that failed on the client's side (a timeout, an answer that is not JSON): an error
# of its own kind, with no time
FAILED = "cycle"
NOTE = "comment pushed by the load simulation"


@dataclass
class SimDevice:
    username: str
    user_id: str
    device_id: str
    jobs: list[str]  # interventions its pushes comment on (a technician's open ones)
    token: str = ""
    cursor: str = ""
    first: bool = False  # starts empty: signs in and makes its first sync during the run
    busy: bool = False  # a client is running its cycle
    session: requests.Session = field(default_factory=requests.Session)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = dict.fromkeys((*KINDS, FAILED), 0)
        self.error_examples: list[str] = []
        self.cycles = 0

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            if kind != FAILED:
                self.samples[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_examples) < 5:
                    self.error_examples.append(f"{kind}: {detail}"[:300])


def _headers(device: SimDevice) -> dict[str, str]:
    return {"Authorization": f"Bearer {device.token}", SCHEMA_HEADER: str(_VERSION)}


_VERSION = schema.current().version


def _login(base: str, device: SimDevice, rec: Recorder | None) -> None:
    body = {"username": device.username, "password": PASSWORD, "device_id": device.device_id}
    start = time.perf_counter()
    answer = device.session.post(f"{base}/auth/login", json=body, timeout=120)
    if rec is not None:
        rec.add("login", time.perf_counter() - start, answer.ok, answer.text)
    answer.raise_for_status()
    device.token = answer.json()["token"]


def _pull_all(base: str, device: SimDevice, rec: Recorder | None, first: bool) -> int:
    """Pull pages until the session ends; returns the rows received."""
    rows = 0
    for _ in range(10_000):
        start = time.perf_counter()
        answer = device.session.get(
            f"{base}/sync/pull",
            params={"cursor": device.cursor, "limit": 2000},
            headers=_headers(device),
            timeout=120,
        )
        seconds = time.perf_counter() - start
        if not answer.ok:
            if rec is not None:
                rec.add("first_pull" if first else "pull_changes", seconds, False, answer.text)
            return rows
        page = answer.json()
        n = sum(map(len, page["changes"].values())) + sum(map(len, page["evicted"].values()))
        idle = n == 0 and page["cursor"] == device.cursor and not page["has_more"]
        kind = "first_pull" if first else "pull_idle" if idle else "pull_changes"
        if rec is not None:
            rec.add(kind, seconds, True)
        rows += n
        device.cursor = page["cursor"]
        if not page["has_more"]:
            return rows
    raise RuntimeError("a pull session that never ends")


def _push(base: str, device: SimDevice, rng: random.Random, rec: Recorder) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    row = {
        "id": str(uuid.uuid4()),
        "base_version": 0,
        "fields": {
            "intervention_id": rng.choice(device.jobs),
            "author_id": device.user_id,
            "visibility": "internal",
            "body": NOTE,
            "created_at": now,
            "updated_at": now,
        },
    }
    body = {"batch_id": str(uuid.uuid4()), "device_id": device.device_id}
    body["changes"] = {"comments": [row]}
    start = time.perf_counter()
    answer = device.session.post(
        f"{base}/sync/push", json=body, headers=_headers(device), timeout=120
    )
    ok = answer.ok and not answer.json().get("rejected")
    rec.add("push", time.perf_counter() - start, ok, answer.text)


# --- set-up: template devices and their copies ----------------------------------------------


_USERS_SQL = (
    "SELECT username, id FROM users WHERE deleted = {p} AND active = {p}"
    " AND role IN ('technician', 'office')"
)
_JOBS_SQL = (
    "SELECT u.username, i.id FROM interventions i"
    " JOIN technicians t ON t.id = i.technician_id JOIN users u ON u.id = t.user_id"
    " WHERE i.status IN ('assigned', 'en_route', 'in_progress') AND i.deleted = {p}"
)


def _users(database) -> tuple[dict[str, str], dict[str, list[str]]]:
    """User name -> id of the active users who sync, and technician -> open interventions."""
    with db.using(database):
        users = dict(db.execute_sql(_USERS_SQL.format(p=db.param), (False, True)).fetchall())
        jobs: dict[str, list[str]] = {}
        for username, iid in db.execute_sql(_JOBS_SQL.format(p=db.param), (False,)).fetchall():
            jobs.setdefault(username, []).append(iid)
    return users, jobs


def _clone(database, template: SimDevice, copies: list[SimDevice]) -> None:
    """Register ``copies`` at head office as devices holding what ``template`` holds, each
    with a token of its own (head office's tables, as sign-in and pulls leave them)."""
    from headoffice.auth import token_hash
    from headoffice.database import write_transaction

    p = db.param
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.using(database), write_transaction(database):
        for start in range(0, len(copies), 100):
            chunk = copies[start : start + 100]
            for device in chunk:
                device.token = secrets.token_urlsafe(32)
                device.cursor = template.cursor
                db.execute_sql(
                    "INSERT INTO sync_devices (id, user_id, last_pull_seq, scope_fp,"
                    " last_seen_at, created_at)"
                    f" SELECT {p}, user_id, last_pull_seq, scope_fp, last_seen_at, created_at"
                    f" FROM sync_devices WHERE id = {p}",
                    (device.device_id, template.device_id),
                )
                db.execute_sql(
                    "INSERT INTO auth_tokens (user_id, device_id, token_hash, created_at,"
                    f" expires_at) VALUES ({p}, {p}, {p}, {p}, {p})",
                    (
                        device.user_id,
                        device.device_id,
                        token_hash(device.token),
                        now,
                        now + timedelta(days=7),
                    ),
                )
            values = ", ".join(f"({p})" for _ in chunk)
            db.execute_sql(
                f"WITH d (id) AS (VALUES {values}) INSERT INTO sync_device_rows (device_id,"
                " table_name, row_id, page_seq, evicted_page) SELECT d.id, r.table_name,"
                " r.row_id, r.page_seq, r.evicted_page FROM sync_device_rows r CROSS JOIN d"
                f" WHERE r.device_id = {p}",
                (*(d.device_id for d in chunk), template.device_id),
            )


_SIZES_SQL = (
    "SELECT pg_database_size(current_database()) / 1048576.0,"
    " pg_total_relation_size('sync_device_rows') / 1048576.0,"
    " pg_total_relation_size('sync_row_meta') / 1048576.0,"
    " (SELECT SUM(n_live_tup) FROM pg_stat_user_tables WHERE relname IN ({}))"
).format(", ".join(f"'{t}'" for t in TABLES))


def _postgres_cpu(name: str) -> float:
    """CPU seconds of PostgreSQL's backends serving database ``name`` (visible in /proc)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError, ValueError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if cmdline.startswith(b"postgres:") and name.encode() in cmdline:
                total += process_usage(int(pid))[0]
    return total


@contextlib.contextmanager
def _head_office(kind: str, folder: Path, size: str = "small") -> Iterator[tuple]:
    """(server URL, the server process, its database opened here, the PostgreSQL database's
    name or "") of a fresh head office with the demo data of ``size`` (SQLite: small or
    large; PostgreSQL: small)."""
    from headoffice.database import admin_sql, open_database
    from headoffice.demo import build_demo

    if kind == "sqlite":
        path = headoffice_copy(size, folder / "headoffice")
        url = f"sqlite:///{path}"
        with serving_process(folder / "headoffice") as (base, process):
            database = open_database(url)
            try:
                yield base, process, database, ""
            finally:
                database.close()
                db.initialize(None)
        return
    name = f"terrain_bench_{uuid.uuid4().hex}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    admin_sql(f'CREATE DATABASE "{name}"', **PG_ADMIN)
    try:
        build_demo(url, size)
        data = folder / "headoffice"
        data.mkdir(parents=True, exist_ok=True)
        with serving_process(data, "--db", url, "--threads", "8") as (base, process):
            database = open_database(url, max_connections=4)
            try:
                yield base, process, database, name
            finally:
                database.close_all()
                db.initialize(None)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', **PG_ADMIN)


def _summary(samples: list[float]) -> dict:
    if not samples:
        return {"count": 0}
    ms = sorted(s * 1000 for s in samples)
    n = len(ms)
    return {
        "count": n,
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(n - 1, int(n * 0.99))], 2),
        "max_ms": round(ms[-1], 2),
    }


def simulate(
    *,
    devices: int = 1000,
    seconds: float = 60,
    clients: int = 16,
    first_syncs: int = 20,
    push_share: float = 0.15,
    office_share: float = 0.02,
    database_kind: str = "postgres",
    data: str = "small",
    seed: int = 7,
) -> dict:
    """Run the simulation; returns its figures (see the module docstring)."""
    rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory(prefix="terrain-sim-") as tmp,
        _head_office(database_kind, Path(tmp), data) as (base, process, database, pg_name),
    ):
        users, jobs = _users(database)
        techs = sorted(u for u in jobs if jobs[u])
        offices = sorted(u for u in users if u not in jobs)[:1]
        fleet: list[SimDevice] = []
        for i in range(devices):
            office = offices and rng.random() < office_share
            username = offices[0] if office else techs[i % len(techs)]
            fleet.append(
                SimDevice(username, users[username], str(uuid.uuid4()), jobs.get(username, []))
            )
        for device in rng.sample(fleet, min(first_syncs, devices)):
            device.first = True
        cpu0, rss0 = process_usage(process.pid)
        setup_start = time.perf_counter()
        templates: dict[str, SimDevice] = {}
        for username in sorted({d.username for d in fleet}):
            template = SimDevice(username, users[username], str(uuid.uuid4()), jobs.get(username))
            _login(base, template, None)
            _pull_all(base, template, None, first=True)
            templates[username] = template
            _clone(database, template, [d for d in fleet if d.username == username and not d.first])
        if pg_name:  # fresh statistics for the planner, as a database in service has
            with db.using(database):
                db.execute_sql("ANALYZE")
        setup_s = time.perf_counter() - setup_start
        cpu1, rss1 = process_usage(process.pid)
        pg0 = _postgres_cpu(pg_name) if pg_name else 0.0
        rec = Recorder()
        order = list(fleet)
        rng.shuffle(order)
        turn = iter(range(1 << 62))
        turn_lock = threading.Lock()
        stop_at = time.perf_counter() + seconds

        def client(n: int) -> None:
            local = random.Random(seed * 1000 + n)
            while time.perf_counter() < stop_at:
                with turn_lock:  # the next device no other client is driving
                    device = order[next(turn) % len(order)]
                    while device.busy:
                        device = order[next(turn) % len(order)]
                    device.busy = True
                try:
                    cycle(device, local)
                except (requests.RequestException, ValueError) as exc:  # timeouts, bad JSON
                    rec.add(FAILED, 0.0, False, repr(exc))
                finally:
                    device.busy = False

        def cycle(device: SimDevice, local: random.Random) -> None:
            if not device.token:  # a new device: sign-in and first sync
                with contextlib.suppress(requests.RequestException):
                    _login(base, device, rec)
                    _pull_all(base, device, rec, first=True)
                    with rec.lock:
                        rec.cycles += 1
                return
            if device.jobs and local.random() < push_share:
                _push(base, device, local, rec)
            _pull_all(base, device, rec, first=False)
            with rec.lock:
                rec.cycles += 1

        started = time.perf_counter()
        clients = min(clients, devices)  # each client drives one device at a time
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu2, rss2 = process_usage(process.pid)
        pg_cpu = (_postgres_cpu(pg_name) - pg0) if pg_name else None
        with db.using(database):
            known = db.execute_sql("SELECT COUNT(*) FROM sync_devices").fetchone()[0]
            held = db.execute_sql("SELECT COUNT(*) FROM sync_device_rows").fetchone()[0]
            sizes = {}
            if pg_name:  # what the run's database takes on disk, and the devices' part of it
                sizes = dict(
                    zip(
                        ("database_mb", "device_rows_mb", "row_meta_mb", "synced_rows_pg_stat"),
                        db.execute_sql(_SIZES_SQL).fetchone(),
                        strict=True,
                    )
                )
            notes = db.execute_sql(
                f"SELECT COUNT(*) FROM comments WHERE body = {db.param}", (NOTE,)
            ).fetchone()[0]
    requests_n = sum(len(v) for v in rec.samples.values())
    errors = sum(rec.errors.values())
    out = {
        "database": database_kind,
        "data": data,
        "devices": devices,
        "users": len(templates),
        "first_syncs_planned": sum(d.first for d in fleet),
        "clients": clients,
        "seconds": round(elapsed, 1),
        "setup_s": round(setup_s, 1),
        "cycles": rec.cycles,
        "cycles_per_s": round(rec.cycles / elapsed, 1),
        "requests": requests_n,
        "requests_per_s": round(requests_n / elapsed, 1),
        "errors": errors,
        "error_examples": rec.error_examples,
        "kinds": {k: {**_summary(v), "errors": rec.errors[k]} for k, v in rec.samples.items()},
        "server": {
            "rss_start_mb": round(rss0 / 2**20, 1),
            "rss_after_setup_mb": round(rss1 / 2**20, 1),
            "rss_end_mb": round(rss2 / 2**20, 1),
            "rss_per_device_kb": round((rss2 - rss0) / devices / 1024, 1),
            "setup_cpu_s": round(cpu1 - cpu0, 2),
            "run_cpu_s": round(cpu2 - cpu1, 2),
            "cpu_share_of_one_core": round((cpu2 - cpu1) / elapsed, 2),
            "cpu_ms_per_request": round((cpu2 - cpu1) * 1000 / max(1, requests_n), 2),
            "cpu_ms_per_cycle": round((cpu2 - cpu1) * 1000 / max(1, rec.cycles), 2),
            "cpu_ms_per_device_per_run": round((cpu2 - cpu1) * 1000 / devices, 2),
        },
        "postgres_backends_cpu_s": None if pg_cpu is None else round(pg_cpu, 2),
        "headoffice_devices": known,
        "headoffice_device_rows": held,
        "headoffice_pushed_comments": notes,
        "postgres_sizes": {k: round(float(v), 1) for k, v in sizes.items()},
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "note": "load generator threads, head office and the database share the machine's cores",
    }
    return out


@benchmark("sim_1000")
def sim_1000(args) -> dict:
    return simulate(
        devices=getattr(args, "sim_devices", 1000),
        seconds=getattr(args, "sim_seconds", 60),
        clients=getattr(args, "sim_clients", 16),
        first_syncs=getattr(args, "sim_first", 20),
        database_kind=getattr(args, "sim_db", "postgres"),
        data=getattr(args, "sim_data", "small"),
    )
