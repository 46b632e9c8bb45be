"""Support for the sync fault, simulation and concurrency tests.

Several device databases and a head office share one process: each device's work runs in
``db.using(its_db)`` (the routing is per thread), head office's requests are routed by its
own middleware, so nothing here switches the process-wide binding.

- ``DirectTransport``: a Transport calling head office's core in this thread (no HTTP);
- ``build_world`` / ``World``: a head office with the small demo data and extra technicians,
  and one device database per user after its first full sync, built once and copied;
- ``wire_rows`` / ``replica_differences``: compare a device with head office, field by field.
"""

from __future__ import annotations

import json
import secrets
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from peewee import Database

from app import clock
from app.models import Intervention, Technician, User, Vehicle, db, utcnow
from app.models.enums import Role
from app.sync import schema
from app.sync.engine import synchronize
from app.sync.push_request import parse_push
from app.sync.schema import MODELS, TABLES
from app.sync.store import SyncOutbox, ensure_device_id, get_state, open_device_db
from app.sync.wire import dumps, loads, row_to_wire
from headoffice.auth import principal_of, token_hash
from headoffice.database import open_database
from headoffice.models import Device, DeviceToken
from headoffice.pull import pull, redact, select_by_column
from headoffice.push import push
from headoffice.scope import Principal, scope_queries
from headoffice.versions import stamp_unversioned


def wire(obj):
    """What JSON would carry."""
    return loads(dumps(obj))


class DirectTransport:
    """A Transport (app.sync.remote) served by head office's core in the calling thread."""

    prefetch = False  # ``db.using`` routes the calling thread only

    def __init__(self, server: Database, today: date | None = None) -> None:
        self.server = server
        self.today = today or clock.today()
        self.who: Principal | None = None
        self.device_id: str | None = None

    def health(self) -> dict:
        return {"status": "ok"}

    def login(self, username: str, password: str, device_id: str) -> dict:
        with db.using(self.server):
            user = User.get(User.username == username)
            self.who = principal_of(user)
            Device.insert(id=device_id, user=user.id).on_conflict_ignore().execute()
        self.device_id = device_id
        return {"token": "direct", "user": {"id": user.id, "role": user.role, "name": ""}}

    def pull(self, cursor: str, limit: int) -> dict:
        version = schema.current().version  # as HttpTransport sends it (rule 9)
        with db.using(self.server):
            page = pull(self.who, self.device_id, cursor, limit, self.today, schema_version=version)
            return wire(page.to_json())

    def push(self, body: dict) -> dict:
        request = parse_push(wire(body), schema.current().version)
        with db.using(self.server):
            return wire(push(self.who, self.device_id, request, self.today))

    def has_blob(self, sha256: str) -> bool:  # pragma: no cover - no blobs in these tests
        return False

    def upload_offset(self, sha256: str) -> int | None:  # pragma: no cover
        return None

    def put_blob(self, sha256: str, path, progress=None) -> dict:  # pragma: no cover
        raise NotImplementedError

    def get_blob(self, sha256: str, dest_path) -> None:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass


# --- comparing replicas ---------------------------------------------------------------------


