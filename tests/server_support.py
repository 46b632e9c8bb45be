"""Head office test support: live servers on loopback, PostgreSQL databases, demo data.

Loaded as a pytest plugin by ``conftest.py``. Fixtures:

- ``pg_url``: a fresh, empty PostgreSQL database ``terrain_test_<uuid>`` (dropped after);
- ``backend``: ``"sqlite"`` / ``"postgresql"`` (session-scoped parameter);
- ``demo_server``: one live server per backend on a copy of the small demo data, shared by
  the session (built on first use, see ``KeptForTheSession``); it is bound to the models
  before each test and the sign-in failures are cleared (tests use fresh device ids, so they
  do not see each other's devices);
- ``make_server``: a function that starts a live server on a given database URL;
- ``s3_endpoint``: a real S3-compatible server on loopback (moto's standalone server, in a
  thread of the test process), shared by the session; ``make_bucket(endpoint)`` a new bucket;
- ``blob_server``: ``demo_server`` with its blobs in the local directory or in a bucket
  (parameter ``local`` / ``s3``): ``blob_keys(server)`` and ``blob_bytes(server, sha)``
  read what either store holds.

Helpers: ``running_serve()`` starts ``main.py serve`` as a subprocess (for restart tests).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from conftest import require

from app import clock
from headoffice.database import admin_sql
from headoffice.demo import build_demo

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"
DEMO_PASSWORD = "demo"
TEST_MAX_BLOB_BYTES = 1024 * 1024  # small, so "too large" is cheap to test


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_reachable() -> bool:
    try:
        import psycopg2
    except ImportError:
        return False
    try:
        psycopg2.connect(connect_timeout=3, **PG_ADMIN).close()
    except psycopg2.Error:
        return False
    return True


def create_pg_database(template: str | None = None) -> tuple[str, str]:
    """Create ``terrain_test_<uuid>`` (a copy of ``template`` if given); returns name, URL."""
    name = f"terrain_test_{uuid.uuid4().hex}"
    admin_sql(
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""), **PG_ADMIN
    )
    return name, PG_URL.format(name=name)


def drop_pg_database(name: str) -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', **PG_ADMIN)


def _close_database(database) -> None:
    close_all = getattr(database, "close_all", None)  # the PostgreSQL pool
    if close_all is not None:
        close_all()
    elif not database.is_closed():
        database.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    require(pg_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres)")
    name, url = create_pg_database()
    yield url
    from app.models import db

    if db.obj is not None and getattr(db.obj, "database", None) == name:
        _close_database(db.obj)
    drop_pg_database(name)


# --- an S3-compatible object store on loopback --------------------------------------------

S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free loopback port (a real HTTP server: boto3 talks
    to it over TCP as it would to any object store)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def make_bucket(endpoint: str, prefix: str = ""):
    """A new bucket on ``endpoint``; its ``S3Settings`` (moto takes any credentials)."""
    from headoffice.s3 import S3Settings

    settings = S3Settings(
        bucket=f"terrain-test-{uuid.uuid4().hex[:12]}",
        prefix=prefix,
        endpoint_url=endpoint,
        region=S3_REGION,
        access_key_id="test",
        secret_access_key="test",
    )
    client = s3_client(settings)
    client.create_bucket(Bucket=settings.bucket)
    client.close()
    return settings


def s3_client(settings):
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )


def s3_env(settings) -> dict[str, str]:
    """The environment that points ``serve`` at ``settings``' bucket."""
    return {
        "TERRAIN_BLOB_STORE": settings.url,
        "TERRAIN_S3_ENDPOINT": settings.endpoint_url,
        "TERRAIN_S3_REGION": settings.region,
        "TERRAIN_S3_ACCESS_KEY_ID": settings.access_key_id,
        "TERRAIN_S3_SECRET_ACCESS_KEY": settings.secret_access_key,
    }


def blob_keys(server) -> list[str]:
    """What the server's blob store holds (relative paths / keys), but its ``tmp`` area."""
    s3 = server.config.s3
    if s3 is None:
        root = server.config.blob_dir
        files = (p for p in root.rglob("*") if p.is_file())
        return sorted(str(p.relative_to(root)) for p in files if p.parent.name != "tmp")
    from headoffice.s3 import S3BlobFiles

    files = S3BlobFiles(s3)
    try:
        return sorted(k for k in files.list_keys() if not k.startswith("tmp/"))
    finally:
        files.close()


def blob_tmp(server) -> list[str]:
    """What is left in the store's ``tmp`` area (nothing, once a request ended)."""
    s3 = server.config.s3
    if s3 is None:
        return sorted(p.name for p in (server.config.blob_dir / "tmp").iterdir())
    from headoffice.s3 import S3BlobFiles

    files = S3BlobFiles(s3)
    try:
        return sorted(k for k in files.list_keys() if k.startswith("tmp/"))
    finally:
        files.close()


