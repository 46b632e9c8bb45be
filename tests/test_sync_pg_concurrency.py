"""Rule 2 under real concurrency: PostgreSQL, a live head office with 8 worker threads,
pushers and pullers at the same time (about 15 s).

Pushers (the office and three technicians, each with its own device) send small batches in
a loop: new comments, edits of interventions the office and the technicians both touch.
Pullers (two office devices, two technicians' devices) pull continuously with their own
cursors and small pages. Checked:

- on every page: no row twice, versions of a row never go back, the cursor moves forward
  (sequence, received version, position inside a session);
- at the end of every office pull session (cursor ``v0`` = V): every change a pusher had
  committed with a version <= V has been delivered, or its row changed again above V
  meanwhile (rule 2: a session serves versions <= its high water, all committed);
- every push is answered 200 (no deadlock or serialization failure leaks as a 5xx);
- at the end, after a last pull: each office puller holds exactly head office's rows and
  versions, each technician's puller exactly his scope, field by field.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest
import requests
from server_support import copy_demo_database
from sim_support import expected_replica, server_snapshot

from app import clock
from app.models import Intervention, Technician, User, db
from app.sync import schema
from app.sync.cursor import Cursor
from app.sync.schema import MODELS, SCHEMA_HEADER, TABLE_INDEX
from headoffice.auth import principal_of
from headoffice.versions import committed_version

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DURATION = 15.0  # seconds of concurrent pushes
OPEN = ("planned", "assigned", "en_route", "in_progress")


class Puller(threading.Thread):
    def __init__(self, client, name: str, check_every_session: bool, applied) -> None:
        super().__init__(name=name, daemon=True)
        self.server_db = client.server.database
        self.client, self.check, self.applied = client, check_every_session, applied
        self.rows: dict[tuple[str, str], dict] = {}
        self.cursor = ""
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.pages = self.sessions = 0
        self.rng = random.Random(name)

    def pull_once(self, limit: int) -> dict:
        answer = requests.get(  # as a device of this release: its schema version (rule 9)
            self.client.server.url("/sync/pull"),
            params={"cursor": self.cursor, "limit": limit},
            headers={**self.client.headers, SCHEMA_HEADER: str(schema.current().version)},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        before, after = Cursor.decode(self.cursor), Cursor.decode(page["cursor"])
        self.pages += 1
        seen: set[tuple[str, str]] = set()
        for table, rows in page["changes"].items():
            for row in rows:
                key = (table, row["id"])
                if key in seen:
                    self.errors.append(f"{key} twice in one page")
                seen.add(key)
                held = self.rows.get(key)
                if held is not None and held["_version"] > row["_version"]:
                    self.errors.append(f"{key} went back from {held['_version']}")
                self.rows[key] = row
        for table, ids in page["evicted"].items():
            for row_id in ids:
                self.rows.pop((table, row_id), None)
        if after.s < before.s or after.v0 < before.v0:
            self.errors.append(f"cursor went back: {before} -> {after}")
        if (
            before.o
            and after.o
            and after.v1 == before.v1
            and (after.t, after.lv)
            < (
                before.t,
                before.lv,
            )
        ):
            self.errors.append(f"position went back: {before} -> {after}")
        self.cursor = page["cursor"]
        if not page["has_more"]:
            self.sessions += 1
            if self.check:
                self.check_delivered(after.v0)
        return page

    def check_delivered(self, v0: int) -> None:
        """Every change committed at or below v0 (that a pusher knows of) was delivered,
        unless the row changed again above v0 meanwhile (a session serves versions up to
        its high water only: that state comes with the next session)."""
        suspects = [
            (table, row_id, version)
            for table, row_id, version in list(self.applied)
            if version <= v0 and self.rows.get((table, row_id), {}).get("_version", -1) < version
        ]
        for table, row_id, version in suspects:
            model = MODELS[table]
            with db.using(self.server_db):
                now = model.select(model.sync_version).where(model.id == row_id).scalar()
            if now <= v0:
                held = self.rows.get((table, row_id), {}).get("_version")
                self.errors.append(
                    f"missed {table} {row_id} v{version} (now v{now}, held v{held}, v0={v0})"
                )

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.pull_once(self.rng.choice([25, 100, 400]))
        except Exception as exc:  # reported by the test
            self.errors.append(repr(exc))

    def drain(self) -> None:
        """Pull until a whole session brought nothing new."""
        for _ in range(1000):
            page = self.pull_once(1000)
            if not page["has_more"] and not page["changes"] and not page["evicted"]:
                return
        self.errors.append("never caught up")


class Pusher(threading.Thread):
    def __init__(self, client, name: str, jobs: list[str], applied, office: bool) -> None:
        super().__init__(name=name, daemon=True)
        self.client, self.jobs, self.applied, self.office = client, jobs, applied, office
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.batches = self.conflicts = 0
        self.rng = random.Random(name)

    def batch(self) -> dict:
        changes: dict[str, list] = {"interventions": [], "comments": []}
        for job in self.rng.sample(self.jobs, k=min(len(self.jobs), self.rng.randint(1, 4))):
            field = "summary" if self.office else self.rng.choice(["diagnosis", "summary"])
            value = f"{self.name} {uuid.uuid4().hex[:6]}"
            changes["interventions"].append(
                {"id": job, "base_version": 0, "fields": {field: value}}
            )
        for _ in range(self.rng.randint(0, 3)):
            changes["comments"].append(
                {
                    "id": str(uuid.uuid4()),
                    "base_version": 0,
                    "fields": {
                        "intervention_id": self.rng.choice(self.jobs),
                        "author_id": self.client.user["id"],
                        "visibility": "internal",
                        "body": f"{self.name} {self.batches}",
                    },
                }
            )
        return changes

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                answer = self.client.push(self.batch())
                if answer.status_code != 200:
                    self.errors.append(f"push answered {answer.status_code}: {answer.text}")
                    continue
                body = answer.json()
                if body["rejected"]:
                    self.errors.append(f"rejected: {body['rejected']}")
                self.conflicts += len(body["conflicts"])
                for a in body["applied"]:
                    self.applied.append((a["table"], a["id"], a["version"]))
                self.batches += 1
        except Exception as exc:
            self.errors.append(repr(exc))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_pullers_miss_nothing_while_pushers_write(backend, demo_db_url, make_server, tmp_path):
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        with db.using(server.database):
            techs = {}
            for name in ("tech1", "tech2", "tech3"):
                tech = Technician.get(Technician.user == User.get(User.username == name).id)
                techs[name] = [
                    i.id
                    for i in Intervention.select(Intervention.id)
                    .where((Intervention.technician == tech.id) & Intervention.status.in_(OPEN))
                    .order_by(Intervention.id)
                    .limit(6)
                ]
        applied: list[tuple[str, str, int]] = []  # appends are atomic
        all_jobs = [j for jobs in techs.values() for j in jobs]
        pushers = [Pusher(server.login("office"), "office", all_jobs, applied, True)]
        pushers += [Pusher(server.login(n), n, jobs, applied, False) for n, jobs in techs.items()]
        pullers = [
            Puller(server.login("office"), "office-puller-1", True, applied),
            Puller(server.login("office"), "office-puller-2", True, applied),
            Puller(server.login("tech1"), "tech1-puller", False, applied),
            Puller(server.login("tech2"), "tech2-puller", False, applied),
        ]
        for thread in pullers + pushers:
            thread.start()
        # Run at least DURATION, then until enough happened (a loaded machine is slower), capped.
        time.sleep(DURATION)
        cap = time.monotonic() + 10 * DURATION
        while time.monotonic() < cap and not (
            sum(p.batches for p in pushers) > 50
            and len(applied) > 200
            and all(p.sessions >= 3 for p in pullers)
            and sum(p.conflicts for p in pushers) > 0
        ):
            time.sleep(0.2)
        for thread in pushers:
            thread.stop.set()
        for thread in pushers:
            thread.join(60)
        for thread in pullers:
            thread.stop.set()
        for thread in pullers:
            thread.join(60)
        for puller in pullers:
            puller.drain()
        errors = [e for t in pushers + pullers for e in t.errors]
        assert not errors, errors[:20]
        assert sum(p.batches for p in pushers) > 50 and len(applied) > 200
        assert all(p.sessions >= 3 for p in pullers), [p.sessions for p in pullers]
        assert sum(p.conflicts for p in pushers) > 0  # office and technicians collided
        snapshot = server_snapshot(server.database)
        with db.using(server.database):
            assert max(v for _, _, v in applied) <= committed_version()
        for puller in pullers:
            username = puller.client.user["name"]
            with db.using(server.database):
                who = principal_of(User.get(User.id == puller.client.user["id"]))
            want = expected_replica(server.database, who, clock.today(), snapshot)
            have: dict[str, dict] = {t: {} for t in TABLE_INDEX}
            for (table, row_id), row in puller.rows.items():
                have[table][row_id] = row
            for table in TABLE_INDEX:
                missing = set(want[table]) - set(have[table])
                extra = set(have[table]) - set(want[table])
                assert not missing and not extra, (puller.name, username, table, missing, extra)
                stale = [i for i, row in want[table].items() if have[table][i] != row]
                assert not stale, (
                    puller.name,
                    table,
                    stale[:5],
                    [
                        {
                            k: (have[table][i].get(k), v)
                            for k, v in want[table][i].items()
                            if have[table][i].get(k) != v
                        }
                        for i in stale[:2]
                    ],
                )
            if puller.check:
                puller.check_delivered(10**18)
            assert not puller.errors, puller.errors[:10]
    finally:
        cleanup()
