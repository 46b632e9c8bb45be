"""The nine MUST rules of docs/sync-protocol.md, one or more named tests per rule.

Every test runs on both head office backends (the ``backend`` parameter behind
``demo_server``: SQLite and PostgreSQL) through the real HTTP API on loopback. Devices are
real device databases driven by ``app.sync.engine.synchronize`` over ``HttpTransport``; the
office and ad-hoc clients use plain HTTP (``server_support.Client``).

The models share one ``db`` proxy: the server answers each request on its own database
(``db.using`` in its request threads), and this module routes the test thread explicitly:
``on(server)`` for head office reads and writes, ``device.active()`` for a device.

Tests on the shared demo server pick their own interventions (``pick``: tech1's planned or
assigned ones, latest first, a different index per test) so they do not disturb each other
or the other modules; a test that changes a technician's scope runs on a private copy.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import requests
from report_support import signature_strokes
from server_support import (
    DEMO_PASSWORD,
    TEST_MAX_BLOB_BYTES,
    LiveServer,
    copy_demo_database,
    start_live_server,
)

from app import clock
from app.errors import RemoteError
from app.models import (
    ALL_MODELS,
    Attachment,
    ChecklistAnswer,
    Comment,
    Contact,
    Customer,
    Equipment,
    FollowUp,
    Intervention,
    Measurement,
    Meter,
    Part,
    Quote,
    QuoteLine,
    ReportVersion,
    Signature,
    Site,
    Technician,
    User,
    VanStockLine,
    Vehicle,
    db,
)
from app.sync import schema, tracking
from app.sync.engine import synchronize
from app.sync.pull import pull_changes
from app.sync.schema import TABLES
from app.sync.store import (
    SyncConflictNotice,
    SyncOutbox,
    SyncRejection,
    ensure_device_id,
    open_device_db,
)
from app.sync.transport import HttpTransport
from headoffice import push as headoffice_push
from headoffice.models import Blob, PushBatch, SyncConflict
from headoffice.models import Device as DeviceModel
from headoffice.versions import committed_version, take_version

MODELS = {m._meta.table_name: m for m in ALL_MODELS}
CLOSED = ("validated", "delivered", "cancelled")
SHARED = (
    "companies", "users", "technicians", "intervention_types", "procedures", "procedure_steps",
    "checklist_items", "parts",
)  # fmt: skip
# Child tables that hang off an intervention by intervention_id (rule 1's list).
CHILDREN = (
    "checklist_answers", "measurements", "time_entries", "planned_parts", "part_usages",
    "attachments", "comments", "signatures", "report_versions", "follow_ups", "quotes",
)  # fmt: skip


# --- routing and head office helpers ----------------------------------------------------


@contextmanager
def on(server: LiveServer) -> Iterator[None]:
    """Route this thread's model queries to ``server``'s database."""
    with db.using(server.database):
        yield


def technician_id(username: str) -> str:
    user = User.get(User.username == username)
    return Technician.get(Technician.user == user.id).id


_PICKS: dict[tuple, list[str]] = {}


def pick(server: LiveServer, index: int, username: str = "tech1", hidden_from: str = "") -> str:
    """A planned or assigned intervention of ``username`` (latest first, ``index``-th).

    The list is made once per server, so tests that sign or cancel one do not shift the others.
    """
    key = (server.base, username, hidden_from)
    if key not in _PICKS:
        _PICKS[key] = _pickable(server, username, hidden_from)
    return _PICKS[key][index]


def _pickable(server: LiveServer, username: str, hidden_from: str) -> list[str]:
    with on(server):
        query = (
            Intervention.select(Intervention.id)
            .where(
                (Intervention.technician == technician_id(username))
                & Intervention.status.in_(("planned", "assigned"))
            )
            .order_by(Intervention.scheduled_start.desc(), Intervention.id)
        )
        ids = [r[0] for r in query.tuples()]
        if hidden_from:
            hidden = expected_scope(hidden_from)["interventions"]
            ids = [i for i in ids if i not in hidden]
    return ids


def server_row(server: LiveServer, model, row_id: str) -> dict | None:
    with on(server):
        return model.select().where(model.id == row_id).dicts().first()


def server_version(server: LiveServer) -> int:
    with on(server):
        return committed_version()


def conflicts_at(server: LiveServer, row_id: str) -> list[SyncConflict]:
    with on(server):
        return list(SyncConflict.select().where(SyncConflict.row_id == row_id))


def office_push(client, table: str, row_id: str, base: int, fields: dict, **extra) -> dict:
    answer = client.push({table: [{"id": row_id, "base_version": base, "fields": fields, **extra}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rejected"] == [], body
    return body


def expected_scope(username: str, today: date | None = None) -> dict[str, set[str]]:
    """Rule 1 written out from the doc (not from headoffice.scope), on the bound database."""
    today = today or clock.today()
    tech = technician_id(username)
    since = datetime.combine(today - timedelta(days=30), datetime.min.time())
    own = Intervention.select().where(
        (Intervention.technician == tech)
        & (Intervention.status.not_in(CLOSED) | (Intervention.scheduled_start >= since))
    )
    own_sites = {i.site_id for i in own}
    history = list(Intervention.select().where(Intervention.site.in_(own_sites)))
    ids = {i.id for i in history}
    scope: dict[str, set[str]] = {"interventions": ids}
    for table in CHILDREN:
        model = MODELS[table]
        scope[table] = {
            r[0] for r in model.select(model.id).where(model.intervention.in_(ids)).tuples()
        }
    scope["customers"] = {i.customer_id for i in history}
    scope["sites"] = own_sites | {
        r[0] for r in Quote.select(Quote.site).where(Quote.id.in_(scope["quotes"])).tuples()
    }
    scope["equipment"] = {
        r[0]
        for r in Equipment.select(Equipment.id).where(Equipment.site.in_(scope["sites"])).tuples()
    }
    scope["van_stock_lines"] = {
        r[0]
        for r in VanStockLine.select(VanStockLine.id)
        .where(VanStockLine.technician == tech)
        .tuples()
    }
    scope["vehicles"] = {
        r[0] for r in Vehicle.select(Vehicle.id).where(Vehicle.technician == tech).tuples()
    }
    for table in SHARED:
        model = MODELS[table]
        scope[table] = {r[0] for r in model.select(model.id).tuples()}
    return scope


def local_ids(table: str) -> set[str]:
    model = MODELS[table]
    return {r[0] for r in model.select(model.id).tuples()}


def pull_session(client, cursor: str = "", limit: int = 10000) -> tuple[list[dict], str]:
    """Pull pages until has_more is false; returns the pages and the last cursor."""
    pages = []
    for _ in range(2000):
        answer = client.get("/sync/pull", params={"cursor": cursor, "limit": limit})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages, cursor
    raise AssertionError("the pull session never ended")


def rows_of(pages: list[dict]) -> dict[tuple[str, str], dict]:
    """(table, id) -> the last state of the row in ``pages``."""
    return {(t, r["id"]): r for p in pages for t, rows in p["changes"].items() for r in rows}


# --- devices -----------------------------------------------------------------------------


class Recording:
    """An HttpTransport that records what goes through it, with hooks for races."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.pushed: list[dict] = []
        self.answers: list[dict] = []
        self.pages: list[dict] = []
        self.before_push: Callable[[dict], None] | None = None
        self.after_push: Callable[[dict], None] | None = None
        self.before_pull: Callable[[], None] | None = None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def push(self, body: dict) -> dict:
        self.calls.append("push")
        self.pushed.append(body)
        if self.before_push is not None:
            self.before_push(body)
        answer = self.inner.push(body)
        self.answers.append(answer)
        if self.after_push is not None:
            self.after_push(answer)
        return answer

    def pull(self, cursor: str, limit: int) -> dict:
        self.calls.append("pull")
        hook, self.before_pull = self.before_pull, None
        if hook is not None:
            hook()
        page = self.inner.pull(cursor, limit)
        self.pages.append(page)
        return page


