"""In-process head office for device sync tests: ``LocalTransport`` and the databases.

``LocalTransport`` calls ``headoffice.push.push`` / ``headoffice.pull.pull`` directly against
a second SQLite database. Both sides use the one global ``db`` proxy, so each call switches
the proxy to the server database and back, under a lock. Limitation: while a call runs, every
model query *in the process* goes to the server database — so tests must not touch the
device database from another thread during a transport call (the sync engine calls the
transport outside its transactions, so a single-threaded test is safe). Answers go through
``dumps``/``loads`` so the device sees exactly what JSON would carry.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from peewee import Database

from app import clock
from app.errors import AuthError, TransportError
from app.models import Technician, User, db
from app.sync import schema, tracking
from app.sync.push_request import parse_push
from app.sync.store import SyncOutbox, ensure_device_id, open_device_db
from app.sync.wire import dumps, loads
from headoffice.database import open_database
from headoffice.demo import build_demo
from headoffice.models import Device
from headoffice.pull import pull
from headoffice.push import push
from headoffice.scope import Principal
from headoffice.versions import take_version

_switch = threading.RLock()


@contextmanager
def using(database: Database) -> Iterator[None]:
    """Point the models at ``database`` for the duration of the block."""
    with _switch:
        previous = db.obj
        db.initialize(database)
        try:
            yield
        finally:
            db.initialize(previous)


def wire(obj):
    return loads(dumps(obj))


class LocalTransport:
    """A Transport (app.sync.remote) served by the head-office core in this process.

    Test hooks: ``before_push_answer(answer)`` runs on the device database after head office
    committed a push and before the answer is returned; ``lose_push_answers = n`` makes the
    next n pushes commit at head office and then fail as if the network dropped the answer.
    """

    # ``using`` repoints the models' one database proxy: no pull on a helper thread.
    prefetch = False

    def __init__(self, server: Database, today: date | None = None) -> None:
        self.server = server
        self.today = today or clock.today()
        self.who: Principal | None = None
        self.device_id: str | None = None
        self.before_push_answer: Callable[[dict], None] | None = None
        self.lose_push_answers = 0
        self.pushed: list[dict] = []  # bodies as sent
        self.pulls = 0
        self.offline = False

    def _check(self) -> Principal:
        if self.offline:
            raise TransportError("No network or head office unreachable (local).")
        if self.who is None:
            raise AuthError("Not signed in.", hint="Sign in again.")
        return self.who

    def health(self) -> dict:
        return {"status": "ok", "version": "test", "schema_version": schema.current().version}

    def login(self, username: str, password: str, device_id: str) -> dict:
        with using(self.server):
            user = User.get_or_none(User.username == username)
            if user is None:
                raise AuthError("Unknown user.")
            tech = Technician.get_or_none(Technician.user == user.id)
            self.who = Principal(user.id, user.role, tech.id if tech else None, user.display_name)
            Device.insert(id=device_id, user=user.id).on_conflict_ignore().execute()
        self.device_id = device_id
        return {"token": "local", "user": {"id": user.id, "role": user.role, "name": ""}}

    def pull(self, cursor: str, limit: int) -> dict:
        who = self._check()
        self.pulls += 1
        version = schema.current().version  # as HttpTransport sends it (rule 9)
        with using(self.server):
            page = pull(who, self.device_id, cursor, limit, self.today, schema_version=version)
            return wire(page.to_json())

    def push(self, body: dict) -> dict:
        who = self._check()
        self.pushed.append(body)
        request = parse_push(wire(body), schema.current().version)
        with using(self.server):
            answer = wire(push(who, self.device_id, request, self.today))
        if self.before_push_answer is not None:
            self.before_push_answer(answer)
        if self.lose_push_answers:
            self.lose_push_answers -= 1
            raise TransportError("The connection dropped before the answer arrived.")
        return answer

    def has_blob(self, sha256: str) -> bool:
        """Blobs are not served here (tests/test_sync_blobs.py uses a real server): every
        blob counts as present, so the engine's blob step never holds a row back."""
        return True

    def upload_offset(self, sha256: str) -> int | None:  # pragma: no cover
        return None

    def put_blob(self, sha256: str, path, progress=None) -> dict:  # pragma: no cover
        raise NotImplementedError

    def get_blob(self, sha256: str, dest_path) -> None:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass

    def server_row(self, model, row_id: str) -> dict | None:
        """A head-office row (field names), read through the proxy switch."""
        with using(self.server):
            return model.select().where(model.id == row_id).dicts().first()

    def on_server(self, fn: Callable[[], object]):
        with using(self.server):
            return fn()


def build_server_template(path: Path, today: date) -> Path:
    """Demo data ('small') at head office, versioned; made once per test session."""
    build_demo(f"sqlite:///{path}", today=today)
    return path


def open_server_copy(template: Path, path: Path) -> Database:
    shutil.copy2(template, path)
    server = open_database(f"sqlite:///{path}")
    server.connect(reuse_if_open=True)
    return server


def open_device(path: Path) -> Database:
    return open_device_db(path)


# --- fixtures (imported by the sync test modules) ----------------------------------------

TODAY = clock.today()


@pytest.fixture(scope="session")
def server_template(tmp_path_factory):
    return build_server_template(tmp_path_factory.mktemp("headoffice") / "template.db", TODAY)


@dataclass
class Env:
    """A device database bound to the models, and head office behind ``transport``."""

    server: Database
    device: Database
    transport: LocalTransport

    def outbox(self) -> dict[tuple[str, str], dict]:
        return {(o.table_name, o.row_id): o.fields for o in SyncOutbox.select()}

    def server_update(self, model, row_id: str, **values) -> int:
        """A change made at head office (a new version), e.g. by the office."""
        with using(self.server), db.atomic():
            version = take_version()
            model.update(sync_version=version, **values).where(model.id == row_id).execute()
        return version


@pytest.fixture
def env(tmp_path, server_template):
    """tech1's device (change tracking installed), signed in to a fresh head office copy."""
    server = open_server_copy(server_template, tmp_path / "server.db")
    device = open_device(tmp_path / "device.db")
    tracking.install()
    transport = LocalTransport(server, TODAY)
    transport.login("tech1", "demo", ensure_device_id())
    yield Env(server, device, transport)
    tracking.uninstall()
    device.close()
    server.close()
    db.initialize(None)
