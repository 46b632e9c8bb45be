"""Head office in several processes on one PostgreSQL database (docs/headoffice.md).

- Two ``main.py serve`` processes share one fresh database (and one blob store: the local
  directory, or a bucket of the S3-compatible server on loopback); real devices
  (``app.sync.engine.synchronize`` over ``HttpTransport``) send each request to the next
  process in turn, as a load balancer with nothing sticky would. Pushes, pulls, conflicts,
  a batch replayed on the other process and a blob upload resumed on the other process all
  follow the sync rules.
- ``serve --workers 2`` (gunicorn) answers from both workers, ran the one-time work once, and
  stops cleanly on SIGTERM.
- Processes opening a fresh database at the same moment migrate it once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg2
import pytest
import requests
from server_support import (
    DEMO_PASSWORD,
    PG_ADMIN,
    ROOT,
    Client,
    LiveServer,
    free_port,
    make_bucket,
    open_intervention_of,
    running_serve,
    s3_env,
    visible_interventions,
)

from app.models import Attachment, Comment, Intervention, db
from app.sync import tracking
from app.sync.engine import synchronize
from app.sync.store import SyncConflictNotice, SyncOutbox, ensure_device_id, open_device_db
from app.sync.transport import HttpTransport
from headoffice.database import close_database, open_database
from headoffice.models import Blob, PushBatch, SyncConflict
from headoffice.versions import committed_version

pytestmark = pytest.mark.postgres
CHUNK = 64 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Alternating:
    """Sends each request of a transport to the next head office process in turn.
    ``drop[(method, n)]``: the n-th request of that method fails ``before`` it is sent or
    ``after`` (its answer lost); ``served``: (process index, method, path) of each request."""

    def __init__(self, transport: HttpTransport, bases: list[str]) -> None:
        self.api = transport.api
        self.bases = bases
        self.turn = 0
        self.served: list[tuple[int, str, str]] = []
        self.drop: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._request = transport.session.request
        transport.session.request = self.request

    def request(self, method, url, **kwargs):
        path = url[len(self.api) :]
        with self._lock:
            index = self.turn % len(self.bases)
            self.turn += 1
            nth = self._seen.get(method, 0)
            self._seen[method] = nth + 1
            mode = self.drop.pop((method, nth), None)
            if mode != "before":
                self.served.append((index, method, path.split("?")[0]))
        if mode == "before":
            raise requests.ConnectionError("connection reset (test)")
        response = self._request(method, self.bases[index] + path, **kwargs)
        if mode == "after":
            raise requests.ConnectionError("connection reset after sending (test)")
        return response

    def processes(self, method: str, path: str = "") -> set[int]:
        return {i for i, m, p in self.served if m == method and p.startswith(path)}


@dataclass
class Device:
    database: object
    transport: HttpTransport
    router: Alternating
    user: dict

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        with db.using(self.database):
            yield

    def sync(self):
        with self.active():
            return synchronize(self.transport)


@dataclass
class TwoProcesses:
    bases: list[str]
    headoffice: object  # the database, read by the test thread
    blob_store: str
    s3: object | None
    data_dir: object

    def device(self, tmp_path, username: str) -> Device:
        database = open_device_db(tmp_path / f"device-{username}-{uuid.uuid4().hex[:6]}.db")
        db.initialize(self.headoffice)  # the test thread stays on head office unless routed
        transport = HttpTransport(self.bases[0], retries=2, backoff=0.05, blob_chunk=CHUNK)
        router = Alternating(transport, self.bases)
        with db.using(database):
            user = transport.login(username, DEMO_PASSWORD, ensure_device_id())["user"]
        return Device(database, transport, router, user)

    def client(self, index: int, username: str) -> Client:
        return LiveServer(self.bases[index], None, None, None).login(username)

    def stored(self, sha256: str) -> bytes | None:
        """The blob's bytes in the shared store (directory or bucket), None if absent."""
        if self.s3 is None:
            path = self.data_dir / "headoffice-blobs" / sha256[:2] / sha256[2:4] / sha256
            return path.read_bytes() if path.is_file() else None
        from headoffice.s3 import S3BlobFiles

        files = S3BlobFiles(self.s3)
        try:
            if not files.has(sha256):
                return None
            with contextlib.closing(files.open(sha256)) as body:
                return body.read()
        finally:
            files.close()


@pytest.fixture
def two_processes(pg_url, tmp_path, blob_store, request) -> Iterator[TwoProcesses]:
    s3, env = None, {}
    if blob_store == "s3":
        s3 = make_bucket(request.getfixturevalue("s3_endpoint"))
        env = s3_env(s3)
    data = tmp_path / "data"  # one data directory: one seal, one blob directory
    tracking.install()
    with (
        running_serve(data, "--db", pg_url, "--demo", env=env, timeout=120) as first,
        running_serve(data, "--db", pg_url, env=env) as second,
    ):
        headoffice = open_database(pg_url)
        try:
            yield TwoProcesses([first.base, second.base], headoffice, blob_store, s3, data)
        finally:
            tracking.uninstall()
            close_database(headoffice)
            db.initialize(None)


