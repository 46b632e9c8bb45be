"""Head office's WSGI application: ``create_app(ServerConfig(...))``.

Serve it with waitress (``python main.py serve``), with gunicorn worker processes
(``python main.py serve --workers N``, ``headoffice/workers.py``) or any WSGI server, e.g.::

    gunicorn --workers 4 --threads 8 \\
      'headoffice.app:create_app(headoffice.app.ServerConfig.from_env())'
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import falcon
from peewee import Database, SqliteDatabase
from peewee import DatabaseError as PeeweeDatabaseError

from app.errors import TerrainError
from app.models import db
from app.sync.push_request import MAX_BODY_BYTES
from headoffice import auth, documents
from headoffice.blobs import BlobFiles, HeadOfficeBlobs, LocalBlobFiles
from headoffice.database import LOCK_TIMEOUT, open_database
from headoffice.http import (
    handle_database_error,
    handle_terrain_error,
    handle_unexpected,
    serialize_http_error,
)
from headoffice.mail import DeliveryPolicy, DeliveryWorker, SmtpSettings
from headoffice.push import add_after_commit
from headoffice.resources import (
    BlobResource,
    DeliveriesResource,
    HealthResource,
    HeldAsideResolveResource,
    HeldAsideResource,
    LoginResource,
    LogoutResource,
    OpenAPIResource,
    PullResource,
    PushResource,
    ReportVersionPdfResource,
    RevokeResource,
)
from headoffice.s3 import S3Settings
from headoffice.sealing import DEMO_DIR, Seal, demo_seal, load_seal
from headoffice.services.validation import after_push

API = "/api/v1"
MAX_BLOB_BYTES = 512 * 1024 * 1024
# One PUT of a blob carries at most this; larger files go up in Content-Range chunks (the
# device sends 8 MiB ones). It bounds what the HTTP server reads before the app decides.
MAX_BLOB_REQUEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    blob_dir: Path
    max_blob_bytes: int = MAX_BLOB_BYTES
    max_body_bytes: int = MAX_BODY_BYTES
    max_blob_request_bytes: int = MAX_BLOB_REQUEST_BYTES
    token_ttl_days: int = 30
    lock_timeout: float = LOCK_TIMEOUT  # seconds; then 503 with Retry-After
    throttle: auth.Throttle = field(default_factory=auth.Throttle)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)  # e-mail of validated slips
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)  # its retries
    # The company's seal (PKCS#12 file and its password); without it, a demo certificate
    # made on first start in ``seal_dir`` (default: ``headoffice-seal`` next to blob_dir),
    # where ``trust.pem`` (what ``verify`` trusts) is written in both cases.
    seal_cert: Path | None = None
    seal_password: str | None = field(default=None, repr=False)
    seal_dir: Path | None = None
    # Blobs in an S3-compatible bucket (``headoffice.s3``) instead of ``blob_dir``
    s3: S3Settings | None = None

    @classmethod
    def from_env(cls) -> ServerConfig:
        """``TERRAIN_DB_URL`` and ``TERRAIN_BLOB_DIR`` (for gunicorn and other servers), or
        ``TERRAIN_BLOB_STORE=s3://bucket[/prefix]`` with ``TERRAIN_S3_ENDPOINT``, ``_REGION``,
        ``_ACCESS_KEY_ID``, ``_SECRET_ACCESS_KEY`` (then ``TERRAIN_BLOB_DIR`` is optional);
        ``TERRAIN_SEAL_CERT`` with ``TERRAIN_SEAL_PASSWORD`` (or ``TERRAIN_SEAL_PASSWORD_FILE``)
        name the company's certificate, ``TERRAIN_SEAL_DIR`` where trust.pem goes; the SMTP
        settings ``TERRAIN_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_TLS``,
        ``_SENDER``."""
        from app.errors import ConfigError

        s3 = blob_store_from(os.environ.get("TERRAIN_BLOB_STORE"))
        # with a bucket, the blob directory only places the seal directory by default
        blob_dir = os.environ.get("TERRAIN_BLOB_DIR") or ("headoffice-blobs" if s3 else None)
        for name, value in (("TERRAIN_DB_URL", os.environ.get("TERRAIN_DB_URL")),
                            ("TERRAIN_BLOB_DIR", blob_dir)):  # fmt: skip
            if not value:
                raise ConfigError(f"Set the environment variable {name}.")
        db_url, blob_dir = os.environ["TERRAIN_DB_URL"], Path(blob_dir)
        cert = os.environ.get("TERRAIN_SEAL_CERT") or None
        password = os.environ.get("TERRAIN_SEAL_PASSWORD")
        password_file = os.environ.get("TERRAIN_SEAL_PASSWORD_FILE")
        if password is None and password_file:
            from headoffice.sealing import read_password

            password = read_password(password_file)
        seal_dir = os.environ.get("TERRAIN_SEAL_DIR") or None
        return cls(
            db_url=db_url,
            blob_dir=blob_dir,
            seal_cert=Path(cert) if cert else None,
            seal_password=password,
            seal_dir=Path(seal_dir) if seal_dir else None,
            smtp=smtp_from_env(),
            s3=s3,
        )

    @property
    def seal_directory(self) -> Path:
        return self.seal_dir or Path(self.blob_dir).parent / DEMO_DIR

    @property
    def max_request_bytes(self) -> int:
        """The largest legitimate request body: a push, or one blob PUT (whole or chunk)."""
        return max(self.max_body_bytes, min(self.max_blob_bytes, self.max_blob_request_bytes))


def blob_store_from(value: str | None, environ=os.environ) -> S3Settings | None:
    """``--blob-store`` / ``TERRAIN_BLOB_STORE``: ``s3://bucket[/prefix]`` names a bucket
    (endpoint and credentials from ``TERRAIN_S3_*``); empty or None, the local directory."""
    if not value:
        return None
    return S3Settings.from_url(value, environ)


def open_blob_files(config: ServerConfig) -> BlobFiles:
    """The blob bytes' store of ``config``: its bucket, else the local ``blob_dir``."""
    if config.s3 is None:
        return LocalBlobFiles(Path(config.blob_dir))
    from headoffice.s3 import S3BlobFiles

    files = S3BlobFiles(config.s3)
    try:
        files.check()  # an unreachable or missing bucket stops here, not at an upload
    except Exception:
        files.close()
        raise
    return files


