"""Fault injection: a real head office on loopback, real device databases, real failures.

On SQLite and PostgreSQL (``backend``), each test on a private copy of the demo data:

- head office unreachable (a closed port): ``TransportError``, nothing lost, the next sync
  succeeds;
- the connection dropped after head office committed a push and before the answer (a TCP
  proxy that forwards the request and resets the client's connection instead of relaying
  the answer): the retry resends the same ``batch_id`` and nothing is applied twice;
- the device process killed -9 inside a pull page's apply transaction, and again at a
  random moment: no partial page is ever left, the restarted sync resumes from the saved
  cursor and the device ends with exactly its scope;
- head office (``main.py serve``) killed -9 and restarted on the same port and data, between
  two pull pages, between push and pull, and while a push is in flight: the sync completes
  on retry, nothing lost or duplicated.
"""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import contextlib
import json
import random
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from server_support import copy_demo_database, free_port, running_serve
from sim_support import DirectTransport, expected_replica, replica_differences
from sync_support import TODAY, open_server_copy, server_template  # noqa: F401

from app import clock
from app.errors import TransportError
from app.models import Comment, Intervention, Technician, User, db
from app.sync import tracking
from app.sync.apply import CURSOR
from app.sync.engine import synchronize
from app.sync.push import PENDING_BATCH
from app.sync.schema import TABLES
from app.sync.store import (
    SyncConflictNotice,
    SyncOutbox,
    ensure_device_id,
    get_state,
    open_device_db,
)
from app.sync.transport import HttpTransport
from headoffice.auth import principal_of
from headoffice.database import open_database
from headoffice.models import PushBatch, SyncConflict, SyncCounter
from headoffice.versions import take_version

ROOT = Path(__file__).resolve().parent.parent
OPEN = ("planned", "assigned", "en_route", "in_progress")


# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def head_office(backend, demo_db_url, make_server, tmp_path):
    """A live head office on a private copy of the demo data (SQLite or PostgreSQL)."""
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    server = make_server(url)
    yield server
    server.stop()
    cleanup()


@pytest.fixture
def device(tmp_path):
    """A device database with change tracking; its work runs in ``db.using(device)``."""
    database = open_device_db(tmp_path / "device.db")
    tracking.install()
    yield database
    tracking.uninstall()
    database.close()


def signed_in(base: str, username: str = "tech1", **options) -> HttpTransport:
    transport = HttpTransport(base, **options)
    transport.login(username, "demo", ensure_device_id())
    return transport


def own_open_job(username: str = "tech1") -> Intervention:
    tech = Technician.get(Technician.user == User.get(User.username == username).id)
    return (
        Intervention.select()
        .where((Intervention.technician == tech.id) & Intervention.status.in_(OPEN))
        .order_by(Intervention.id)
        .first()
    )


def on_server(database, fn):
    with db.using(database):
        return fn()


def version_counter() -> int:
    return SyncCounter.get(SyncCounter.name == "version").value


def converged(server_db, device_db, username: str = "tech1") -> list:
    """Differences between the device and its scope at head office ([] when equal)."""

    who = on_server(server_db, lambda: principal_of(User.get(User.username == username)))
    return replica_differences(device_db, expected_replica(server_db, who, clock.today()))


def local_rows() -> dict[str, set[str]]:
    rows = {}
    for table in TABLES:
        rows[table] = {r[0] for r in db.execute_sql(f'SELECT id FROM "{table}"').fetchall()}
    return rows


# --- unreachable ----------------------------------------------------------------------


def test_unreachable_head_office_loses_nothing(head_office, device):
    with db.using(device):
        transport = signed_in(head_office.base)
        synchronize(transport)
        job = own_open_job()
        job.diagnosis = "écrit hors ligne"
        job.save()
        author = User.get(User.username == "tech1")
        note = Comment.create(
            intervention=job.id, author=author, visibility="internal", body="Accès par la cour"
        )
        dead = HttpTransport(
            f"http://127.0.0.1:{free_port()}", token=transport.token, retries=1, backoff=0.01
        )
        with pytest.raises(TransportError):
            synchronize(dead)
        assert {o.row_id for o in SyncOutbox.select()} == {job.id, note.id}
        assert get_state(PENDING_BATCH) is not None  # saved before sending, kept
    assert (
        on_server(head_office.database, lambda: Comment.get_or_none(Comment.id == note.id)) is None
    )
    assert on_server(head_office.database, lambda: PushBatch.select().count()) == 0
    with db.using(device):
        report = synchronize(transport)
        assert report.push.replayed and report.push.applied == 2
        assert SyncOutbox.select().count() == 0 and get_state(PENDING_BATCH) is None
    stored = on_server(head_office.database, lambda: Intervention.get_by_id(job.id))
    assert stored.diagnosis == "écrit hors ligne"
    assert on_server(head_office.database, lambda: Comment.get_by_id(note.id)).body
    assert on_server(head_office.database, lambda: PushBatch.select().count()) == 1
    assert converged(head_office.database, device) == []