@dataclass
class Device:
    """A technician's (or the office's) device: its SQLite database and its transport."""

    database: object
    transport: Recording
    user: dict
    device_id: str
    reports: list = field(default_factory=list)

    @contextmanager
    def active(self) -> Iterator[None]:
        with db.using(self.database):
            yield

    def sync(self):
        with self.active():
            report = synchronize(self.transport)
        self.reports.append(report)
        return report


@pytest.fixture
def new_device(tmp_path) -> Iterator[Callable[..., Device]]:
    """``new_device(server, username)``: a signed-in device that has made its first sync."""
    made: list[Device] = []
    previous = db.obj
    tracking.install()

    def make(server: LiveServer, username: str = "tech1", *, first_sync: bool = True) -> Device:
        database = open_device_db(tmp_path / f"device-{len(made)}.db")
        db.initialize(previous)  # the test thread stays on head office unless routed
        transport = Recording(HttpTransport(server.base, retries=2, backoff=0.05))
        with db.using(database):
            device_id = ensure_device_id()
            user = transport.login(username, DEMO_PASSWORD, device_id)["user"]
        device = Device(database, transport, user, device_id)
        made.append(device)
        if first_sync:
            report = device.sync()
            assert report.pull.full and not report.skipped
        return device

    yield make
    tracking.uninstall()
    for device in made:
        device.transport.inner.close()
        device.database.close()
    db.initialize(previous)


@pytest.fixture
def private_server(backend, demo_db_url, tmp_path) -> Iterator[LiveServer]:
    """A live server on a private copy of the demo data (for tests that change a scope)."""
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    server = start_live_server(url, tmp_path / "private-blobs")
    try:
        yield server
    finally:
        server.stop()
        cleanup()
        db.initialize(None)


# === Rule 1: pull is scoped ================================================================


def test_rule1_technician_pulls_exactly_his_scope(demo_server, new_device):
    tech1 = new_device(demo_server, "tech1")
    with on(demo_server):
        expected = expected_scope("tech1")
        tech2_elsewhere = {
            i.id
            for i in Intervention.select().where(
                (Intervention.technician == technician_id("tech2"))
                & Intervention.site.not_in(expected["sites"])
            )
        }
        other_vans = {
            r[0]
            for r in VanStockLine.select(VanStockLine.id)
            .where(VanStockLine.technician != technician_id("tech1"))
            .tuples()
        }
        all_contacts = {c.id: (c.customer_id, c.site_id) for c in Contact.select()}
    with tech1.active():
        for table, ids in expected.items():
            assert local_ids(table) == ids, table
        assert tech2_elsewhere and not tech2_elsewhere & local_ids("interventions")
        assert other_vans and not other_vans & local_ids("van_stock_lines")
        assert {u.password_hash for u in User.select()} == {""}
        for contact in Contact.select():  # contacts of his customers, at his sites or none
            assert all_contacts[contact.id][0] in expected["customers"]
            assert contact.site_id in (None, *expected["sites"])
        assert Meter.select().count() > 0
        assert {m.equipment_id for m in Meter.select()} <= expected["equipment"]
        # foreign keys arrive set and resolvable on the device
        for job in Intervention.select():
            assert job.site_id and job.customer_id and job.intervention_type_id
            assert Site.get_by_id(job.site_id).customer_id
            assert Customer.get_by_id(job.customer_id).name
        assert tech1.database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    users = [r for page in tech1.transport.pages for r in page["changes"].get("users", [])]
    assert users and all("password_hash" not in r for r in users)


def test_rule1_office_pulls_everything(demo_server):
    office = demo_server.login("office")
    pages, _ = pull_session(office)
    pulled = rows_of(pages)
    with on(demo_server):
        for table in TABLES:
            model = MODELS[table]
            ids = {r[0] for r in model.select(model.id).tuples()}
            assert {i for t, i in pulled if t == table} == ids, table
    assert all("password_hash" not in r for (t, _), r in pulled.items() if t == "users")
    job = next(r for (t, _), r in pulled.items() if t == "interventions")
    assert job["site_id"] and job["customer_id"]


def test_rule1_incremental_pull_still_evicts_a_row_moved_out_of_scope(private_server, new_device):
    """After the first sync the scope's key sets are settled: later sessions read only the
    versions above the cursor, yet a row whose own change takes it out of scope is evicted."""
    server = private_server
    tech1 = new_device(server)
    with on(server):
        device = DeviceModel.get_by_id(tech1.device_id)
        settled = device.scope_fp
        mine = expected_scope("tech1")
        answer = (
            ChecklistAnswer.select()
            .where(ChecklistAnswer.intervention.in_(sorted(mine["interventions"])))
            .first()
        )
        # Out of scope, and without an answer to the same item (one answer per item).
        taken = ChecklistAnswer.select(ChecklistAnswer.intervention).where(
            ChecklistAnswer.item == answer.item_id
        )
        elsewhere = (
            Intervention.select(Intervention.id)
            .where(
                Intervention.id.not_in(sorted(mine["interventions"]))
                & Intervention.id.not_in(taken)
            )
            .order_by(Intervention.id)
            .first()
        )
    assert settled  # the first (full) session recorded the scope it settled on
    office = server.login("office")
    office_push(office, "checklist_answers", answer.id, answer.sync_version,
                {"intervention_id": elsewhere.id})  # fmt: skip
    report = tech1.sync()
    assert report.pull.evicted == 1
    with tech1.active():
        assert ChecklistAnswer.get_or_none(ChecklistAnswer.id == answer.id) is None
    with on(server):
        assert DeviceModel.get_by_id(tech1.device_id).scope_fp == settled  # stayed incremental


def test_rule2_a_pull_with_nothing_in_scope_writes_nothing_and_misses_nothing(
    private_server, new_device
):
    """Another technician's change moves the counter but not tech1's scope: his pull sends
    nothing and records nothing (same page number), and the next change in his scope still
    reaches him (rule 2: the cursor moved past versions he could not see, not past his)."""
    server = private_server
    tech1 = new_device(server)
    with on(server):
        mine = sorted(expected_scope("tech1")["interventions"])
        theirs = (
            Intervention.select().where(Intervention.id.not_in(mine)).order_by(Intervention.id)
        ).first()
        own = Intervention.get_by_id(mine[0])
        seq = DeviceModel.get_by_id(tech1.device_id).last_pull_seq
        rows_held = server_rows_held(tech1.device_id)
    office = server.login("office")
    office_push(office, "interventions", theirs.id, theirs.sync_version,
                {"diagnosis": "Hors de la tournée de tech1."})  # fmt: skip
    report = tech1.sync()
    assert report.pull.rows == 0 and report.pull.evicted == 0
    with on(server):
        assert DeviceModel.get_by_id(tech1.device_id).last_pull_seq == seq  # nothing written
        assert server_rows_held(tech1.device_id) == rows_held
    with tech1.active():
        assert Intervention.get_by_id(own.id).diagnosis == own.diagnosis
    office_push(office, "interventions", own.id, own.sync_version,
                {"diagnosis": "Changé pour tech1."})  # fmt: skip
    report = tech1.sync()
    assert report.pull.rows == 1
    with tech1.active():
        assert Intervention.get_by_id(own.id).diagnosis == "Changé pour tech1."
    with on(server):
        assert DeviceModel.get_by_id(tech1.device_id).last_pull_seq == seq + 1