def smtp_from_env(environ=os.environ, **given) -> SmtpSettings:
    """SMTP settings from ``TERRAIN_SMTP_*`` variables, overridden by ``given`` (not None)."""
    values = {
        "host": environ.get("TERRAIN_SMTP_HOST", ""),
        "port": environ.get("TERRAIN_SMTP_PORT", "587"),
        "user": environ.get("TERRAIN_SMTP_USER", ""),
        "password": environ.get("TERRAIN_SMTP_PASSWORD", ""),
        "tls": environ.get("TERRAIN_SMTP_TLS", "starttls"),
        "sender": environ.get("TERRAIN_SMTP_SENDER", ""),
    }
    values.update({k: v for k, v in given.items() if v is not None})
    try:
        values["port"] = int(values["port"])
    except ValueError as exc:
        from app.errors import ConfigError

        raise ConfigError(f"The SMTP port must be a number, not {values['port']!r}.") from exc
    return SmtpSettings(**values)


class DatabaseSession:
    """A connection for each request: from the pool on PostgreSQL, given back at its end; on
    SQLite the server thread's own connection, kept open (opening one and setting its
    pragmas cost more than a no-op pull) until ``close()``.

    The request's thread is routed to this app's database (``db.using``), so a head office
    can share a process with other databases (tests, simulations) without mixing them.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.keep_open = isinstance(database, SqliteDatabase)
        self._kept: list = []  # SQLite connections kept open by the server's threads
        self._lock = threading.Lock()

    def process_request(self, req, resp) -> None:
        req.context.db_route = db.using(self.database)
        req.context.db_route.__enter__()
        if db.connect(reuse_if_open=True) and self.keep_open:
            with self._lock:
                self._kept.append(db.connection())

    def close(self) -> None:
        """Close every connection the server's threads kept open (after they stopped), and
        the PostgreSQL pool."""
        with self._lock:
            kept, self._kept = self._kept, []
        for connection in kept:
            connection.close()  # opened with check_same_thread=False
        close_all = getattr(self.database, "close_all", None)
        if close_all is not None:
            close_all()
        elif not self.database.is_closed():
            self.database.close()

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        try:
            if not self.keep_open and not db.is_closed():
                db.close()
        finally:
            route = getattr(req.context, "db_route", None)
            if route is not None:
                route.__exit__(None, None, None)


def open_seal(config: ServerConfig) -> Seal:
    """The company's seal of ``config`` (checked now: ``CertificateError`` if unusable), or
    the demo seal; ``trust.pem`` written for ``verify``."""
    if config.seal_cert is None:
        return demo_seal(config.seal_directory)
    seal = load_seal(config.seal_cert, config.seal_password)
    seal.write_trust(config.seal_directory)
    return seal


class DocumentsContext:
    """Each request produces documents with its own app's seal and blob store."""

    def __init__(self, docs: documents.Documents) -> None:
        self.docs = docs

    def process_request(self, req, resp) -> None:
        req.context.documents_token = documents.use(self.docs)

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        token = getattr(req.context, "documents_token", None)
        if token is not None:
            documents.reset(token)