# --- the answer lost after head office committed -------------------------------------


def _read_message(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 message (head, body) with a Content-Length body; None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n", body


class AnswerDroppingProxy:
    """A TCP proxy on 127.0.0.1 in front of head office. It forwards every request; for the
    next ``drop_pushes`` pushes it reads head office's answer and resets the client's
    connection instead of relaying it (head office committed, the device never knows)."""

    def __init__(self, upstream_base: str) -> None:
        host_port = upstream_base.split("//", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/v1"
        self.drop_pushes = 0
        self.pushes: list[dict] = []  # bodies of the pushes that reached head office
        self.dropped = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        try:
            while True:
                request = _read_message(client)
                if request is None:
                    return
                upstream.sendall(request[0] + request[1])
                answer = _read_message(upstream)
                if answer is None:
                    return
                first_line = request[0].split(b"\r\n", 1)[0]
                if first_line.startswith(b"POST") and b"/sync/push" in first_line:
                    with self._lock:
                        self.pushes.append(json.loads(request[1]))
                        drop = self.drop_pushes > 0
                        self.drop_pushes -= drop
                        self.dropped += drop
                    if drop:  # reset, not a clean close: the answer is lost for good
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        return
                client.sendall(answer[0] + answer[1])
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


def _offline_edits_with_a_conflict(head_office) -> tuple[Intervention, Comment]:
    """On the device (routed): edits of an intervention the office changed meanwhile."""
    job = own_open_job()
    office = head_office.login("office")
    answer = office.push(
        {
            "interventions": [
                {"id": job.id, "base_version": job.sync_version, "fields": {"summary": "O"}}
            ]
        }
    )
    assert answer.status_code == 200, answer.text
    job.summary, job.diagnosis = "T", "diagnostic du technicien"
    job.save()
    author = User.get(User.username == "tech1")
    note = Comment.create(intervention=job.id, author=author, visibility="client", body="Fait")
    return job, note


def _server_counts(job_id: str, note_id: str) -> dict:
    return {
        "version": version_counter(),
        "batches": PushBatch.select().count(),
        "conflicts": SyncConflict.select().where(SyncConflict.row_id == job_id).count(),
        "comments": Comment.select().where(Comment.id == note_id).count(),
        "job_version": Intervention.get_by_id(job_id).sync_version,
    }


@pytest.mark.parametrize("retries", [2, 0], ids=["transport-retry", "next-sync"])
def test_an_answer_lost_after_commit_is_not_applied_twice(head_office, device, retries):
    proxy = AnswerDroppingProxy(head_office.base)
    try:
        with db.using(device):
            transport = signed_in(proxy.base, retries=retries, backoff=0.05)
            synchronize(transport)
            job, note = _offline_edits_with_a_conflict(head_office)
        before = on_server(head_office.database, version_counter)
        proxy.drop_pushes = 1
        with db.using(device):
            if retries:  # the transport resends at once (push is safe to repeat)
                report = synchronize(transport)
                assert not report.push.replayed
            else:  # the cycle fails; the next one resends the saved batch
                with pytest.raises(TransportError):
                    synchronize(transport)
                assert get_state(PENDING_BATCH)["body"] == proxy.pushes[-1]
                report = synchronize(transport)
                assert report.push.replayed
        assert proxy.dropped == 1 and len(proxy.pushes) == 2
        first, second = proxy.pushes
        assert first == second  # the same batch_id and body
        counts = on_server(head_office.database, lambda: _server_counts(job.id, note.id))
        # applied once: two rows with one version each, one conflict (summary), one comment,
        # one stored batch (plus the office's)
        assert counts["version"] == before + 2 and counts["batches"] == 2
        assert counts["conflicts"] == 1 and counts["comments"] == 1
        assert (
            on_server(
                head_office.database,
                lambda: PushBatch.select().where(PushBatch.batch_id == first["batch_id"]).count(),
            )
            == 1
        )
        with db.using(device):
            assert SyncOutbox.select().count() == 0 and get_state(PENDING_BATCH) is None
            notices = list(SyncConflictNotice.select())
            assert [(n.field, n.winner, n.kept, n.lost) for n in notices] == [
                ("summary", "device", "T", "O")
            ]
        stored = on_server(head_office.database, lambda: Intervention.get_by_id(job.id))
        assert (stored.summary, stored.diagnosis) == ("T", "diagnostic du technicien")
        assert converged(head_office.database, device) == []
    finally:
        proxy.close()


# --- the device killed -9 during a pull --------------------------------------------------


class DeviceProcess:
    """tests/fault_device.py running a sync; its JSON events are read as they come."""

    def __init__(
        self, db_path: Path, base: str, limit: int, stall: int = 0, username: str = "tech1"
    ) -> None:
        command = [sys.executable, str(ROOT / "tests" / "fault_device.py"), str(db_path), base]
        command += [username, str(limit), str(stall)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.events: list[dict] = []

    def next_event(self) -> dict | None:
        line = self.process.stdout.readline()
        if not line:
            return None
        event = json.loads(line)
        self.events.append(event)
        return event

    def wait_for(self, predicate, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event()
            if event is None:
                raise AssertionError(f"the device exited: {self.process.stderr.read()}")
            if predicate(event):
                return event
        raise AssertionError("timed out waiting for the device")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        for line in self.process.stdout:  # what it printed before dying
            self.events.append(json.loads(line))

    def finish(self) -> dict:
        out, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err
        self.events += [json.loads(line) for line in out.splitlines()]
        return self.events[-1]

    def pages(self) -> tuple[dict[int, list], int]:
        """Ids of each page applied, and the last page known committed."""
        applied = {e["applying"]: e["ids"] for e in self.events if "applying" in e}
        committed = max((e["committed"] for e in self.events if "committed" in e), default=0)
        return applied, committed


def _holds(ids) -> bool:
    """Does the (routed) device hold every one of ``ids`` ([table, id] pairs)?"""
    return all(db.execute_sql(f'SELECT 1 FROM "{t}" WHERE id = ?', (i,)).fetchone() for t, i in ids)


def _holds_none(ids) -> bool:
    return not any(
        db.execute_sql(f'SELECT 1 FROM "{t}" WHERE id = ?', (i,)).fetchone() for t, i in ids
    )


def _check_whole_pages(path: Path, run: DeviceProcess, held_before: int) -> None:
    """After a kill: the device holds exactly the pages it committed, never part of one."""
    database = open_device_db(path)
    try:
        with db.using(database):
            applied, committed = run.pages()
            rows = sum(map(len, local_rows().values()))
            total = held_before + sum(len(applied[n]) for n in applied if n <= committed)
            after = committed + 1  # its commit may have happened just before the kill
            if after in applied and _holds(applied[after]) and applied[after]:
                committed, total = after, total + len(applied[after])
            elif after in applied:
                assert _holds_none(applied[after]), "a partial page was left"
            assert rows == total, (rows, total)
            assert all(_holds(applied[n]) for n in applied if n <= committed)
            assert get_state(CURSOR) or committed == 0
    finally:
        database.close()


def test_a_device_killed_during_a_pull_resumes_without_partial_pages(head_office, tmp_path):
    path, limit = tmp_path / "killed.db", 40
    # 1. killed -9 inside the apply transaction of page 6
    first = DeviceProcess(path, head_office.base, limit, stall=6)
    first.wait_for(lambda e: e.get("applying") == 6)
    first.kill()
    applied, committed = first.pages()
    assert committed == 5
    _check_whole_pages(path, first, 0)
    with db.using(open_device_db(path)) as database:
        assert _holds_none(applied[6]) and _holds(applied[5])
        held = sum(map(len, local_rows().values()))
    database.close()
    # 2. restarted, then killed -9 at a random moment of the pull
    second = DeviceProcess(path, head_office.base, limit)
    second.wait_for(lambda e: "committed" in e)
    time.sleep(random.uniform(0, 0.5))
    second.kill()
    assert not any(e.get("done") for e in second.events), "the pull ended too soon"
    _check_whole_pages(path, second, held)
    # 3. restarted again: it resumes from the saved cursor and completes
    third = DeviceProcess(path, head_office.base, limit)
    done = third.finish()
    assert done["done"] and not done["full"]  # resumed, not pulled from the start
    database = open_device_db(path)
    try:
        assert converged(head_office.database, database) == []
        with db.using(database):
            assert SyncOutbox.select().count() == 0
            pages_in_all = 5 + second.pages()[1] + done["pages"]
            expected_rows = sum(map(len, local_rows().values()))
        assert pages_in_all <= expected_rows // limit + 3  # nothing pulled twice over
    finally:
        database.close()


def _device_indexes(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
        return {name for (name,) in rows}
    finally:
        con.close()


def test_a_first_sync_killed_halfway_ends_with_exactly_head_offices_rows(head_office, tmp_path):
    """The office's first sync (everything, loaded without secondary indexes and without
    fsync: ``app.sync.bulk.loading``) killed -9 at a random moment between its second and
    its last page: the database is intact, whole pages only, its indexes back when it is
    opened; restarted, the sync resumes and the device holds exactly head office's rows,
    with a cursor that is up to date (the next sync brings nothing)."""
    fresh, path, limit = tmp_path / "fresh.db", tmp_path / "office.db", 150
    open_device_db(fresh).close()
    indexes = _device_indexes(fresh)
    assert len(indexes) > 100  # the device's secondary indexes are part of what is checked
    run = DeviceProcess(path, head_office.base, limit, username="office")
    run.wait_for(lambda e: e.get("committed") == 2)
    time.sleep(random.uniform(0, 0.3))
    run.kill()
    assert not any(e.get("done") for e in run.events), "the first sync ended before the kill"
    con = sqlite3.connect(path)  # as the file was left, before Terrain opens it again
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert len(_device_indexes(path)) < len(indexes)  # killed inside the load
    finally:
        con.close()
    _check_whole_pages(path, run, 0)  # opens it: the dropped indexes are built again
    assert _device_indexes(path) == indexes
    again = DeviceProcess(path, head_office.base, limit, username="office")
    done = again.finish()
    assert done["done"] and not done["full"]  # resumed from its cursor, not from the start
    database = open_device_db(path)
    try:
        assert converged(head_office.database, database, "office") == []
        with db.using(database):
            for table in TABLES:
                ids = db.execute_sql(f'SELECT COUNT(*), COUNT(DISTINCT id) FROM "{table}"')
                total, distinct = ids.fetchone()
                assert total == distinct, table
            assert db.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute_sql("PRAGMA synchronous").fetchone() == (1,)  # NORMAL again
            transport = signed_in(head_office.base, "office")
            try:
                assert transport.pull(get_state(CURSOR), limit)["changes"] == {}
                report = synchronize(transport)
            finally:
                transport.close()
            assert (report.pull.rows, report.pull.evicted, report.pull.pages) == (0, 0, 1)
        assert _device_indexes(path) == indexes
    finally:
        database.close()


# --- head office killed -9 and restarted -------------------------------------------------


class RestartableServe:
    """``main.py serve`` on a fixed port and database, killed -9 and restarted at will."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.data_dir, self.url, self.port = data_dir, url, free_port()
        self.stack: contextlib.ExitStack | None = None
        self.restarts = 0
        self.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> None:
        stack = contextlib.ExitStack()
        self.served = stack.enter_context(
            running_serve(self.data_dir, "--db", self.url, port=self.port)
        )
        self.stack = stack

    def kill(self) -> None:
        self.served.process.kill()
        self.served.process.wait(10)
        self.stack.close()

    def restart_later(self, delay: float = 0.2) -> threading.Thread:
        def again():
            time.sleep(delay)
            self.start()
            self.restarts += 1

        thread = threading.Thread(target=again, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        if self.served.process.poll() is None:
            self.kill()


class Hooked:
    """A transport calling ``after_push(answer)`` / ``after_pull(n)`` after each answer."""

    def __init__(self, inner, after_push=None, after_pull=None) -> None:
        self.inner, self.after_push, self.after_pull, self.pulls = inner, after_push, after_pull, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def push(self, body):
        answer = self.inner.push(body)
        if self.after_push:
            self.after_push(answer)
        return answer

    def pull(self, cursor, limit):
        page = self.inner.pull(cursor, limit)
        self.pulls += 1
        if self.after_pull:
            self.after_pull(self.pulls)
        return page


@pytest.fixture
def restartable(backend, demo_db_url, tmp_path):
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    data_dir = tmp_path / "headoffice"
    data_dir.mkdir()
    serve = RestartableServe(data_dir, url)
    database = open_database(url)  # to check head office's state from here
    yield serve, database
    serve.stop()
    close_all = getattr(database, "close_all", None)
    close_all() if close_all else database.close()
    cleanup()


@pytest.mark.slow
def test_head_office_restarted_mid_sync_loses_and_duplicates_nothing(restartable, device):
    serve, server_db = restartable
    with db.using(device):
        # 1. killed between two pull pages of the first sync, back while the device retries
        transport = signed_in(serve.base, retries=6, backoff=0.2)
        restarts: list[threading.Thread] = []

        def kill_after_page(n: int) -> None:
            if n == 3:
                serve.kill()
                restarts.append(serve.restart_later())

        report = synchronize(Hooked(transport, after_pull=kill_after_page), pull_limit=300)
        assert report.pull.full and report.pull.pages > 3 and serve.restarts == 1
    assert converged(server_db, device) == []
    with db.using(device):
        # 2. killed between push and pull: the cycle fails, the next one completes
        job = own_open_job()
        job.diagnosis = "avant la panne"
        job.save()
        author = User.get(User.username == "tech1")
        notes = [
            Comment.create(intervention=job.id, author=author, visibility="internal", body=f"n{i}")
            for i in range(300)
        ]
        quick = HttpTransport(serve.base, token=transport.token, retries=1, backoff=0.05)
        with pytest.raises(TransportError):
            synchronize(Hooked(quick, after_push=lambda answer: serve.kill()))
        assert SyncOutbox.select().count() == 0  # the answer was recorded before the kill
        serve.start()
        report = synchronize(quick)
        assert report.push.rows == 0 and report.pull.rows >= 301
    assert converged(server_db, device) == []
    batches = on_server(server_db, lambda: PushBatch.select().count())
    assert batches == 1
    with db.using(device):
        # 3. killed while a push is in flight (before or after its commit): retried until
        #    head office is back, applied once
        for note in notes[:200]:
            note.body += " (modifié)"
            note.save()
        before = on_server(server_db, version_counter)
        killer = threading.Timer(random.uniform(0.0, 0.15), serve.kill)

        def restart_when_dead():
            killer.join()
            restarts.append(serve.restart_later(0.1))

        killer.start()
        watcher = threading.Thread(target=restart_when_dead, daemon=True)
        watcher.start()
        report = synchronize(transport)
        watcher.join(30)
        for thread in restarts:
            thread.join(30)
        assert report.push.rows == 200
    assert on_server(server_db, version_counter) == before + 200  # each change once
    assert on_server(server_db, lambda: PushBatch.select().count()) == batches + 1
    assert (
        on_server(
            server_db, lambda: Comment.select().where(Comment.body.endswith("(modifié)")).count()
        )
        == 200
    )
    assert converged(server_db, device) == []


# --- a pull page lost, then its rows leave the scope ----------------------------------------


class LosesPulls:
    """Head office serves the next ``n`` pull pages (and records them), the device never
    gets them."""

    def __init__(self, inner, n: int = 1) -> None:
        self.inner, self.n = inner, n

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def pull(self, cursor, limit):
        page = self.inner.pull(cursor, limit)
        if self.n:
            self.n -= 1
            raise TransportError("the connection dropped before the page arrived")
        return page


def test_a_lost_page_does_not_make_head_office_forget_held_rows(tmp_path, server_template):
    """A row the device holds is sent again (it changed), that page is lost, then the row
    leaves the device's scope: head office must still evict it (it still knows the device
    holds it from an earlier page)."""
    server = open_server_copy(server_template, tmp_path / "server.db")
    device = open_device_db(tmp_path / "device.db")
    try:
        with db.using(device):
            transport = DirectTransport(server, TODAY)
            transport.login("tech1", "demo", ensure_device_id())
            synchronize(transport)
            job = own_open_job()
        with db.using(server):
            tech2 = Technician.get(Technician.user == User.get(User.username == "tech2").id).id
            mine = [
                i.id
                for i in Intervention.select().where(
                    (Intervention.site == job.site_id)
                    & (Intervention.technician == transport.who.technician_id)
                )
            ]
            with db.atomic():
                Intervention.update(
                    diagnosis="changé au bureau", sync_version=take_version()
                ).where(Intervention.id == job.id).execute()
        with db.using(device), pytest.raises(TransportError):
            synchronize(LosesPulls(transport))
        with db.using(server), db.atomic():
            for row_id in mine:  # the site leaves tech1's scope
                Intervention.update(technician=tech2, sync_version=take_version()).where(
                    Intervention.id == row_id
                ).execute()
        with db.using(device):
            report = synchronize(transport)
            assert report.pull.evicted > 0
            assert Intervention.get_or_none(Intervention.id == job.id) is None
        assert converged(server, device) == []
    finally:
        device.close()
        server.close()
