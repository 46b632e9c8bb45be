"""Head office applying one 5,000-row push on SQLite (its default database).

``push_apply_5000``: on a copy of the small demo data as a SQLite head office, tech1 pushes
5,000 new comments on one of his interventions (``insert``), then the same 5,000 rows with
their text changed (``update``), then the office changes them again (``office_update``:
every row a conflict, recorded). Measured: ``headoffice.push.push`` (decide, merge, write,
bookkeeping, commit) on the parsed request, in process; parsing the JSON body into a
request is given apart (``parse_s``). Each run on a fresh copy; median of the runs.

The bound, measured in the same run: the same rows written the plainest way, with
``sqlite3`` on a fresh copy of the same database: one ``executemany`` of the 5,000 INSERTs
(every column the push stores), or of the 5,000 UPDATEs, in one ``BEGIN IMMEDIATE`` ...
``COMMIT``, with the same pragmas. No rules, no metadata, no bookkeeping.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from app import clock
from app.models import Intervention, Technician, User, db
from app.models.database import SQLITE_PRAGMAS
from app.sync.push_request import MAX_PUSH_ROWS, parse_push
from bench.bench_sync import headoffice_copy
from bench.runner import benchmark

NOW = "2026-03-02T10:00:00"
TARGET_S = 1.0


def _comments(job: str, author: str) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "base_version": 0,
            "fields": {
                "intervention_id": job,
                "author_id": author,
                "visibility": "internal",
                "body": f"Relevé {i} : pression 1,8 bar, purge faite.",
                "created_at": NOW,
                "updated_at": NOW,
            },
        }
        for i in range(MAX_PUSH_ROWS)
    ]


def _edited(rows: list[dict], versions: dict[str, int], suffix: str) -> list[dict]:
    return [
        {
            "id": r["id"],
            "base_version": versions.get(r["id"], 0),
            "fields": {"body": r["fields"]["body"] + suffix},
        }
        for r in rows
    ]


def _request(device_id: str, rows: list[dict]):
    body = {"batch_id": str(uuid.uuid4()), "device_id": device_id, "changes": {"comments": rows}}
    start = time.perf_counter()
    request = parse_push(body)
    return request, time.perf_counter() - start


def _one_run(source: Path, folder: Path) -> dict:
    from headoffice.auth import principal_of
    from headoffice.database import open_database
    from headoffice.push import push

    path = folder / "headoffice.db"
    shutil.copy2(source, path)
    database = open_database(f"sqlite:///{path}")
    db.initialize(database)
    try:
        with database.connection_context():
            tech = principal_of(User.get(User.username == "tech1"))
            office = principal_of(User.get(User.username == "office"))
            job = (
                Intervention.select(Intervention.id)
                .where(
                    (Intervention.technician == Technician.get_by_id(tech.technician_id))
                    & Intervention.status.in_(["planned", "assigned"])
                )
                .scalar()
            )
            rows = _comments(job, tech.user_id)
            device, office_device = str(uuid.uuid4()), str(uuid.uuid4())
            out: dict = {"rows": len(rows)}
            versions: dict[str, int] = {}
            steps = [
                ("insert", tech, device, lambda: rows),
                ("update", tech, device, lambda: _edited(rows, versions, " (corrigé)")),
                # based on the version before the technician's edit: every row a conflict
                ("office_update", office, office_device, lambda: _edited(rows, {}, " (bureau)")),
            ]
            for name, who, device_id, changes in steps:
                request, parse_s = _request(device_id, changes())
                start = time.perf_counter()
                answer = push(who, device_id, request, clock.today())
                seconds = time.perf_counter() - start
                assert not answer["rejected"], answer["rejected"][:1]
                assert len(answer["applied"]) == len(rows)
                versions = {a["id"]: a["version"] for a in answer["applied"]}
                out[name] = {
                    "s": seconds,
                    "parse_s": parse_s,
                    "conflicts": len(answer["conflicts"]),
                }
            out["_rows"], out["_job"] = rows, job
            return out
    finally:
        database.close()
        db.initialize(None)


def _bound(source: Path, folder: Path, rows: list[dict]) -> dict:
    """The same INSERTs, then the same UPDATEs, as bare ``executemany`` in one transaction."""
    path = folder / "bound.db"
    shutil.copy2(source, path)
    con = sqlite3.connect(path, isolation_level=None)
    for name, value in SQLITE_PRAGMAS.items():
        con.execute(f"PRAGMA {name} = {value}")
    columns = ["id", *rows[0]["fields"], "deleted", "sync_version"]
    insert = f"INSERT INTO comments ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    values = [
        [
            r["id"],
            *(v.replace("T", " ") if k.endswith("_at") else v for k, v in r["fields"].items()),
            0,
            n + 1,
        ]
        for n, r in enumerate(rows)
    ]
    updates = [(r["fields"]["body"] + "!", n + 1, r["id"]) for n, r in enumerate(rows)]
    out = {}
    for name, sql, params in (
        ("insert", insert, values),
        ("update", "UPDATE comments SET body = ?, sync_version = ? WHERE id = ?", updates),
    ):
        start = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.executemany(sql, params)
        con.execute("COMMIT")
        out[name] = time.perf_counter() - start
    con.close()
    return out


@benchmark("push_apply_5000")
def push_apply_5000(args) -> dict:
    runs = max(1, getattr(args, "push_runs", 5))
    with tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp:
        tmp = Path(tmp)
        source = headoffice_copy("small", tmp / "source")
        measured, bounds = [], []
        for i in range(runs):
            folder = tmp / f"run-{i}"
            folder.mkdir()
            result = _one_run(source, folder)
            measured.append(result)
            bounds.append(_bound(source, folder, result.pop("_rows")))
            result.pop("_job")
    out: dict = {
        "database": "small demo data, SQLite head office",
        "rows": MAX_PUSH_ROWS,
        "runs": runs,
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
    }
    for name in ("insert", "update", "office_update"):
        seconds = [m[name]["s"] for m in measured]
        median = statistics.median(seconds)
        entry = {
            "apply_s": [round(s, 3) for s in seconds],
            "apply_median_s": round(median, 3),
            "parse_median_s": round(statistics.median(m[name]["parse_s"] for m in measured), 3),
            "conflicts": measured[0][name]["conflicts"],
            "target_s": TARGET_S,
            "meets_target": median <= TARGET_S,
        }
        bound_name = "update" if name == "office_update" else name
        bound = statistics.median(b[bound_name] for b in bounds)
        entry["bare_executemany_bound_median_s"] = round(bound, 3)
        entry["ratio_to_bound"] = round(median / bound, 1)
        out[name] = entry
    return out
