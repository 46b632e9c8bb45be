"""Signing in on a device of head office, online the first time and offline afterwards.

One ``SessionService`` per device (per process): it knows head office's address, the device
database, the observable ``SyncStatus`` and, once someone is signed in, the background
``SyncScheduler``. No Flet here; views call it with ``asyncio.to_thread``.

Sign-in rules:

- **First sign-in of a user on this device** (no local verifier): online login through the
  transport (device id from ``ensure_device_id``), the token is stored for that user
  (``SyncState("token:<user id>")``), the first ``synchronize()`` brings the user's data
  (progress reported page by page), then a local verifier (``hash_password``) is written into
  the local ``users.password_hash`` — pulled rows never carry nor overwrite it
  (``app.sync.apply``) — so that later sign-ins work without network.
- **Later sign-ins**: the password is checked against the local verifier. With a stored token
  the user is in at once; without one (it was refused) head office is asked for a new token,
  and if it cannot be reached the user is signed in offline: the password is kept in memory
  only until the background sync obtains a token.
- A password the verifier refuses is checked with head office when it is reachable (it may
  have been changed there); offline it is an ``AuthError``.
- A token refused during sync (revoked, expired: HTTP 401) is forgotten; ``SyncStatus``
  reports ``signed_in=False`` so the app asks the user to sign in again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peewee import Database

from app.errors import (
    AuthError,
    PermissionDeniedError,
    RemoteError,
    ThrottledError,
    TransportError,
)
from app.models import User, db
from app.services import server_address
from app.services.auth_service import BAD_CREDENTIALS, CurrentUser, check_filled, current_user
from app.services.passwords import hash_password, verify_password
from app.sync.engine import SyncReport, synchronize
from app.sync.remote import Transport
from app.sync.scheduler import DEFAULT_INTERVAL, SyncScheduler
from app.sync.state import SyncProgress, SyncStatus
from app.sync.store import ensure_device_id, get_state, set_state
from app.sync.tracking import pending_count
from app.sync.uploads import UploadBoard

log = logging.getLogger(__name__)

TransportFactory = Callable[[str | None], Transport]
ProgressCallback = Callable[[SyncProgress], None]


def token_key(user_id: str) -> str:
    return f"token:{user_id}"


def http_transport_factory(server_url: str) -> TransportFactory:
    """Transports to head office at ``server_url`` over HTTP (``app.sync.transport``)."""

    def make(token: str | None) -> Transport:
        from app.sync.transport import HttpTransport

        return HttpTransport(server_url, token)

    return make


def http_probe(server_url: str) -> Transport:
    """A transport for one quick ``GET /health`` ("Tester" in the settings): no retries."""
    from app.sync.transport import HttpTransport

    return HttpTransport(server_url, None, timeout=(5, 10), retries=0)


class SessionTransport:
    """The signed-in user's transport for background sync.

    Gets a token first when the user signed in offline (the password is then held here, in
    memory, until head office answers), and forgets a token head office refuses (401).
    Forwards every member of ``Transport`` (``app.sync.remote``) to the wrapped one.
    """

    def __init__(
        self,
        service: SessionService,
        user_id: str,
        token: str | None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.service = service
        self.user_id = user_id
        self.credentials = credentials
        self.inner = service.make_transport(token)
        self.token = token

    def _ready(self) -> Transport:
        if self.token is None:
            if self.credentials is None:
                raise AuthError(
                    "This device has no valid sign-in for head office.",
                    hint="Sign in again.",
                    key="sync.signed_out",
                )
            username, password = self.credentials
            answer = self.service.online_login(self.inner, username, password)
            self.token = answer["token"]
            self.credentials = None
            self.service.store_token(self.user_id, self.token)
        return self.inner

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        transport = self._ready()
        try:
            return getattr(transport, name)(*args, **kwargs)
        except AuthError:
            log.info("head office refused the token of user %s: forgetting it", self.user_id)
            self.token = None
            self.service.store_token(self.user_id, None)
            raise

    @property
    def prefetch(self) -> bool:
        """As the wrapped transport: background syncs prefetch pull pages like the first one."""
        return self.inner.prefetch

    def health(self) -> dict:
        return self.inner.health()

    def login(self, username: str, password: str, device_id: str) -> dict:
        return self.inner.login(username, password, device_id)

    def pull(self, cursor: str, limit: int) -> dict:
        return self._call("pull", cursor, limit)

    def push(self, body: dict) -> dict:
        return self._call("push", body)

    def has_blob(self, sha256: str) -> bool:
        return self._call("has_blob", sha256)

    def put_blob(self, sha256: str, path: Path | str, progress=None) -> dict:
        return self._call("put_blob", sha256, path, progress)

    def get_blob(self, sha256: str, dest_path: Path | str) -> None:
        return self._call("get_blob", sha256, dest_path)

    def office_deliveries(self, intervention_id: str) -> list[dict]:
        return self._call("office_deliveries", intervention_id)

    def office_held_aside(self, *, include_resolved: bool = False) -> list[dict]:
        return self._call("office_held_aside", include_resolved=include_resolved)

    def resolve_held_aside(self, held_id: int) -> dict:
        return self._call("resolve_held_aside", held_id)

    def upload_offset(self, sha256: str) -> int | None:
        return self._call("upload_offset", sha256)

    def close(self) -> None:
        self.inner.close()


class SessionService:
    """Sign-in (online/offline), the signed-in user's background sync, and sign-out."""

    def __init__(
        self,
        database: Database,
        transport_factory: TransportFactory,
        *,
        status: SyncStatus | None = None,
        interval: float = DEFAULT_INTERVAL,
        server_url: str = "",
        background: bool = True,
        url_factory: Callable[[str], TransportFactory] = http_transport_factory,
        probe: Callable[[str], Transport] = http_probe,
    ) -> None:
        self.database = database
        self.make_transport = transport_factory
        self.url_factory = url_factory  # head office moved (the settings): its transports
        self.probe = probe
        self.status = status or SyncStatus()
        self.uploads = UploadBoard()  # each file's upload state, for the grid and sync screen
        self.interval = interval
        self.server_url = server_url
        self.background = background  # False: no scheduler (tests drive sync_once)
        self.user: CurrentUser | None = None
        self.transport: SessionTransport | None = None
        self._scheduler: SyncScheduler | None = None
        self._guard = threading.RLock()
        self._listeners: set[object] = set()  # one token per live ``subscribe``

    # --- status listeners (one per app session: a browser tab, the phone app) -------------

    def subscribe(self, listener: Callable[[SyncStatus], None]) -> Callable[[], None]:
        """Call ``listener(status)`` after each status change (on the changing thread);
        returns the unsubscribe function (safe to call twice). An app session unsubscribes
        when it ends, so ``listener_count()`` is back to zero once every session closed."""
        token = object()
        with self._guard:
            self._listeners.add(token)
        unsubscribe = self.status.subscribe(listener)

        def stop() -> None:
            with self._guard:
                if token not in self._listeners:
                    return
                self._listeners.discard(token)
            unsubscribe()
            log.debug("sync status listeners: %d", self.listener_count())

        return stop

    def listener_count(self) -> int:
        """Live ``subscribe`` listeners (tests and logs: a closed session must leave none)."""
        with self._guard:
            return len(self._listeners)

    # --- sign-in ----------------------------------------------------------------------------

    def sign_in(
        self, username: str, password: str, progress: ProgressCallback | None = None
    ) -> CurrentUser:
        """Sign ``username`` in; see the module docstring. Raises ``AuthError`` (wrong
        credentials, online or offline), ``TransportError`` (a first sign-in while head office
        is unreachable, or the network dropped during the first sync), ``ThrottledError``,
        ``PermissionDeniedError`` (device registered to another user), ``RemoteError``."""
        username = (username or "").strip()
        check_filled(username, password)
        with db.using(self.database), self.database.connection_context():
            local = User.live().where(User.username == username).first()
            has_verifier = bool(local and local.password_hash)
            if has_verifier and local.active and verify_password(password, local.password_hash):
                return self._sign_in_known(local, username, password)
            transport = self.make_transport(None)
            try:
                return self._sign_in_online(transport, username, password, has_verifier, progress)
            finally:
                transport.close()

    def _sign_in_online(
        self,
        transport: Transport,
        username: str,
        password: str,
        has_verifier: bool,
        progress: ProgressCallback | None,
    ) -> CurrentUser:
        """No local verifier, or it refused the password: head office decides."""
        try:
            answer = self.online_login(transport, username, password)
        except TransportError as err:
            if has_verifier:  # offline: the local verifier is the only judge
                raise AuthError(BAD_CREDENTIALS) from err
            raise TransportError(
                f"First sign-in of {username} on this device: head office must be reachable.",
                key="signin.first_needs_network",
            ) from err
        user_id = answer["user"]["id"]
        token = answer["token"]
        self.store_token(user_id, token)
        first = not has_verifier or User.get_or_none(User.id == user_id) is None
        if first:
            self._first_sync(transport, progress)
        self._store_verifier(user_id, password)
        user = self._current(user_id)
        self._start(user, token, run_now=not first)
        return user

    def _sign_in_known(self, local: User, username: str, password: str) -> CurrentUser:
        """The local verifier accepted the password: in at once, online or not."""
        user = current_user(local)
        token = get_state(token_key(user.id))
        credentials = None
        if token is None:
            transport = self.make_transport(None)
            try:
                token = self.online_login(transport, username, password)["token"]
                self.store_token(user.id, token)
            except TransportError:
                log.info("head office unreachable: %s signs in offline", username)
                credentials = (username, password)
            finally:
                transport.close()
        self._start(user, token, credentials=credentials, run_now=True)
        return user

    def online_login(self, transport: Transport, username: str, password: str) -> dict:
        """Login at head office; errors become what the sign-in screen shows."""
        try:
            return transport.login(username, password, ensure_device_id())
        except AuthError as err:
            raise AuthError(BAD_CREDENTIALS) from err
        except RemoteError as err:
            if err.status == 429:
                raise ThrottledError(
                    "Too many failed sign-ins.", retry_after=0, key="signin.throttled"
                ) from err
            if err.status == 403:
                raise PermissionDeniedError(
                    "This device is registered to another user.", key="signin.device_taken"
                ) from err
            raise

    def _first_sync(self, transport: Transport, progress: ProgressCallback | None) -> None:
        def report(r: SyncReport) -> None:
            current = SyncProgress(
                pages_pulled=r.pull.pages, rows_applied=r.pull.rows, rows_pushed=r.push.rows
            )
            self.status.advanced(r.step, current)
            if progress is not None:
                progress(current)

        self.status.started()
        try:
            done = synchronize(transport, progress=report, uploads=self.uploads)
        except Exception as exc:
            self.status.failed(exc, pending=pending_count())
            raise
        self.status.succeeded(done.finished_at, pending=pending_count())

    def _store_verifier(self, user_id: str, password: str) -> None:
        # A bulk update: not tracked (password_hash never travels) and never pulled over.
        User.update(password_hash=hash_password(password)).where(User.id == user_id).execute()

    def _current(self, user_id: str) -> CurrentUser:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise AuthError(
                "Head office did not send this account to the device.",
                hint="Ask the office to check the account, then sign in again.",
            )
        return current_user(user)

    def store_token(self, user_id: str, token: str | None) -> None:
        with db.using(self.database):  # may run inside a sync: keep its connection open
            set_state(token_key(user_id), token)

    # --- background sync ----------------------------------------------------------------

    def _start(
        self,
        user: CurrentUser,
        token: str | None,
        *,
        credentials: tuple[str, str] | None = None,
        run_now: bool,
    ) -> None:
        with self._guard:
            same_user = self.user is not None and self.user.id == user.id
            if same_user and token is not None and self.transport is not None:
                self.transport.token = self.transport.token or token
            else:
                self._stop()
                self.transport = SessionTransport(self, user.id, token, credentials)
            self.user = user
            self.status.signed_in = True
            self.status.set_pending(pending_count())
            if not self.background:
                return
            if self._scheduler is None:
                self._scheduler = SyncScheduler(
                    self.database, lambda: self.transport, self.status, interval=self.interval,
                    uploads=self.uploads,
                )  # fmt: skip
                self._scheduler.start(run_now=run_now)
            elif run_now:
                self._scheduler.sync_now()

    def sync_now(self) -> None:
        """Ask for a sync as soon as possible (returns at once; runs in the background)."""
        with self._guard:
            if self._scheduler is not None:
                self._scheduler.sync_now()

    def sync_once(self) -> SyncReport | None:
        """One sync on the calling thread (tests, and devices without a scheduler)."""
        scheduler = SyncScheduler(
            self.database, lambda: self.transport, self.status, uploads=self.uploads
        )
        with db.using(self.database):
            return scheduler.run_once()

    # --- head office's address (the settings) -----------------------------------------------

    def test_server(self, url: str) -> dict:
        """``GET /health`` at ``url`` (checked first); raises ``ValidationError`` for an
        address that is not one, ``TransportError`` / ``RemoteError`` when head office does
        not answer as one. Slow (network): call it off the UI loop."""
        return server_address.check(self.probe(server_address.normalize(url)))

    def set_server_url(self, url: str) -> str:
        """Sync with head office at ``url`` from now on, and at the next starts (stored in
        the device's settings). The signed-in user keeps his token (head office's address
        changed, not head office); a sync in progress ends with the former address. Returns
        the address as stored."""
        url = server_address.normalize(url)
        with db.using(self.database), self.database.connection_context():
            server_address.store(url)
        with self._guard:
            self.server_url = url
            self.make_transport = self.url_factory(url)
            old = self.transport
            if old is not None:
                self.transport = SessionTransport(self, old.user_id, old.token, old.credentials)
                if self._scheduler is None:  # no run can be using it
                    old.close()
        log.info("head office's address is now %s", url)
        return url

    def unsent(self):
        """Rows and files not sent to head office yet (``sync_service.Unsent``)."""
        from app.services import sync_service

        with db.using(self.database), self.database.connection_context():
            unsent = sync_service.unsent()
        self.status.set_pending(unsent.rows)  # the badge says the same as the question
        return unsent

    # --- files at head office (media of other devices, freeing originals) -----------------

    def _signed_in_transport(self) -> SessionTransport:
        transport = self.transport
        if transport is None:
            raise TransportError(
                "Nobody is signed in with head office on this device.", key="sync.unreachable"
            )
        return transport

    def has_blob(self, sha256: str) -> bool:
        """Does head office hold the file ``sha256``? (network: off the UI loop)"""
        return self._signed_in_transport().has_blob(sha256)

    def get_blob(self, sha256: str, dest_path: Path | str) -> None:
        """Download the file ``sha256`` from head office (checked against its hash)."""
        return self._signed_in_transport().get_blob(sha256, dest_path)

    # --- uploads ------------------------------------------------------------------------------

    def retry_upload(self, sha256: str) -> None:
        """ "Réessayer" on a failed file: it waits again and a sync starts at once."""
        self.uploads.retry(sha256)
        self.sync_now()

    def refresh_uploads(self) -> None:
        """Show the files waiting to go before the next sync runs (the grid, the sync
        screen): the board is planned from the outbox, as the blob step will."""
        from app.media.blob_store import BlobStore, default_blob_dir
        from app.sync.blobs import planned_files
        from app.sync.engine import is_running

        if is_running():  # the blob step plans the board itself
            return
        with db.using(self.database), self.database.connection_context():
            root = default_blob_dir()
            self.uploads.plan(planned_files(BlobStore(root) if root is not None else None))

    def refresh_pending(self) -> None:
        with db.using(self.database), self.database.connection_context():
            self.status.set_pending(pending_count())

    def sign_out(self) -> None:
        """Stop the background sync (a run in progress finishes on its own); the token stays
        for the next sign-in of this user, and so do the changes not sent yet: the outbox is
        in the device database, pushed by the first sync of that user's next sign-in (the
        device belongs to one user: head office refuses any other)."""
        with self._guard:
            self._stop(wait=False)
            self.user = None

    def _stop(self, *, wait: bool = False) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
        transport, self.transport = self.transport, None
        if transport is not None and (wait or scheduler is None):  # no run can be using it
            transport.close()

    def close(self) -> None:
        """At exit: stop the background sync and wait for a run in progress."""
        with self._guard:
            self._stop(wait=True)
            self.user = None