def test_devices_alternating_between_two_processes_follow_the_sync_rules(two_processes, tmp_path):
    ho = two_processes
    tech = ho.device(tmp_path, "tech1")
    office = ho.device(tmp_path, "office")

    # rule 1: a first sync whose pages come from both processes is the technician's scope
    first = tech.sync()
    assert first.pull.full and not first.skipped
    assert tech.router.processes("GET", "/sync/pull") == {0, 1}
    expected = visible_interventions("tech1")
    with tech.active():
        assert {i.id for i in Intervention.select()} == expected
    assert office.sync().pull.full

    # a push to one process is pulled through the other
    job = open_intervention_of("tech1")
    with tech.active():
        row = Intervention.get_by_id(job.id)
        row.diagnosis = "Brûleur encrassé (processus alternés)"
        row.save()
    assert tech.sync().push.applied == 1
    assert Intervention.get_by_id(job.id).diagnosis == "Brûleur encrassé (processus alternés)"
    office.sync()
    with office.active():
        assert Intervention.get_by_id(job.id).diagnosis == "Brûleur encrassé (processus alternés)"

    # rule 4: the same field changed on both sides; the office writes through process 1, the
    # technician's device through whichever comes; the table's rule decides (device wins
    # the diagnosis), recorded once, and the office receives the winner
    base = Intervention.get_by_id(job.id).sync_version
    office_client = ho.client(1, "office")
    answer = office_client.push(
        {"interventions": [{"id": job.id, "base_version": base, "fields": {"diagnosis": "?"}}]}
    )
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text
    with tech.active():
        row = Intervention.get_by_id(job.id)
        row.diagnosis = "Échangeur détartré"
        row.save()
    report = tech.sync()
    assert (report.push.applied, report.push.conflicts) == (1, 1)
    stored = list(SyncConflict.select().where(SyncConflict.row_id == job.id))
    assert [(c.field, c.winner, c.kept, c.lost) for c in stored] == [
        ("diagnosis", "device", "Échangeur détartré", "?")
    ]
    with tech.active():
        assert {(n.row_id, n.winner) for n in SyncConflictNotice.select()} == {(job.id, "device")}
    office.sync()
    with office.active():
        assert Intervention.get_by_id(job.id).diagnosis == "Échangeur détartré"

    # rule 3: a batch whose answer was lost is sent again, to the other process: applied once
    with tech.active():
        comment = Comment.create(
            intervention=job.id, author=tech.user["id"], visibility="internal",
            body="Rejoué sur l'autre processus",
        )  # fmt: skip
    posts = sum(1 for _, m, _ in tech.router.served if m == "POST")
    tech.router.drop[("POST", posts)] = "after"
    report = tech.sync()
    assert report.push.applied == 1
    sent, replayed = [i for i, m, p in tech.router.served if p == "/sync/push"][-2:]
    assert sent != replayed  # the replay reached the other process
    assert Comment.select().where(Comment.id == comment.id).count() == 1
    with tech.active():
        assert SyncOutbox.select().count() == 0

    # the same batch id and body, by plain HTTP: process 1 answers what process 0 answered
    a = ho.client(0, "tech1")
    b = Client(LiveServer(ho.bases[1], None, None, None), a.token, a.device_id, a.user)
    changes = {"comments": [{"id": str(uuid.uuid4()), "fields": {
        "intervention_id": job.id, "author_id": a.user["id"], "visibility": "internal",
        "body": "Même lot, deux processus",
    }}]}  # fmt: skip
    batch_id = str(uuid.uuid4())
    once = a.push(changes, batch_id=batch_id)
    assert once.status_code == 200, once.text
    high = committed_version()
    twice = b.push(changes, batch_id=batch_id)
    assert twice.status_code == 200 and twice.json() == once.json()
    assert committed_version() == high  # no version taken by the replay
    assert PushBatch.select().where(PushBatch.batch_id == batch_id).count() == 1
    assert Comment.select().where(Comment.id == changes["comments"][0]["id"]).count() == 1

    # rule 8: a blob in chunks that alternate between the processes, one answer lost: the
    # device asks the next process where the upload stands and goes on from there
    data = os.urandom(5 * CHUNK + 123)
    from app.media.blob_store import BlobStore

    with tech.active():
        photo_sha = BlobStore(tmp_path / "device-blobs").put_bytes(data)
    puts = sum(1 for _, m, _ in tech.router.served if m == "PUT")
    tech.router.drop[("PUT", puts + 2)] = "after"
    with tech.active():
        attachment = Attachment.create(
            intervention=job.id, kind="photo", phase="before", source="camera",
            blob_sha256=photo_sha, mime_type="image/jpeg", size_bytes=len(data),
            created_by=tech.user["id"],
        )  # fmt: skip
        report = synchronize(tech.transport, blob_dir=tmp_path / "device-blobs")
    assert report.blobs.sent == 1 and report.push.applied == 1
    assert tech.router.processes("PUT", "/blobs/") == {0, 1}
    assert Blob.get_by_id(photo_sha).size == len(data)
    assert ho.stored(photo_sha) == data
    assert Attachment.get_or_none(Attachment.id == attachment.id) is not None

    # by plain HTTP: the first half to process 0, the offset and the rest from process 1
    other = os.urandom(3 * CHUNK)
    name = f"/blobs/{sha(other)}"

    def chunk(client, first, last):
        headers = {"Content-Range": f"bytes {first}-{last}/{len(other)}"}
        return client.put(name, other[first : last + 1], headers=headers)

    assert chunk(a, 0, CHUNK - 1).status_code == 202
    head = b.head(name)
    assert head.status_code == 404 and head.headers["Upload-Offset"] == str(CHUNK)
    assert chunk(b, CHUNK, 2 * CHUNK - 1).json() == {"received": 2 * CHUNK}
    assert chunk(a, CHUNK, 2 * CHUNK - 1).status_code == 409  # not where the upload stands
    done = chunk(a, 2 * CHUNK, 3 * CHUNK - 1)
    assert done.status_code == 201, done.text
    assert b.get(name).content == other and a.get(name).content == other
    assert ho.stored(sha(other)) == other

    # rule 2, in the end: every intervention the technician holds is at head office's version
    tech.sync()
    with tech.active():
        held = {i.id: i.sync_version for i in Intervention.select()}
    at_headoffice = {
        i.id: i.sync_version for i in Intervention.select().where(Intervention.id.in_(list(held)))
    }
    assert held == at_headoffice
    tech.transport.close()
    office.transport.close()
    tech.database.close()
    office.database.close()