def blob_bytes(server, sha256: str) -> bytes | None:
    """The bytes stored under the blob's own name (file or key), None if absent."""
    s3 = server.config.s3
    if s3 is None:
        path = server.config.blob_dir / sha256[:2] / sha256[2:4] / sha256
        return path.read_bytes() if path.is_file() else None
    from headoffice.s3 import S3BlobFiles

    files = S3BlobFiles(s3)
    try:
        if not files.has(sha256):
            return None
        with contextlib.closing(files.open(sha256)) as body:
            return body.read()
    finally:
        files.close()


# --- demo data ------------------------------------------------------------------------------


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


class KeptForTheSession:
    """What is built once, on first use, under a key, and closed when the session ends.

    For what a test gets per backend: a session fixture parametrised by ``backend`` is torn
    down and built again each time the backend changes from one test to the next, which is
    once per test file when pytest-xdist hands each process whole files (scripts/test.sh);
    built in a test-scoped fixture from here, each is built once per process instead, and
    the tests of a backend share it for the whole session, as they did in one process."""

    def __init__(self) -> None:
        self._built: dict[object, object] = {}
        self.stack = contextlib.ExitStack()  # closes in the reverse order of building

    def get(self, key, build):
        """``build(stack)`` the first time ``key`` is asked for; the same value after."""
        if key not in self._built:
            self._built[key] = build(self.stack)
        return self._built[key]


@pytest.fixture(scope="session")
def _kept() -> Iterator[KeptForTheSession]:
    kept = KeptForTheSession()
    with kept.stack:
        yield kept


def _build_demo_database(backend: str, tmp_path_factory, stack: contextlib.ExitStack) -> str:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("demo-sqlite") / "headoffice.db"
        build_demo(f"sqlite:///{path}")
        return f"sqlite:///{path}"
    require(pg_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres)")
    name, url = create_pg_database()
    stack.callback(drop_pg_database, name)
    build_demo(url)
    return url


@pytest.fixture
def demo_db_url(backend, _kept, tmp_path_factory) -> str:
    """A database URL holding the demo data, built once per backend for the session (read
    it or copy it with ``copy_demo_database``, never write to it)."""
    return _kept.get(
        ("demo-db", backend), lambda stack: _build_demo_database(backend, tmp_path_factory, stack)
    )


def copy_demo_database(demo_url: str, tmp_dir: Path) -> tuple[str, object]:
    """A private copy of the demo database; returns its URL and a cleanup function."""
    if demo_url.startswith("sqlite:///"):
        target = tmp_dir / f"copy-{uuid.uuid4().hex[:8]}.db"
        shutil.copy2(demo_url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}", lambda: None
    template = demo_url.rsplit("/", 1)[1]
    name, url = create_pg_database(template=template)
    return url, lambda: drop_pg_database(name)