def test_rule2_a_pull_overtaken_between_its_read_and_its_write_starts_under_the_lock(
    private_server, new_device, monkeypatch
):
    """The usual pull reads without the device's lock. Another pull of the same device with
    the same cursor runs to its end between that read and the write: the first must not
    record its page on top of it, but start again under the lock (the other page counts as
    lost), and the device still gets the change."""
    from headoffice import pull as headoffice_pull

    server = private_server
    tech1 = new_device(server)
    with on(server):
        own = Intervention.get_by_id(sorted(expected_scope("tech1")["interventions"])[0])
        seq = DeviceModel.get_by_id(tech1.device_id).last_pull_seq
    office = server.login("office")
    office_push(office, "interventions", own.id, own.sync_version,
                {"diagnosis": "Deux pulls du même appareil."})  # fmt: skip
    real_incremental, real_collect = headoffice_pull._incremental, headoffice_pull._collect
    calls: list[tuple] = []
    overtaking: list = []

    def incremental(who, device_id, device, cursor, limit, today, version):
        calls.append((who, device_id, cursor.encode(), limit, today, version))
        return real_incremental(who, device_id, device, cursor, limit, today, version)

    def collect(*args):
        if len(calls) == 1:  # the first pull, between its read and its write
            who, device_id, cursor_text, limit, today, version = calls[0]
            overtaking.append(
                headoffice_pull.pull(
                    who, device_id, cursor_text, limit, today, schema_version=version
                )
            )
        return real_collect(*args)

    monkeypatch.setattr(headoffice_pull, "_incremental", incremental)
    monkeypatch.setattr(headoffice_pull, "_collect", collect)
    report = tech1.sync()
    monkeypatch.undo()
    assert len(overtaking) == 1 and overtaking[0].changes["interventions"][0]["id"] == own.id
    assert report.pull.rows >= 1
    with on(server):
        assert DeviceModel.get_by_id(tech1.device_id).last_pull_seq == seq + 2
    with tech1.active():
        assert Intervention.get_by_id(own.id).diagnosis == "Deux pulls du même appareil."
    assert tech1.sync().pull.rows == 0


def server_rows_held(device_id: str) -> int:
    """How many rows head office records the device as holding (bound database)."""
    from headoffice.models import DeviceRow

    return DeviceRow.select().where(DeviceRow.device_id == device_id).count()


def test_rule1_reassigned_intervention_is_evicted_unless_it_has_unsent_changes(
    private_server, new_device
):
    server = private_server
    with on(server):
        scope = expected_scope("tech1")
        tech1_id, tech2_id = technician_id("tech1"), technician_id("tech2")
        since = datetime.combine(clock.today() - timedelta(days=30), datetime.min.time())
        own = list(
            Intervention.select().where(
                (Intervention.technician == tech1_id)
                & (Intervention.status.not_in(CLOSED) | (Intervention.scheduled_start >= since))
            )
        )
        own_sites = [o.site_id for o in own]
        alone = [
            i
            for i in own
            if i.status in ("planned", "assigned") and own_sites.count(i.site_id) == 1
        ]
        job = max(
            alone, key=lambda i: Intervention.select().where(Intervention.site == i.site_id).count()
        )
        site_id, base = job.site_id, job.sync_version
        history = {i.id for i in Intervention.select().where(Intervention.site == site_id)}
        answers = {
            a.id for a in ChecklistAnswer.select().where(ChecklistAnswer.intervention.in_(history))
        }
        equipment = {e.id for e in Equipment.select().where(Equipment.site == site_id)}
    assert len(history) > 1 and answers and equipment and site_id in scope["sites"]
    tech1 = new_device(server, "tech1")
    with tech1.active():
        assert history <= local_ids("interventions") and answers <= local_ids("checklist_answers")
    office = server.login("office")
    office_push(office, "interventions", job.id, base, {"technician_id": tech2_id})

    def edit_while_pulling() -> None:  # the technician types while the sync runs
        row = Intervention.get_by_id(job.id)
        row.diagnosis = "Written offline before the reassignment reached me"
        row.save()

    tech1.transport.before_pull = edit_while_pulling
    first = tech1.sync()
    evicted = {
        t: set(ids)
        for p in tech1.transport.pages[-first.pull.pages :]
        for t, ids in p["evicted"].items()
    }
    assert history <= evicted["interventions"] and site_id in evicted["sites"]
    assert answers <= evicted["checklist_answers"] and equipment <= evicted["equipment"]
    with tech1.active():
        assert local_ids("interventions") & history == {job.id}  # kept: unsent change
        assert Intervention.get_by_id(job.id).diagnosis.startswith("Written offline")
        assert set(SyncOutbox.get(SyncOutbox.row_id == job.id).fields) >= {"diagnosis"}
        assert not answers & local_ids("checklist_answers")
        assert site_id not in local_ids("sites") and not equipment & local_ids("equipment")
    calls_before = len(tech1.transport.calls)
    second = tech1.sync()
    assert tech1.transport.calls[calls_before:][0] == "push"  # push runs before the pull
    sent = tech1.transport.pushed[-1]["changes"]["interventions"]
    assert [(c["id"], c["fields"]["diagnosis"]) for c in sent] == [
        (job.id, "Written offline before the reassignment reached me")
    ]
    assert second.push.rejected == 1  # no longer his intervention: refused, values kept
    refusal = tech1.transport.answers[-1]["rejected"][0]
    assert refusal["id"] == job.id and refusal["row"] is None
    with tech1.active():
        assert job.id not in local_ids("interventions")
        kept = SyncRejection.get(SyncRejection.row_id == job.id)
        assert kept.fields["diagnosis"].startswith("Written offline")
        assert SyncOutbox.select().count() == 0
    after = server_row(server, Intervention, job.id)
    assert after["technician"] == tech2_id and not after["diagnosis"].startswith("Written")


# === Rule 2: a cursor never skips a change =================================================


def test_rule2_a_transaction_committing_late_is_not_skipped(demo_server, backend):
    """Writer A takes version n and waits before committing; writer B wants the next one;
    a technician pulls meanwhile. B cannot take n+1 before A commits (the counter row orders
    writers), and the pull after A's commit delivers A's row."""
    puller = demo_server.login("tech1")
    _, cursor = pull_session(puller)
    row_a, row_b = pick(demo_server, 0), pick(demo_server, 1)
    took_a, release_a, b_done = threading.Event(), threading.Event(), threading.Event()
    marks: dict[str, float | int] = {}
    errors: list[BaseException] = []

    def write(row_id: str, name: str) -> None:
        try:
            with on(demo_server), demo_server.database.connection_context(), db.atomic():
                version = take_version()
                marks[f"{name}_took_at"] = time.monotonic()
                marks[name] = version
                Intervention.update(summary=f"by {name}", sync_version=version).where(
                    Intervention.id == row_id
                ).execute()
                if name == "A":
                    took_a.set()
                    assert release_a.wait(20)
                    marks["A_commit_at"] = time.monotonic()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if name == "B":
                b_done.set()

    pulled: dict[str, object] = {}

    def pull() -> None:
        try:
            pulled["pages"], pulled["cursor"] = pull_session(puller, cursor)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    a = threading.Thread(target=write, args=(row_a, "A"))
    b = threading.Thread(target=write, args=(row_b, "B"))
    p = threading.Thread(target=pull)
    a.start()
    assert took_a.wait(10)
    b.start()
    p.start()
    if backend == "postgresql":  # readers never wait: the pull ends while A is open
        p.join(15)
        assert not p.is_alive()
        first = rows_of(pulled["pages"])
        assert ("interventions", row_a) not in first  # A's version is not committed yet
    else:  # SQLite serialises writers: the pull waits for A's commit
        time.sleep(0.3)
    assert not b_done.is_set() and "B" not in marks  # B cannot take n+1 while A holds n
    release_a.set()
    for thread in (a, b, p):
        thread.join(20)
    assert not errors, errors
    assert marks["B"] == marks["A"] + 1 and marks["B_took_at"] >= marks["A_commit_at"]
    pages, _ = pull_session(puller, pulled["cursor"])
    seen = {**rows_of(pulled["pages"]), **rows_of(pages)}
    assert seen[("interventions", row_a)]["_version"] == marks["A"]
    assert seen[("interventions", row_a)]["summary"] == "by A"
    assert seen[("interventions", row_b)]["_version"] == marks["B"]