# --- serve --workers N ----------------------------------------------------------------------

HEALTH_LINE = re.compile(r'^<(\d+)> \S+ "GET /api/v1/health HTTP/1\.1" 200 ', re.MULTILINE)


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.add(int(entry))
    return found


def database_sessions(url: str) -> int:
    con = psycopg2.connect(connect_timeout=5, **PG_ADMIN)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                (url.rsplit("/", 1)[1],),
            )
            return cur.fetchone()[0]
    finally:
        con.close()


def test_serve_with_two_workers_answers_from_both_and_stops_cleanly(pg_url, tmp_path):
    port = free_port()
    log_path = tmp_path / "workers.log"
    command = [
        sys.executable, "main.py", "serve", "--data-dir", str(tmp_path / "data"),
        "--db", pg_url, "--port", str(port), "--workers", "2", "--threads", "2",
        "--access-log", "--demo",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log_path.read_text()
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        # the master forks its workers one after the other: the first may answer before
        # the second exists (seen in CI under load)
        while len(workers := children_of(process.pid)) < 2:
            assert time.monotonic() < deadline, (workers, log_path.read_text())
            time.sleep(0.2)
        assert len(workers) == 2, workers

        # new connections until both workers have answered (bounded: 40 rounds of 16)
        def health(_):
            answer = requests.get(f"{base}/health", headers={"Connection": "close"}, timeout=10)
            return answer.status_code, answer.json()["status"]

        answered: set[int] = set()
        with ThreadPoolExecutor(8) as pool:
            for _ in range(40):
                assert set(pool.map(health, range(16))) == {(200, "ok")}
                time.sleep(0.2)  # the access log is written after the answer
                answered = {int(p) for p in HEALTH_LINE.findall(log_path.read_text())}
                if answered >= workers:
                    break
        assert answered == workers  # each worker process answered /health, nobody else
        # a token issued by one worker is good on any: sign in, then pull on new connections
        login = requests.post(f"{base}/auth/login", timeout=30, json={
            "username": "tech1", "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4()),
        })  # fmt: skip
        assert login.status_code == 200, login.text
        token = {"Authorization": f"Bearer {login.json()['token']}", "Connection": "close"}
        for _ in range(4):
            pulled = requests.get(f"{base}/sync/pull", headers=token, timeout=30,
                                  params={"cursor": "", "limit": 10})  # fmt: skip
            assert pulled.status_code == 200, pulled.text

        # what must happen once happened once, in the master, before the workers
        text = log_path.read_text()
        assert text.count("demo seal certificate created") == 1
        assert text.count("created head office schema") == 1
        assert text.count("Demo data:") == 1

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log_path.read_text()
    assert "Shutting down: Master" in text
    assert text.count("Terrain head office stopped") == 1  # the master's, not each worker's
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
    assert database_sessions(pg_url) == 0  # every worker closed its pool


def test_serve_refuses_several_workers_where_they_cannot_run(tmp_path, monkeypatch, capsys):
    from app.cli import main
    from headoffice.cli import serve

    args = ["serve", "--data-dir", str(tmp_path), "--workers", "2"]
    assert main(args, serve=serve) == 2  # SQLite: one process
    assert "Several worker processes need PostgreSQL" in capsys.readouterr().err
    monkeypatch.setattr(sys, "platform", "win32")
    assert main([*args, "--db", "postgresql://postgres@127.0.0.1/x"], serve=serve) == 2
    assert "does not run on Windows" in capsys.readouterr().err
    assert not (tmp_path / "headoffice-seal").exists()  # refused before anything was made


# --- migrations --------------------------------------------------------------------------

OPENER = """
import pathlib, sys, time
from headoffice.database import close_database, open_database
ready, go = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.002)
close_database(open_database(sys.argv[1]))
"""


def test_processes_opening_a_new_database_together_migrate_it_once(pg_url, tmp_path):
    from app.models.database import DOMAIN_SCHEMA
    from headoffice.models import SERVER_SCHEMAS

    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", OPENER, pg_url]
    openers = [
        subprocess.Popen(
            [*command, str(tmp_path / f"ready-{n}"), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in range(4)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(openers):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    go.touch()  # all four open the empty database at once
    outputs = [opener.communicate(timeout=120)[0].decode() for opener in openers]
    assert [o.returncode for o in openers] == [0] * 4, outputs
    dsn = {**PG_ADMIN, "dbname": pg_url.rsplit("/", 1)[1]}
    con = psycopg2.connect(connect_timeout=5, **dsn)
    try:
        with con.cursor() as cur:
            for schema in SERVER_SCHEMAS:
                cur.execute(f'SELECT version FROM "{schema.version_table}" ORDER BY version')
                assert [r[0] for r in cur.fetchall()] == [m.version for m in schema.migrations]
            cur.execute('SELECT count(*) FROM "sync_counters"')
            assert cur.fetchone()[0] == 1
    finally:
        con.close()
    assert DOMAIN_SCHEMA in SERVER_SCHEMAS


# --- the e-mail delivery worker of each process -----------------------------------------


def test_delivery_workers_of_several_processes_never_take_the_same_delivery(pg_url):
    """Each worker process runs its own delivery thread: a due delivery is claimed by one of
    them only (a conditional update of its row), whatever their number."""
    from headoffice.mail import DeliveryPolicy, DeliveryWorker, SmtpSettings
    from headoffice.models import EmailDelivery

    databases = [open_database(pg_url) for _ in range(4)]  # one pool each, as processes have
    try:
        with db.using(databases[0]):
            ids = [str(uuid.uuid4()) for _ in range(80)]
            EmailDelivery.insert_many(
                [{"report_version_id": i, "intervention_id": i, "recipient": "a@b.fr"} for i in ids]
            ).execute()
        workers = [DeliveryWorker(d, SmtpSettings(), DeliveryPolicy()) for d in databases]
        claimed: list[list[str]] = [[] for _ in workers]
        round_ = [None] * len(workers)
        # in lockstep: every round, all workers claim at the same moment (the same rows due)
        barrier = threading.Barrier(len(workers))

        def claim_all(index: int) -> None:
            with db.using(databases[index]):
                while True:
                    barrier.wait(60)
                    delivery = workers[index]._claim()
                    round_[index] = delivery
                    if delivery is not None:
                        claimed[index].append(delivery.report_version_id)
                    barrier.wait(60)
                    if all(d is None for d in round_):
                        break
                    barrier.wait(60)  # everyone read the round before it is overwritten
                db.close()

        threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(workers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        everything = [i for taken in claimed for i in taken]
        assert sorted(everything) == sorted(ids)  # each once: none twice, none forgotten
    finally:
        for database in databases:
            close_database(database)


def test_serve_in_one_process_stops_cleanly_on_sigterm(pg_url, tmp_path):
    with running_serve(tmp_path / "data", "--db", pg_url, "--demo", timeout=120) as served:
        client = LiveServer(served.base, None, None, None).login("office")
        assert client.get("/sync/pull", params={"cursor": "", "limit": 10}).status_code == 200
        assert database_sessions(pg_url) >= 1  # the pool keeps its connection
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=60) == 0, served.log()
    assert "Terrain head office stopped" in served.log()
    assert database_sessions(pg_url) == 0  # threads stopped, connections closed
