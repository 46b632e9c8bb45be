"""Sign-in, bearer tokens and sign-in throttling for head office.

A token is ``secrets.token_urlsafe(32)``; only its SHA-256 is stored (``auth_tokens``), with
an expiry, and it is bound to one device. Failed sign-ins are stored (``auth_login_failures``)
so the throttle holds across server processes.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import PostgresqlDatabase

from app.errors import AuthError, NotFoundError, PermissionDeniedError, ThrottledError
from app.models import Technician, User, db, utcnow
from app.services.passwords import hash_password, verify_password
from headoffice.database import run, write_transaction
from headoffice.models import Device, DeviceToken, LoginFailure
from headoffice.scope import Principal

BAD_CREDENTIALS = "Unknown user name or wrong password."
TOUCH_EVERY = timedelta(minutes=5)  # how often last_used_at is refreshed


@dataclass(frozen=True)
class Throttle:
    """More than ``per_user`` failures for a user name (or ``per_address`` from one address)
    within ``window`` answer 429 until enough of them are older than the window."""

    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Session:
    """An authenticated request: who, from which device, with which token row."""

    who: Principal
    device_id: str
    token_id: int


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_of(user: User) -> Principal:
    tech = Technician.select(Technician.id).where(Technician.user == user.id).scalar()
    return Principal(user.id, user.role, tech, user.display_name)


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until fewer than ``limit`` of ``times`` (ascending) are inside the window."""
    freed_at = times[len(times) - limit] + window
    return max(1, math.ceil((freed_at - now).total_seconds()))


def count_attempt(username: str, remote_addr: str, throttle: Throttle) -> int:
    """Count a sign-in attempt before its password is checked, or refuse it (429).

    The attempt is recorded as a failure up front (``login`` deletes it when the password is
    right), in one write transaction that also counts the recent failures: SQLite's
    ``BEGIN IMMEDIATE`` and a table lock on PostgreSQL make that count-then-insert atomic
    across threads and processes, so 30 parallel guesses get exactly ``per_user`` checks.
    Returns the id of the attempt's row."""
    now = utcnow()
    since = now - throttle.window
    with write_transaction(db.obj):
        if isinstance(db.obj, PostgresqlDatabase):  # sign-ins queue here (no scrypt inside)
            db.execute_sql(f'LOCK TABLE "{LoginFailure._meta.table_name}" IN EXCLUSIVE MODE')
        LoginFailure.delete().where(LoginFailure.at < since).execute()
        for column, value, limit in (
            (LoginFailure.username, username, throttle.per_user),
            (LoginFailure.remote_addr, remote_addr, throttle.per_address),
        ):
            times = [
                r[0]
                for r in LoginFailure.select(LoginFailure.at)
                .where((column == value) & (LoginFailure.at > since))
                .order_by(LoginFailure.at)
                .tuples()
            ]
            if len(times) >= limit:
                raise ThrottledError(
                    "Too many failed sign-ins.",
                    retry_after=_retry_after(times, limit, throttle.window, now),
                )
        return LoginFailure.insert(username=username, remote_addr=remote_addr, at=now).execute()


def login(
    username: str,
    password: str,
    device_id: str,
    *,
    remote_addr: str,
    ttl: timedelta,
    throttle: Throttle,
) -> tuple[str, Principal]:
    """Check the credentials and register the device; returns a new token and its user."""
    key = username.strip().lower()
    attempt = count_attempt(key, remote_addr, throttle)  # a failure until proven right
    user = User.get_or_none((User.username == username) & (User.deleted == False))
    stored = user.password_hash if user is not None else _dummy_hash()
    valid = verify_password(password, stored)  # spend the scrypt time for unknown users too
    if user is None or not valid or not user.active:
        raise AuthError(BAD_CREDENTIALS)
    LoginFailure.delete().where(LoginFailure.id == attempt).execute()  # it was no failure
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction(db.obj):
        device = Device.get_or_none(Device.id == device_id)
        if device is not None and device.user_id != user.id:
            raise PermissionDeniedError(
                "This device is registered to another user.",
                hint="Ask the office to revoke the device, or sign in on your own device.",
            )
        if device is None:
            Device.create(id=device_id, user=user.id)
        else:
            Device.update(last_seen_at=now).where(Device.id == device_id).execute()
        DeviceToken.create(
            user=user.id, device_id=device_id, token_hash=token_hash(token), expires_at=now + ttl
        )
        LoginFailure.delete().where(LoginFailure.username == key).execute()
    return token, principal_of(user)


def authenticate(authorization: str | None) -> Session:
    """The session of an ``Authorization: Bearer <token>`` header; AuthError otherwise."""
    if not authorization:
        raise AuthError("This request needs an Authorization: Bearer <token> header.")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise AuthError("The Authorization header must be 'Bearer <token>'.")
    row = run(_TOKEN_SQL.format(p=db.param), (token_hash(token),)).fetchone()
    now = utcnow()
    if row is None:
        raise AuthError("The token is not valid.")
    token_id, device_id, revoked_at, expires_at, last_used_at, *user = row
    user_id, role, name, deleted, active, technician_id = user
    if revoked_at is not None:
        raise AuthError("The token was revoked.")
    if _when(expires_at) <= now:
        raise AuthError("The token has expired.")
    if deleted or not active:
        raise AuthError("This account is disabled.")
    if last_used_at is None or now - _when(last_used_at) > TOUCH_EVERY:
        DeviceToken.update(last_used_at=now).where(DeviceToken.id == token_id).execute()
    return Session(Principal(user_id, role, technician_id, name), device_id, token_id)


# Every request runs this: one plain query (token, user and technician id) rather than two
# built by the ORM each time (noop_sync and headoffice_load, docs/performance.md).
_TOKEN_SQL = (
    "SELECT t.id, t.device_id, t.revoked_at, t.expires_at, t.last_used_at,"
    " u.id, u.role, u.display_name, u.deleted, u.active,"
    " (SELECT k.id FROM technicians k WHERE k.user_id = u.id)"
    " FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = {p}"
)
_when = DeviceToken.expires_at.python_value  # SQLite answers text, PostgreSQL datetimes


def logout(session: Session) -> None:
    DeviceToken.update(revoked_at=utcnow()).where(DeviceToken.id == session.token_id).execute()


def revoke_device(session: Session, device_id: str) -> int:
    """Office/admin: revoke every live token of ``device_id``; returns how many."""
    if not session.who.sees_everything:
        raise PermissionDeniedError("Only the office can revoke a device.")
    if not Device.select().where(Device.id == device_id).exists():
        raise NotFoundError(f"No device {device_id!r} is registered.")
    return (
        DeviceToken.update(revoked_at=utcnow())
        .where((DeviceToken.device_id == device_id) & DeviceToken.revoked_at.is_null())
        .execute()
    )