def test_rule2_page_boundaries_inside_a_table_neither_skip_nor_duplicate(demo_server):
    paged, whole = demo_server.login("tech1"), demo_server.login("tech1")
    _, paged_cursor = pull_session(paged)
    _, whole_cursor = pull_session(whole)
    office = demo_server.login("office")
    job = pick(demo_server, 2)
    with on(demo_server):
        author = User.get(User.username == "office").id
        tech = technician_id("tech1")
        past = expected_scope("tech1")["measurements"]
        measurements = list(Measurement.select().where(Measurement.id.in_(past)).limit(5))
        vans = list(VanStockLine.select().where(VanStockLine.technician == tech).limit(5))

    def comments(n: int) -> list[dict]:
        return [
            {
                "id": str(uuid.uuid4()),
                "fields": {
                    "intervention_id": job,
                    "author_id": author,
                    "visibility": "internal",
                    "body": f"note {i}",
                },
            }
            for i in range(n)
        ]

    answer = office.push({
        "measurements": [
            {"id": m.id, "base_version": m.sync_version, "fields": {"value": m.value + 1}}
            for m in measurements
        ],
        "van_stock_lines": [
            {"id": v.id, "base_version": v.sync_version, "fields": {"quantity": v.quantity + 1}}
            for v in vans
        ],
        "comments": comments(12),
    })  # fmt: skip
    assert answer.status_code == 200 and not answer.json()["rejected"]
    session: list[dict] = []
    cursor = paged_cursor
    while True:
        page = paged.get("/sync/pull", params={"cursor": cursor, "limit": 7}).json()
        session.append(page)
        cursor = page["cursor"]
        if len(session) == 2:  # a change committed during the session: the next session's
            late = office.push({"comments": comments(3)}).json()
            assert not late["rejected"]
        if not page["has_more"]:
            break
    sent = [(t, r["id"]) for p in session for t, rows in p["changes"].items() for r in rows]
    assert all(sum(map(len, p["changes"].values())) <= 7 for p in session)
    assert len(session) >= 4 and len(sent) == len(set(sent)) == 22  # none twice, none missing
    late_ids = {a["id"] for a in late["applied"]}
    assert not late_ids & {i for _, i in sent}  # versions above the session's high water
    following, _ = pull_session(paged, cursor, limit=7)
    assert {i for (_, i) in rows_of(following)} == late_ids
    at_once, _ = pull_session(whole, whole_cursor)
    assert len(at_once) == 1
    both = {k: r["_version"] for k, r in rows_of(session + following).items()}
    assert both == {k: r["_version"] for k, r in rows_of(at_once).items()}


# === Rule 3: a push is atomic per batch and idempotent by batch_id ========================


def test_rule3_the_same_batch_twice_gets_the_same_answer_and_changes_nothing(demo_server):
    tech1, office = demo_server.login("tech1"), demo_server.login("office")
    job = pick(demo_server, 3)
    base = server_row(demo_server, Intervention, job)["sync_version"]
    office_push(office, "interventions", job, base, {"diagnosis": "office's diagnosis"})
    with on(demo_server):
        part = Part.select().order_by(Part.reference).first()
    comment = str(uuid.uuid4())
    changes = {
        "interventions": [{"id": job, "base_version": base, "fields": {"diagnosis": "mine"}}],
        "parts": [{"id": part.id, "base_version": part.sync_version, "fields": {"name": "x"}}],
        "comments": [{"id": comment, "fields": {
            "intervention_id": job, "author_id": tech1.user["id"], "visibility": "internal",
            "body": "Pompe remplacée",
        }}],
    }  # fmt: skip
    batch = str(uuid.uuid4())
    first = tech1.push(changes, batch_id=batch)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert {(a["table"], a["id"]) for a in answer["applied"]} == {
        ("interventions", job), ("comments", comment)
    }  # fmt: skip
    assert [(c["field"], c["lost"]) for c in answer["conflicts"]] == [
        ("diagnosis", "office's diagnosis")
    ]
    assert [r["table"] for r in answer["rejected"]] == ["parts"]
    high = server_version(demo_server)
    after = server_row(demo_server, Intervention, job)
    conflicts = len(conflicts_at(demo_server, job))
    again = tech1.push(changes, batch_id=batch)
    changed = {**changes, "comments": [{**changes["comments"][0], "id": str(uuid.uuid4())}]}
    other_body = tech1.push(changed, batch_id=batch)  # a known batch_id applies nothing
    assert again.status_code == other_body.status_code == 200
    assert again.json() == answer and other_body.json() == answer
    assert server_version(demo_server) == high  # no version taken
    assert server_row(demo_server, Intervention, job) == after
    assert len(conflicts_at(demo_server, job)) == conflicts
    with on(demo_server):
        assert Comment.select().where(Comment.id == comment).count() == 1  # the demo has others
        assert not Comment.select().where(Comment.id == changed["comments"][0]["id"]).exists()
        assert PushBatch.select().where(PushBatch.batch_id == batch).count() == 1


def test_rule3_a_batch_failing_midway_applies_nothing(demo_server, new_device, monkeypatch):
    tech1 = new_device(demo_server)
    job = pick(demo_server, 4)
    before = server_row(demo_server, Intervention, job)
    with tech1.active():
        row = Intervention.get_by_id(job)
        row.diagnosis = "Vanne grippée"
        row.save()
        first = Comment.create(
            intervention=job, author=tech1.user["id"], visibility="internal", body="first"
        )
        failing = Comment.create(
            intervention=job, author=tech1.user["id"], visibility="internal", body="second"
        )
    real_execute = headoffice_push._execute

    def execute(model, writes, device_id):
        if any(w.change.id == failing.id for w in writes):  # an unexpected server error
            raise RuntimeError("disk on fire")
        return real_execute(model, writes, device_id)

    monkeypatch.setattr(headoffice_push, "_execute", execute)
    high = server_version(demo_server)
    with pytest.raises(Exception) as failed:
        tech1.sync()
    assert getattr(failed.value, "status", None) == 500
    batch_id = tech1.transport.pushed[-1]["batch_id"]
    assert len(tech1.transport.pushed[-1]["changes"]["comments"]) == 2
    assert server_version(demo_server) == high
    assert server_row(demo_server, Intervention, job) == before
    assert server_row(demo_server, Comment, first.id) is None
    with on(demo_server):
        assert not PushBatch.select().where(PushBatch.batch_id == batch_id).exists()
    with tech1.active():
        assert SyncOutbox.select().count() == 3  # nothing was marked synced
    monkeypatch.setattr(headoffice_push, "_execute", real_execute)
    report = tech1.sync()  # the saved batch is sent again, whole
    assert report.push.replayed and report.push.applied == 3
    assert tech1.transport.pushed[-1]["batch_id"] == batch_id
    assert server_row(demo_server, Intervention, job)["diagnosis"] == "Vanne grippée"
    assert server_row(demo_server, Comment, failing.id)["body"] == "second"