def device_rows(table: str) -> dict[str, dict]:
    """Every row of ``table`` in the routed database (device or head office), as pulled
    wire rows."""
    cursor = db.execute_sql(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cursor.description]
    rows = (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
    return {r["id"]: row_to_wire(table, r) for r in rows}


def server_rows(table: str, ids=None) -> dict[str, dict]:
    """Rows of ``table`` in the routed head-office database (all, or those of ``ids``)."""
    model = MODELS[table]
    query = select_by_column(model)
    if ids is not None:
        query = query.where(model.id.in_(ids))
    return {r["id"]: row_to_wire(table, r) for r in query.dicts()}


def scope_ids(who: Principal, today: date) -> dict[str, set[str]] | None:
    """Routed to head office: table -> ids ``who`` may see (None: everything)."""
    scope = scope_queries(who, today)
    if scope is None:
        return None
    return {t: {r[0] for r in scope[t].tuples()} for t in TABLES if t in scope}


def server_snapshot(server: Database) -> dict[str, dict[str, dict]]:
    """Every row at head office: table -> id -> wire row."""
    with db.using(server):
        return {t: device_rows(t) for t in TABLES}


def expected_replica(
    server: Database, who: Principal, today: date, snapshot: dict | None = None
) -> dict[str, dict]:
    """What a device of ``who`` must hold after a complete sync: table -> id -> wire row."""
    snapshot = snapshot or server_snapshot(server)
    with db.using(server):
        scope = scope_ids(who, today)
    if scope is None:
        return snapshot
    return {  # in scope, others' contact details blanked (headoffice.pull.redact)
        t: {i: redact(who, t, dict(r)) for i, r in rows.items() if t not in scope or i in scope[t]}
        for t, rows in snapshot.items()
    }


def replica_differences(device: Database, expected: dict[str, dict], limit: int = 20) -> list:
    """Differences between a device database and ``expected``; [] when they are equal."""
    problems: list = []
    with db.using(device):
        for table in TABLES:
            have, want = device_rows(table), expected[table]
            for row_id in sorted(set(have) | set(want)):
                mine, theirs = have.get(row_id), want.get(row_id)
                if mine == theirs:
                    continue
                if mine is None or theirs is None:
                    problems.append((table, row_id, "missing" if mine is None else "extra"))
                else:
                    fields = {k: (mine[k], theirs[k]) for k in theirs if mine.get(k) != theirs[k]}
                    problems.append((table, row_id, fields))
                if len(problems) >= limit:
                    return problems
    return problems


def outbox_is_empty(device: Database) -> bool:
    with db.using(device):
        return SyncOutbox.select().count() == 0 and not get_state("pending_batch")


# --- a small world: head office, technicians, devices -------------------------------------

SIM_TECHS = 6  # technicians (the small demo has 3: tech4.. are added)


@dataclass
class WorldTemplate:
    """Files of a head office and its devices after a first full sync, to be copied."""

    directory: Path
    users: list[str]  # device user names, office first
    tokens: dict[str, str]  # user name -> bearer token
    today: date

    @property
    def server_file(self) -> Path:
        return self.directory / "server.db"


def build_world(directory: Path, today: date, techs: int = SIM_TECHS) -> WorldTemplate:
    """Head office (SQLite) with the small demo data spread over ``techs`` technicians, and
    one device per user (office + technicians), each synced once."""
    from app.demo import generate

    directory.mkdir(parents=True, exist_ok=True)
    server = open_database(f"sqlite:///{directory / 'server.db'}")
    with db.using(server):
        generate(size="small", today=today)
        tech_ids = [t.id for t in Technician.select().order_by(Technician.id)]
        for index in range(len(tech_ids) + 1, techs + 1):
            user = User.create(
                username=f"tech{index}",
                password_hash="!",
                display_name=f"Technicien {index}",
                role=Role.TECHNICIAN,
            )
            tech = Technician.create(user=user.id)
            Vehicle.create(registration=f"SIM-{index:03d}", technician=tech.id)
            tech_ids.append(tech.id)
        jobs = Intervention.select(Intervention.id).where(Intervention.technician.is_null(False))
        for n, job in enumerate(jobs.order_by(Intervention.reference)):
            Intervention.update(technician=tech_ids[n % len(tech_ids)]).where(
                Intervention.id == job.id
            ).execute()
        stamp_unversioned()
        users = ["office", *(f"tech{i}" for i in range(1, techs + 1))]
    tokens: dict[str, str] = {}
    for username in users:
        device = open_device_db(directory / f"{username}.db")
        with db.using(device):
            device_id = ensure_device_id()
            transport = DirectTransport(server, today)
            transport.login(username, "", device_id)
            synchronize(transport, blob_dir=directory / "blobs")
        with db.using(server):
            token = secrets.token_urlsafe(24)
            DeviceToken.create(
                user=User.get(User.username == username).id,
                device_id=device_id,
                token_hash=token_hash(token),
                expires_at=utcnow() + timedelta(days=30),
            )
        tokens[username] = token
        device.close()
    server.close()
    db.initialize(None)
    (directory / "tokens.json").write_text(json.dumps(tokens))
    return WorldTemplate(directory, users, tokens, today)


@dataclass
class DeviceHandle:
    username: str
    database: Database
    who: Principal
    device_id: str
    token: str
    extra: dict = field(default_factory=dict)


def copy_world(template: WorldTemplate, target: Path) -> Path:
    """Copy the template's files to ``target`` (a new directory)."""
    target.mkdir(parents=True, exist_ok=False)
    for name in ["server.db", *(f"{u}.db" for u in template.users)]:
        shutil.copy2(template.directory / name, target / name)
    return target


def open_devices(template: WorldTemplate, directory: Path, server: Database) -> list[DeviceHandle]:
    handles = []
    for username in template.users:
        database = open_device_db(directory / f"{username}.db")
        with db.using(database):
            device_id = ensure_device_id()
        with db.using(server):
            who = principal_of(User.get(User.username == username))
        handles.append(DeviceHandle(username, database, who, device_id, template.tokens[username]))
    return handles


def new_id() -> str:
    return str(uuid.uuid4())