# --- live servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A head office app served by waitress in a background thread."""

    base: str  # http://127.0.0.1:<port>/api/v1
    database: object
    config: object
    _server: object = field(repr=False)  # headoffice.server.HeadOfficeServer

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def bind(self) -> None:
        """Point the models at this server's database (the test process shares them)."""
        from app.models import db

        db.initialize(self.database)

    def login(
        self, username: str, password: str = DEMO_PASSWORD, device_id: str | None = None
    ) -> Client:
        device_id = device_id or str(uuid.uuid4())
        answer = requests.post(
            self.url("/auth/login"),
            json={"username": username, "password": password, "device_id": device_id},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return Client(self, body["token"], device_id, body["user"])

    def stop(self) -> None:
        self._server.stop()  # sockets, threads and the app's connections
        _close_database(self.database)  # the test thread's own connection


@dataclass
class Client:
    """A signed-in device: its token, device id and user, with authorised requests."""

    server: LiveServer
    token: str
    device_id: str
    user: dict

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.server.url(path), headers=self.headers, timeout=60, **kwargs)

    def head(self, path: str, **kwargs) -> requests.Response:
        return requests.head(self.server.url(path), headers=self.headers, timeout=60, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.post(self.server.url(path), headers=headers, timeout=60, **kwargs)

    def put(self, path: str, data: bytes, headers: dict | None = None) -> requests.Response:
        return requests.put(
            self.server.url(path),
            data=data,
            headers={**self.headers, **(headers or {})},
            timeout=60,
        )

    def push(self, changes: dict, batch_id: str | None = None) -> requests.Response:
        body = {"batch_id": batch_id or str(uuid.uuid4()), "device_id": self.device_id}
        return self.post("/sync/push", json={**body, "changes": changes})

    def pull_all(self, limit: int = 5000) -> dict[str, dict[str, dict]]:
        """Pull every page; returns table -> id -> row."""
        rows: dict[str, dict[str, dict]] = {}
        cursor = ""
        for _ in range(1000):
            answer = self.get("/sync/pull", params={"cursor": cursor, "limit": limit})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            for table, table_rows in page["changes"].items():
                rows.setdefault(table, {}).update({r["id"]: r for r in table_rows})
            cursor = page["cursor"]
            if not page["has_more"]:
                return rows
        raise AssertionError("pull never ended")


def start_live_server(url: str, blob_dir: Path, **config) -> LiveServer:
    from headoffice.app import ServerConfig, create_app
    from headoffice.database import open_database
    from headoffice.server import HeadOfficeServer

    settings = ServerConfig(db_url=url, blob_dir=blob_dir, **config)
    database = open_database(url, lock_timeout=settings.lock_timeout)
    server = HeadOfficeServer(create_app(settings, database), host="127.0.0.1", port=0)
    server.start()
    return LiveServer(f"http://127.0.0.1:{server.port}/api/v1", database, settings, server)


def _start_demo_server(demo_url: str, tmp: Path, stack: contextlib.ExitStack, **config):
    url, cleanup = copy_demo_database(demo_url, tmp)
    stack.callback(cleanup)
    server = start_live_server(url, tmp / "blobs", max_blob_bytes=TEST_MAX_BLOB_BYTES, **config)
    stack.callback(server.stop)
    return server


@pytest.fixture
def _demo_server(backend, demo_db_url, _kept, tmp_path_factory) -> LiveServer:
    """The live server on a copy of the demo data, one per backend for the session."""
    return _kept.get(
        ("demo-server", backend),
        lambda stack: _start_demo_server(
            demo_db_url, tmp_path_factory.mktemp("demo-server"), stack
        ),
    )


@pytest.fixture
def demo_server(_demo_server) -> Iterator[LiveServer]:
    from headoffice.models import LoginFailure

    _demo_server.bind()
    LoginFailure.delete().execute()
    yield _demo_server
    _demo_server.bind()
    LoginFailure.delete().execute()


@pytest.fixture
def _demo_server_s3(backend, demo_db_url, s3_endpoint, _kept, tmp_path_factory) -> LiveServer:
    """``_demo_server``'s twin with its blobs in a bucket, one per backend for the session."""
    return _kept.get(
        ("demo-server-s3", backend),
        lambda stack: _start_demo_server(
            demo_db_url,
            tmp_path_factory.mktemp("demo-server-s3"),
            stack,
            s3=make_bucket(s3_endpoint),
        ),
    )


BLOB_STORES = ["local", "s3"]


@pytest.fixture(params=BLOB_STORES)
def blob_store(request) -> str:
    """Which blob store a test runs against: ``local`` (the directory) or ``s3``."""
    return request.param


@pytest.fixture
def blob_server(backend, blob_store, request) -> Iterator[LiveServer]:
    """``demo_server``, or its twin whose blobs are in a bucket of ``s3_endpoint``."""
    if blob_store == "local":
        yield request.getfixturevalue("demo_server")
        return
    from headoffice.models import LoginFailure

    server = request.getfixturevalue("_demo_server_s3")
    server.bind()
    LoginFailure.delete().execute()
    yield server
    server.bind()
    LoginFailure.delete().execute()


@pytest.fixture
def make_server(tmp_path) -> Iterator:
    """``make_server(url, **config)``: a live server stopped at the end of the test."""
    started: list[LiveServer] = []

    def make(url: str, **config) -> LiveServer:
        server = start_live_server(url, tmp_path / f"blobs-{len(started)}", **config)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


# --- demo data queries (in-process, on the bound database) -------------------------------


def tech_interventions(username: str) -> set[str]:
    from app.models import Intervention, Technician, User

    tech = Technician.get(Technician.user == User.get(User.username == username).id)
    return {i.id for i in Intervention.select().where(Intervention.technician == tech.id)}


def visible_interventions(username: str) -> set[str]:
    from app.models import User
    from headoffice.auth import principal_of
    from headoffice.scope import scope_queries

    who = principal_of(User.get(User.username == username))
    return {r[0] for r in scope_queries(who, clock.today())["interventions"].tuples()}


def open_intervention_of(username: str, invisible_to: str | None = None):
    from app.models import Intervention

    hidden = visible_interventions(invisible_to) if invisible_to else set()
    ids = tech_interventions(username) - hidden
    return (
        Intervention.select()
        .where(Intervention.id.in_(ids) & Intervention.status.in_(["planned", "assigned"]))
        .order_by(Intervention.scheduled_start)
        .first()
    )


# --- `main.py serve` as a subprocess -------------------------------------------------------


@dataclass
class ServeProcess:
    process: subprocess.Popen
    base: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def running_serve(
    data_dir: Path,
    *args: str,
    port: int | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> Iterator[ServeProcess]:
    """Run ``main.py serve --data-dir <data_dir> --port <port> *args`` until the block ends
    (``env``: variables added to this process' environment)."""
    port = port or free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    command = [sys.executable, "main.py", "serve", "--data-dir", str(data_dir)]
    command += ["--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    served = ServeProcess(process, f"http://127.0.0.1:{port}/api/v1", log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode}:\n{served.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{served.base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within {timeout} s:\n{served.log()}")
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