# === Rule 4: concurrent edits merge per field =============================================


def test_rule4_fields_changed_on_one_side_only_are_all_kept(demo_server, new_device):
    tech1 = new_device(demo_server)
    office = demo_server.login("office")
    job = pick(demo_server, 5)
    with tech1.active():
        row = Intervention.get_by_id(job)
        base = row.sync_version
        row.diagnosis = "Joint de pompe fuyard"
        row.save()
    office_push(office, "interventions", job, base, {"priority": "urgent"})
    report = tech1.sync()
    assert report.push.applied == 1 and report.push.conflicts == 0
    assert tech1.transport.answers[-1]["conflicts"] == []
    merged = server_row(demo_server, Intervention, job)
    assert (merged["diagnosis"], merged["priority"]) == ("Joint de pompe fuyard", "urgent")
    assert conflicts_at(demo_server, job) == []
    with tech1.active():
        local = Intervention.get_by_id(job)
        assert (local.diagnosis, local.priority) == ("Joint de pompe fuyard", "urgent")
        assert local.sync_version == merged["sync_version"]


def test_rule4_the_same_field_changed_on_both_sides_follows_the_table_rule(demo_server, new_device):
    tech1 = new_device(demo_server)
    office = demo_server.login("office")
    diagnosed, cancelled = pick(demo_server, 13), pick(demo_server, 6)
    with tech1.active():
        bases = {}
        for job, field_name, value in (
            (diagnosed, "diagnosis", "device: brûleur encrassé"),
            (cancelled, "status", "en_route"),
        ):
            row = Intervention.get_by_id(job)
            bases[job] = row.sync_version
            setattr(row, field_name, value)
            row.save()
    office_push(office, "interventions", diagnosed, bases[diagnosed], {"diagnosis": "office: ?"})
    office_push(office, "interventions", cancelled, bases[cancelled], {"status": "cancelled"})
    report = tech1.sync()
    assert report.push.applied == 2 and report.push.conflicts == 2
    answered = {(c["id"], c["field"]): c for c in tech1.transport.answers[-1]["conflicts"]}
    expected = {
        (diagnosed, "diagnosis"): ("device", "device: brûleur encrassé", "office: ?"),
        (cancelled, "status"): ("server", "cancelled", "en_route"),  # final status: server
    }
    assert {k: (c["winner"], c["kept"], c["lost"]) for k, c in answered.items()} == expected
    for (job, field_name), (winner, kept, lost) in expected.items():
        assert server_row(demo_server, Intervention, job)[field_name] == kept
        stored = conflicts_at(demo_server, job)
        assert [(c.field, c.winner, c.kept, c.lost) for c in stored] == [
            (field_name, winner, kept, lost)
        ]
        assert stored[0].version == server_row(demo_server, Intervention, job)["sync_version"]
    with tech1.active():
        assert Intervention.get_by_id(cancelled).status == "cancelled"  # the pull brought it
        assert Intervention.get_by_id(diagnosed).diagnosis == "device: brûleur encrassé"
        notices = {(n.row_id, n.field, n.winner) for n in SyncConflictNotice.select()}
        assert notices == {(diagnosed, "diagnosis", "device"), (cancelled, "status", "server")}

    # planning fields: head office wins (two office desktops edit the same job concurrently)
    planner_a = demo_server.login("office")
    planner_b = demo_server.login("office")
    job = pick(demo_server, 7)
    with on(demo_server):
        row = Intervention.get_by_id(job)
        tech2, tech3 = technician_id("tech2"), technician_id("tech3")
    start, end, base = row.scheduled_start, row.scheduled_end, row.sync_version
    iso = "%Y-%m-%dT%H:%M:%S"
    moved = {
        "scheduled_start": (start + timedelta(hours=1)).strftime(iso),
        "scheduled_end": (end + timedelta(hours=2)).strftime(iso),
        "technician_id": tech2,
    }
    office_push(planner_a, "interventions", job, base, moved)
    late = {"scheduled_start": (start - timedelta(hours=1)).strftime(iso), "technician_id": tech3}
    answer = office_push(planner_b, "interventions", job, base, late)
    got = {c["field"]: (c["winner"], c["kept"], c["lost"]) for c in answer["conflicts"]}
    assert got == {
        "scheduled_start": ("server", moved["scheduled_start"], late["scheduled_start"]),
        "technician_id": ("server", tech2, tech3),
    }
    now = server_row(demo_server, Intervention, job)
    assert now["scheduled_start"].strftime(iso) == moved["scheduled_start"]
    assert now["technician"] == tech2
    assert {c.field: c.lost for c in conflicts_at(demo_server, job)} == {
        "scheduled_start": late["scheduled_start"], "technician_id": tech3
    }  # fmt: skip
    restore = {"scheduled_start": start.strftime(iso), "scheduled_end": end.strftime(iso),
               "technician_id": row.technician_id}  # fmt: skip
    office_push(planner_a, "interventions", job, now["sync_version"], restore)


# === Rule 5: deletes are tombstones ========================================================


def keep_blob(device: Device, data: bytes) -> str:
    """Put ``data`` in the device's blob store (where the engine uploads files from)."""
    try:
        from app.media.blob_store import BlobStore
        from app.sync.blobs import default_blob_dir
    except ImportError:  # pragma: no cover - an engine without blob upload sends rows only
        return sha(data)
    with device.active():
        return BlobStore(default_blob_dir()).put_bytes(data)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_comment(device: Device, job: str, body: str) -> Comment:
    with device.active():
        return Comment.create(
            intervention=job, author=device.user["id"], visibility="internal", body=body
        )


def test_rule5_a_delete_is_a_tombstone_with_a_new_version(demo_server, new_device):
    tech1 = new_device(demo_server)
    watcher = demo_server.login("tech1")
    job = pick(demo_server, 8)
    note = new_comment(tech1, job, "Clé du local chez le gardien")
    tech1.sync()
    created = server_row(demo_server, Comment, note.id)
    _, cursor = pull_session(watcher)
    with tech1.active():
        note = Comment.get_by_id(note.id)
        note.deleted = True
        note.save()
    report = tech1.sync()
    assert report.push.applied == 1
    stored = server_row(demo_server, Comment, note.id)
    assert stored is not None and stored["deleted"] is True  # never removed at head office
    assert stored["sync_version"] > created["sync_version"]
    assert stored["body"] == "Clé du local chez le gardien"
    pages, _ = pull_session(watcher, cursor)
    pulled = rows_of(pages)[("comments", note.id)]
    assert pulled["_deleted"] is True and pulled["_version"] == stored["sync_version"]
    with tech1.active():
        assert Comment.get_by_id(note.id).deleted  # the device keeps the tombstone too