class RequireToken:
    """Every resource but the public ones needs ``Authorization: Bearer <token>``."""

    def process_resource(self, req, resp, resource, params) -> None:
        if resource is None or getattr(resource, "public", False):
            return
        req.context.session = auth.authenticate(req.get_header("Authorization"))


class HeadOfficeApp(falcon.App):
    """The WSGI application, with what its server needs: the largest request body it accepts
    and ``close()``, which closes the database connections its requests opened."""

    def __init__(
        self, config: ServerConfig, session: DatabaseSession, docs: documents.Documents
    ) -> None:
        super().__init__(middleware=[session, DocumentsContext(docs), RequireToken()])
        self.max_request_bytes = config.max_request_bytes
        self._session = session
        self._docs = docs
        # Sends the e-mails of validated slips; the server starts and stops it.
        self.delivery_worker = DeliveryWorker(session.database, config.smtp, config.delivery)

    def start_background(self) -> None:
        self.delivery_worker.start()

    def close(self) -> None:
        self.delivery_worker.stop()
        self._session.close()
        self._docs.store.close()  # the object store's connections


def create_app(
    config: ServerConfig, database: Database | None = None, seal: Seal | None = None
) -> HeadOfficeApp:
    """The WSGI application. ``database``: an already opened one (tests); else opened here.
    ``seal``: already loaded (``serve`` checks it first); else loaded here."""
    seal = seal or open_seal(config)  # a certificate that cannot seal stops here
    files = open_blob_files(config)  # an unreachable bucket stops here
    if database is None:
        database = open_database(config.db_url, lock_timeout=config.lock_timeout)
    else:
        db.initialize(database)
    store = HeadOfficeBlobs(None, config.max_blob_bytes, files=files)
    docs = documents.Documents(seal, store)
    documents.configure(docs)
    app = HeadOfficeApp(config, DatabaseSession(database), docs)
    app.req_options.auto_parse_form_urlencoded = False
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(PeeweeDatabaseError, handle_database_error)
    app.add_error_handler(TerrainError, handle_terrain_error)
    app.set_error_serializer(serialize_http_error)
    ttl = timedelta(days=config.token_ttl_days)
    app.add_route(f"{API}/health", HealthResource())
    app.add_route(f"{API}/openapi.json", OpenAPIResource())
    app.add_route(f"{API}/auth/login", LoginResource(ttl, config.throttle))
    app.add_route(f"{API}/auth/logout", LogoutResource())
    app.add_route(f"{API}/auth/revoke", RevokeResource())
    app.add_route(f"{API}/sync/pull", PullResource())
    app.add_route(f"{API}/sync/push", PushResource(config.max_body_bytes))
    app.add_route(f"{API}/blobs/{{sha256}}", BlobResource(store, config.max_blob_request_bytes))
    app.add_route(f"{API}/office/deliveries", DeliveriesResource())
    app.add_route(f"{API}/office/held-aside", HeldAsideResource())
    app.add_route(f"{API}/office/held-aside/{{held_id}}/resolve", HeldAsideResolveResource())
    add_after_commit(after_push)  # validation's effects: customer record, follow-ups, e-mail
    app.add_route(f"{API}/report-versions/{{version_id}}/pdf", ReportVersionPdfResource())
    return app