def test_rule5_delete_wins_over_a_concurrent_edit_both_ways(demo_server, new_device):
    tech1 = new_device(demo_server)
    office = demo_server.login("office")
    job = pick(demo_server, 8)
    edited_here = new_comment(tech1, job, "Compteur relevé")
    deleted_here = new_comment(tech1, job, "Accès par la cour")
    tech1.sync()
    with tech1.active():
        edited_here, deleted_here = (
            Comment.get_by_id(edited_here.id), Comment.get_by_id(deleted_here.id)
        )  # fmt: skip
    # the office deletes one, and edits the other, while the device works offline
    office_push(office, "comments", edited_here.id, edited_here.sync_version, {}, deleted=True)
    office_push(
        office, "comments", deleted_here.id, deleted_here.sync_version, {"body": "Code 1234A"}
    )
    with tech1.active():
        edited_here.body = "Compteur relevé : 10452"
        edited_here.save()
        deleted_here.deleted = True
        deleted_here.save()
    report = tech1.sync()
    assert report.push.applied == 2 and report.push.rejected == 0
    answered = {c["id"]: c for c in tech1.transport.answers[-1]["conflicts"]}
    for comment, winner, body in (
        (edited_here, "server", "Compteur relevé : 10452"),  # edit pushed on a deleted row
        (deleted_here, "device", "Code 1234A"),  # delete pushed on a row edited since
    ):
        row = server_row(demo_server, Comment, comment.id)
        assert row["deleted"] is True and row["body"] == body  # the edit's values are kept
        conflict = answered[comment.id]
        assert (conflict["field"], conflict["winner"]) == ("_deleted", winner)
        assert conflict["kept"] is True and conflict["version"] == row["sync_version"]
        stored = conflicts_at(demo_server, comment.id)
        assert [(c.field, c.winner, c.kept) for c in stored] == [("_deleted", winner, True)]
        with tech1.active():
            local = Comment.get_by_id(comment.id)
            assert local.deleted and local.body == body


# === Rule 6: signed or validated documents are immutable to technicians ==================


def test_rule6_signed_documents_are_immutable_to_the_technician(demo_server, new_device):
    tech1 = new_device(demo_server)
    job, other = pick(demo_server, 9), pick(demo_server, 10)
    me = tech1.user["id"]
    now = clock.now().replace(microsecond=0)
    with tech1.active():
        second = Intervention.get_by_id(other)
        note = Comment.create(intervention=job, author=me, visibility="client", body="RAS")
        reading = Measurement.create(
            intervention=job, label="Pression", value=1.5, unit="bar", measured_at=now
        )
        signature = Signature.create(
            document_kind="visit_report", intervention=job, signer_name="M. Durand",
            signed_at=now, content_sha256="a" * 64, device_id=tech1.device_id,
            strokes=signature_strokes(),
        )  # fmt: skip
        report = ReportVersion.create(
            intervention=other, kind="visit_report", version=1, status="signed",
            content={"summary": "ok"}, created_by=me,
        )  # fmt: skip
        quote = Quote.create(
            reference=f"DEV-{uuid.uuid4().hex[:8]}", intervention=other,
            customer=second.customer_id, site=second.site_id, status="draft", title="Pompe",
            issued_on=clock.today(), valid_until=clock.today() + timedelta(days=30),
        )  # fmt: skip
        line = QuoteLine.create(
            quote=quote, position=1, description="Pompe", quantity=1,
            unit_price_cents=25000, vat_rate_bp=2000,
        )  # fmt: skip
    assert tech1.sync().push.applied == 6
    with tech1.active():
        for row in (Intervention.get_by_id(job), Quote.get_by_id(quote.id)):
            row.status = "signed"
            row.save()
    assert tech1.sync().push.applied == 2  # signing itself is the technician's to do
    signed = server_row(demo_server, Intervention, job)
    with on(demo_server):
        part = Part.select().order_by(Part.reference).first()
        customer = Customer.get_by_id(second.customer_id)
        item = ChecklistAnswer.select().first().item_id
    refused_values = {
        ("interventions", job): ("diagnosis", "changed after signature"),
        ("comments", note.id): ("body", "changed after signature"),
        ("measurements", reading.id): ("value", 9.5),
        ("signatures", signature.id): ("signer_name", "Someone else"),
        ("report_versions", report.id): ("content", {"summary": "rewritten"}),
        ("quotes", quote.id): ("title", "Two pumps"),
        ("quote_lines", line.id): ("quantity", 2.0),
        ("parts", part.id): ("name", "Renamed part"),
        ("customers", customer.id): ("name", "Renamed customer"),
    }
    with tech1.active():
        for (table, row_id), (column, value) in refused_values.items():
            row = MODELS[table].get_by_id(row_id)
            setattr(row, column, value)
            row.save()
        late_answer = ChecklistAnswer.create(
            intervention=job, item=item, value_text="done", answered_by=me
        )
        follow_up = FollowUp.create(
            intervention=job, kind="quote", description="Chiffrer la pompe", created_by=me
        )
        photo = Attachment.create(
            intervention=job, kind="photo", phase="after", source="camera",
            blob_sha256=keep_blob(tech1, b"photo after"), mime_type="image/jpeg",
            size_bytes=11, created_by=me,
        )  # fmt: skip
    outcome = tech1.sync()
    answer = tech1.transport.answers[-1]
    # after signature, new follow-ups and attachments are still recorded
    applied = {(a["table"], a["id"]) for a in answer["applied"]}
    assert applied == {("follow_ups", follow_up.id), ("attachments", photo.id)}
    refused = {(r["table"], r["id"]): r for r in answer["rejected"]}
    assert set(refused) == {*refused_values, ("checklist_answers", late_answer.id)}
    assert outcome.push.rejected == len(refused)
    reasons = {key: r["reason"] for key, r in refused.items()}
    assert "signed" in reasons[("interventions", job)]
    assert (
        "signed" in reasons[("comments", note.id)]
        and "signed" in reasons[("measurements", reading.id)]
    )
    assert "signature" in reasons[("signatures", signature.id)]
    assert "report version" in reasons[("report_versions", report.id)]
    assert "quote" in reasons[("quotes", quote.id)] and "quote" in reasons[("quote_lines", line.id)]
    assert "Technicians cannot change parts" in reasons[("parts", part.id)]
    assert "Technicians cannot change customers" in reasons[("customers", customer.id)]
    assert refused[("checklist_answers", late_answer.id)]["row"] is None  # not at head office
    assert refused[("interventions", job)]["row"]["status"] == "signed"
    assert refused[("interventions", job)]["row"]["_version"] == signed["sync_version"]
    with tech1.active():
        for (table, row_id), (column, value) in refused_values.items():
            server = server_row(demo_server, MODELS[table], row_id)
            field_name = MODELS[table]._meta.columns[column].name
            assert server[field_name] != value  # nothing of the row was applied
            assert refused[(table, row_id)]["row"][column] == (
                server[field_name] if column != "content" else {"summary": "ok"}
            )
            local = MODELS[table].get_by_id(row_id)
            assert getattr(local, field_name) == server[field_name]  # the device put it back
            kept = SyncRejection.get(
                (SyncRejection.table_name == table) & (SyncRejection.row_id == row_id)
            )
            assert kept.fields[column] == value and kept.reason == reasons[(table, row_id)]
        assert ChecklistAnswer.get_or_none(ChecklistAnswer.id == late_answer.id) is None
        assert SyncOutbox.select().count() == 0
        row = Intervention.get_by_id(job)
        row.status = "submitted"  # the technician's own signed -> submitted
        row.save()
    final = tech1.sync()
    assert (final.push.applied, final.push.rejected) == (1, 0)
    assert server_row(demo_server, Intervention, job)["status"] == "submitted"


# === Rule 7: mark synced only if unchanged since sent; never two syncs at once ===========


def test_rule7_a_field_edited_while_its_push_is_in_flight_stays_pending(demo_server, new_device):
    tech1 = new_device(demo_server)
    job = pick(demo_server, 11)
    with tech1.active():
        row = Intervention.get_by_id(job)
        base = row.sync_version
        row.diagnosis = "first"
        row.save()

    def edit_in_flight(answer: dict) -> None:  # head office answered; not yet recorded here
        again = Intervention.get_by_id(job)
        again.diagnosis = "second"
        again.save()

    tech1.transport.after_push = edit_in_flight
    tech1.sync()
    tech1.transport.after_push = None
    assert (
        tech1.transport.pushed[-1]["changes"]["interventions"][0]["fields"]["diagnosis"] == "first"
    )
    assert server_row(demo_server, Intervention, job)["diagnosis"] == "first"
    with tech1.active():
        pending = SyncOutbox.get(SyncOutbox.row_id == job).fields
        assert set(pending) == {"diagnosis", "updated_at"} and pending["diagnosis"] == 2
        local = Intervention.get_by_id(job)
        assert local.diagnosis == "second"  # the pulled row did not overwrite it
        assert local.sync_version == base  # nor move its version while it is pending
    report = tech1.sync()
    assert report.push.applied == 1 and report.push.conflicts == 0
    server = server_row(demo_server, Intervention, job)
    assert server["diagnosis"] == "second"
    with tech1.active():
        assert SyncOutbox.select().count() == 0
        assert Intervention.get_by_id(job).sync_version == server["sync_version"]


def test_rule7_only_one_synchronize_runs_at_a_time(demo_server, new_device):
    tech1 = new_device(demo_server)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        assert release.wait(20)

    tech1.transport.before_pull = hold
    calls_before = len(tech1.transport.calls)
    reports: list = []
    first = threading.Thread(target=lambda: reports.append(tech1.sync()))
    first.start()
    assert entered.wait(20)
    second = tech1.sync()  # the same device, while the first one is in its pull
    release.set()
    first.join(20)
    assert second.skipped and second.push.rows == 0 and second.pull.pages == 0
    assert len(reports) == 1 and not reports[0].skipped
    assert tech1.transport.calls[calls_before:] == ["pull"]  # only the first one talked


def test_rule7_a_pulled_row_never_overwrites_pending_columns(demo_server, new_device):
    tech1 = new_device(demo_server)
    office = demo_server.login("office")
    job = pick(demo_server, 12)
    with tech1.active():
        row = Intervention.get_by_id(job)
        base = row.sync_version
        row.diagnosis = "device"
        row.save()
    office_push(office, "interventions", job, base, {"diagnosis": "office", "priority": "high"})
    with tech1.active():
        outcome = pull_changes(tech1.transport)  # a pull alone, with the change still pending
        assert outcome.rows >= 1
        local = Intervention.get_by_id(job)
        assert (local.diagnosis, local.priority) == ("device", "high")
        assert local.sync_version == base
        assert "diagnosis" in SyncOutbox.get(SyncOutbox.row_id == job).fields
    report = tech1.sync()  # the push still starts from base: the concurrent edit is seen
    assert tech1.transport.pushed[-1]["changes"]["interventions"][0]["base_version"] == base
    assert report.push.conflicts == 1
    conflict = tech1.transport.answers[-1]["conflicts"][0]
    assert (conflict["field"], conflict["kept"], conflict["lost"]) == (
        "diagnosis",
        "device",
        "office",
    )
    server = server_row(demo_server, Intervention, job)
    assert (server["diagnosis"], server["priority"]) == ("device", "high")


# === Rule 8: blobs are content-addressed =================================================


def stored_files(server: LiveServer) -> list:
    root = server.config.blob_dir
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.parent.name not in ("tmp", "partial")
    )


def test_rule8_a_blob_is_verified_against_its_sha256(demo_server):
    tech1 = demo_server.login("tech1")
    data = os.urandom(2048)
    before = stored_files(demo_server)
    wrong = tech1.put(f"/blobs/{sha(data + b'!')}", data)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "hash_mismatch"
    assert stored_files(demo_server) == before
    assert tech1.head(f"/blobs/{sha(data + b'!')}").status_code == 404
    right = tech1.put(f"/blobs/{sha(data)}", data)
    assert right.status_code == 201 and right.json() == {"sha256": sha(data), "size": 2048}
    path = demo_server.config.blob_dir / sha(data)[:2] / sha(data)[2:4] / sha(data)
    assert path.read_bytes() == data  # stored under its SHA-256


def test_rule8_the_same_bytes_uploaded_twice_are_stored_once(demo_server):
    tech1, office = demo_server.login("tech1"), demo_server.login("office")
    data = os.urandom(5000)
    before = stored_files(demo_server)
    assert tech1.put(f"/blobs/{sha(data)}", data).status_code == 201
    again = office.put(f"/blobs/{sha(data)}", data)  # another user, the same bytes
    assert again.status_code == 200 and again.json() == {"sha256": sha(data), "size": 5000}
    assert tech1.put(f"/blobs/{sha(data)}", data).status_code == 200
    assert len(stored_files(demo_server)) == len(before) + 1
    with on(demo_server):
        assert Blob.select().where(Blob.sha256 == sha(data)).count() == 1


def test_rule8_a_blob_above_the_configured_size_gets_413(demo_server, make_server):
    small = make_server(demo_server.config.db_url, max_blob_bytes=1000)
    tech1 = small.login("tech1")
    too_big = os.urandom(1001)
    answer = tech1.put(f"/blobs/{sha(too_big)}", too_big)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
    ranged = tech1.put(
        f"/blobs/{sha(too_big)}", too_big[:100], headers={"Content-Range": "bytes 0-99/1001"}
    )
    assert ranged.status_code == 413
    assert stored_files(small) == []
    fits = os.urandom(1000)
    assert tech1.put(f"/blobs/{sha(fits)}", fits).status_code == 201
    assert TEST_MAX_BLOB_BYTES > 1001  # the shared server's own limit is larger
    assert demo_server.login("tech1").put(f"/blobs/{sha(too_big)}", too_big).status_code == 201


def test_rule8_an_upload_resumes_with_content_range(demo_server):
    tech1 = demo_server.login("tech1")
    data = os.urandom(300_000)
    name, total = f"/blobs/{sha(data)}", len(data)

    def send(first: int, last: int):
        return tech1.put(
            name, data[first : last + 1], headers={"Content-Range": f"bytes {first}-{last}/{total}"}
        )

    assert send(0, 99_999).status_code == 202
    head = tech1.head(name)  # the connection dropped: where does head office stand?
    assert head.status_code == 404 and head.headers["Upload-Offset"] == "100000"
    assert tech1.get(name).status_code == 404  # a partial blob is never served
    gap = send(150_000, 199_999)
    assert gap.status_code == 409 and gap.headers["Upload-Offset"] == "100000"
    resumed = send(100_000, 199_999)
    assert resumed.status_code == 202 and resumed.json() == {"received": 200_000}
    done = send(200_000, total - 1)
    assert done.status_code == 201 and done.json() == {"sha256": sha(data), "size": total}
    assert tech1.get(name).content == data


def test_rule8_a_blob_is_readable_only_by_users_who_see_a_referencing_row(demo_server):
    tech1, tech2, office = (demo_server.login(u) for u in ("tech1", "tech2", "office"))
    job = pick(demo_server, 0, hidden_from="tech2")

    def attach(client, data: bytes) -> None:
        body = client.push({"attachments": [{"id": str(uuid.uuid4()), "fields": {
            "intervention_id": job, "kind": "photo", "phase": "before", "source": "camera",
            "blob_sha256": sha(data), "mime_type": "image/jpeg", "size_bytes": len(data),
            "created_by_id": client.user["id"],
        }}]})  # fmt: skip
        assert body.status_code == 200 and len(body.json()["applied"]) == 1, body.text

    photo = os.urandom(700)
    name = f"/blobs/{sha(photo)}"
    assert tech1.put(name, photo).status_code == 201
    attach(tech1, photo)  # tech1's attachment on his intervention
    assert tech1.get(name).content == photo
    assert office.get(name).content == photo
    assert tech2.get(name).status_code == 404  # exists, but not for him: looks missing
    assert tech2.head(name).status_code == 404
    # readable through the row, not only by the uploader: the office's photo on tech1's job
    plan = os.urandom(900)
    assert office.put(f"/blobs/{sha(plan)}", plan).status_code == 201
    assert tech1.get(f"/blobs/{sha(plan)}").status_code == 404  # no row references it yet
    attach(office, plan)
    assert tech1.get(f"/blobs/{sha(plan)}").content == plan
    assert tech2.get(f"/blobs/{sha(plan)}").status_code == 404


# === Rule 9: schema versions are exchanged ================================================

# A schema version 2 that makes equipment.power_kw travel (a column the models have): version
# 1 is then the wire without it. Head office and the devices of these tests share the
# declaration (one process); an older app is a device sending an older version.
ADDED = schema.Added(2, "equipment", ("power_kw",))


@pytest.fixture
def schema_v2() -> Iterator[schema.History]:
    with schema.declared(schema.History(added=[ADDED])) as history:
        yield history


def pull_as(client, version: int | None, cursor: str = "", limit: int = 10000):
    headers = dict(client.headers)
    if version is not None:
        headers[schema.SCHEMA_HEADER] = str(version)
    params = {"cursor": cursor, "limit": limit}
    return requests.get(client.server.url("/sync/pull"), params=params, headers=headers, timeout=60)


def session_as(client, version: int | None, cursor: str = "") -> tuple[list[dict], str]:
    pages = []
    for _ in range(100):
        answer = pull_as(client, version, cursor)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = pages[-1]["cursor"]
        if not pages[-1]["has_more"]:
            return pages, cursor
    raise AssertionError("the pull session never ended")


def test_rule9_an_old_schema_device_is_served_the_old_shape(demo_server, schema_v2):
    tech1 = demo_server.login("tech1")
    old = rows_of(session_as(tech1, 1)[0])
    equipment = [r for (t, _), r in old.items() if t == "equipment"]
    assert equipment and all("power_kw" not in r for r in equipment)
    assert all("serial_number" in r for r in equipment)  # the other columns travel
    new = rows_of(session_as(demo_server.login("tech1"), 2)[0])
    assert all("power_kw" in r for (t, _), r in new.items() if t == "equipment")
    assert {k: set(r) for k, r in new.items() if k[0] != "equipment"} == {
        k: set(r) for k, r in old.items() if k[0] != "equipment"
    }
    # no header: an app from before the exchange, which speaks the first version
    bare = rows_of(session_as(demo_server.login("tech1"), None)[0])
    assert all("power_kw" not in r for (t, _), r in bare.items() if t == "equipment")
    # a push is read in the device's shape: version 1 does not know the column
    row_id = equipment[0]["id"]
    change = {"equipment": [{"id": row_id, "base_version": 0, "fields": {"power_kw": 3.0}}]}
    body = {"batch_id": str(uuid.uuid4()), "device_id": tech1.device_id, "changes": change}
    refused = tech1.post("/sync/push", json=body, headers={schema.SCHEMA_HEADER: "1"})
    assert refused.status_code == 400 and "power_kw" in refused.json()["error"]["message"]


def test_rule9_an_upgraded_device_gets_the_new_columns_for_rows_it_holds(
    demo_server, new_device, schema_v2
):
    tech1 = new_device(demo_server, first_sync=False)
    tech1.transport.inner.schema_version = 1  # the app before the upgrade
    assert tech1.sync().pull.full
    with tech1.active():
        held = {e.id: e.power_kw for e in Equipment.select()}
    assert held and set(held.values()) == {None}  # version 1 never carried the column
    tech1.transport.inner.schema_version = None  # the upgraded app speaks version 2
    report = tech1.sync()
    changed = {t for page in tech1.transport.pages[-report.pull.pages :] for t in page["changes"]}
    assert changed == {"equipment"} and report.pull.rows == len(held)  # nothing else re-sent
    with on(demo_server):
        expected = {
            r[0]: r[1]
            for r in Equipment.select(Equipment.id, Equipment.power_kw)
            .where(Equipment.id.in_(list(held)))
            .tuples()
        }
    with tech1.active():
        assert {e.id: e.power_kw for e in Equipment.select()} == expected
    assert any(v is not None for v in expected.values())
    again = tech1.sync()  # settled: the cursor now records version 2
    assert again.pull.rows == 0 and again.pull.pages == 1


def test_rule9_an_upgraded_office_device_gets_the_changed_tables_whole(demo_server, schema_v2):
    office = demo_server.login("office")
    _, cursor = session_as(office, 1)
    pages, cursor = session_as(office, 2, cursor)
    sent = rows_of(pages)
    with on(demo_server):
        expected = {e.id: e.power_kw for e in Equipment.select()}
    assert {t for t, _ in sent} == {"equipment"}
    assert {i: r["power_kw"] for (_, i), r in sent.items()} == expected
    pages, _ = session_as(office, 2, cursor)
    assert [p["changes"] for p in pages] == [{}]


def test_rule9_a_device_too_old_or_too_new_gets_a_clear_error(demo_server, new_device):
    tech1 = demo_server.login("tech1")
    with schema.declared(schema.History(added=[ADDED], oldest=2)):
        outdated = pull_as(tech1, 1)
        assert outdated.status_code == 426
        assert outdated.json()["error"]["code"] == "schema_outdated"
        assert "Update the app" in outdated.json()["error"]["message"]
        assert pull_as(tech1, None).status_code == 426  # no header: the first version
        assert pull_as(tech1, 2).status_code == 200
    too_new = schema.current().version + 1  # one above what head office speaks
    newer = pull_as(tech1, too_new)
    assert newer.status_code == 400 and newer.json()["error"]["code"] == "schema_too_new"
    assert "update head office" in newer.json()["error"]["message"]
    body = {"batch_id": str(uuid.uuid4()), "device_id": tech1.device_id, "changes": {}}
    pushed = tech1.post("/sync/push", json=body, headers={schema.SCHEMA_HEADER: str(too_new)})
    assert pushed.status_code == 400 and pushed.json()["error"]["code"] == "schema_too_new"
    bad = requests.get(
        demo_server.url("/sync/pull"),
        headers={**tech1.headers, schema.SCHEMA_HEADER: "two"},
        timeout=60,
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    # the device: a typed error that tells the technician what to do, nothing applied
    device = new_device(demo_server, first_sync=False)
    device.transport.inner.schema_version = too_new
    with pytest.raises(RemoteError) as error, device.active():
        synchronize(device.transport)
    assert error.value.code == "schema_too_new" and error.value.key == "sync.schema_too_new"
    with device.active():
        assert Equipment.select().count() == 0


def test_rule9_a_session_left_open_starts_again_in_the_new_shape(demo_server, schema_v2):
    office = demo_server.login("office")
    _, cursor = session_as(office, 1)
    with on(demo_server), db.atomic():  # three new versions: a session of several pages
        touched = [c.id for c in Customer.select(Customer.id).order_by(Customer.id).limit(3)]
        for row_id in touched:
            Customer.update(sync_version=take_version()).where(Customer.id == row_id).execute()
    first = pull_as(office, 1, cursor, limit=1).json()
    assert first["has_more"] and [r["id"] for r in first["changes"]["customers"]] == touched[:1]
    pages, _ = session_as(office, 2, first["cursor"])  # the app was upgraded meanwhile
    sent = rows_of(pages)
    assert {i for t, i in sent if t == "customers"} == set(touched)  # from v0 again
    with on(demo_server):
        expected = {e.id: e.power_kw for e in Equipment.select()}
    assert {i: r["power_kw"] for (t, i), r in sent.items() if t == "equipment"} == expected
    assert {t for t, _ in sent} == {"customers", "equipment"}
