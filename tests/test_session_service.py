"""Signing in on a device of a real head office (in-process server, HTTP), online and offline,
and two devices exchanging work through it.

Each device has its own SQLite file; the models' ``db`` proxy is routed to it per thread with
``db.using`` (the session service does it itself; the test does it to look inside). The
in-process server routes its requests to its own database.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

import pytest
import requests
from peewee import Database
from server_support import build_demo

from app import clock
from app.errors import AuthError, TransportError
from app.i18n import Translator
from app.models import Intervention, User, db
from app.services.session_service import SessionService, SessionTransport, token_key
from app.sync import tracking
from app.sync.apply import CURSOR
from app.sync.engine import synchronize
from app.sync.state import SyncProgress
from app.sync.store import ensure_device_id, get_state, open_device_db, set_state
from app.sync.transport import HttpTransport

DEAD_URL = "http://127.0.0.1:9/api/v1"  # discard port: connection refused at once


class SwitchableTransport(HttpTransport):
    """HTTP to whatever ``address["url"]`` says now: the test cuts and restores the network."""

    def __init__(self, address: dict, token: str | None) -> None:
        self.address = address
        self.pull_threads: list[str] = []  # the thread of each pull, in order
        super().__init__(address["url"], token, retries=0, timeout=(2, 30))

    def pull(self, cursor: str, limit: int) -> dict:
        self.pull_threads.append(threading.current_thread().name)
        return super().pull(cursor, limit)

    @property
    def api(self) -> str:
        return self.address["url"]

    @api.setter
    def api(self, _value: str) -> None:
        pass


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("session-headoffice") / "template.db"
    build_demo(f"sqlite:///{path}")
    db.initialize(None)
    return path


@pytest.fixture
def server(demo_template, tmp_path, make_server):
    copy = tmp_path / "headoffice.db"
    shutil.copy2(demo_template, copy)
    return make_server(f"sqlite:///{copy}")


@dataclass
class Device:
    database: Database
    session: SessionService
    address: dict  # {"url": ...}: switch it to DEAD_URL to cut the network

    def __call__(self, fn: Callable):
        with db.using(self.database):
            return fn()


@pytest.fixture
def devices(tmp_path, server):
    """``devices(name)``: a device database and its session service (no background sync)."""
    made: list[Device] = []
    tracking.install()

    def make(name: str) -> Device:
        (tmp_path / name).mkdir()
        database = open_device_db(tmp_path / name / "terrain.db")
        address = {"url": server.base}

        def transport(token):
            return SwitchableTransport(address, token)

        device = Device(database, SessionService(database, transport, background=False), address)
        made.append(device)
        return device

    yield make
    tracking.uninstall()
    for device in made:
        device.session.close()
        device.database.close()
    db.initialize(None)


def today_interventions(technician_id: str) -> list[Intervention]:
    start = datetime.combine(clock.today(), time.min)
    return list(
        Intervention.live()
        .where(
            (Intervention.technician == technician_id)
            & (Intervention.scheduled_start >= start)
            & (Intervention.status.in_(["planned", "assigned"]))
        )
        .order_by(Intervention.scheduled_start)
    )


def test_first_sign_in_is_online_with_a_first_sync_then_offline_works(devices):
    a = devices("a")
    seen: list[SyncProgress] = []
    user = a.session.sign_in("tech1", "demo", progress=seen.append)
    assert user.username == "tech1" and user.role == "technician" and user.technician_id
    assert seen and seen[-1].pages_pulled >= 1 and seen[-1].rows_applied > 1000
    assert [p.rows_applied for p in seen] == sorted(p.rows_applied for p in seen)
    verifier = a(lambda: User.get(User.username == "tech1").password_hash)
    assert verifier.startswith("scrypt$")
    others = a(lambda: {u.password_hash for u in User.select().where(User.username != "tech1")})
    assert others == {""}  # never pulled
    assert not a(lambda: User.get_or_none(User.username == "tech2"))  # names and roles only
    assert a(lambda: get_state(token_key(user.id)))
    assert a(lambda: Intervention.select().count()) > 0
    assert a.session.status.last_success_at is not None and a.session.status.online

    # A later sync never overwrites the local verifier (pulled users carry no hash).
    assert a.session.sync_once() is not None
    assert a(lambda: User.get(User.username == "tech1").password_hash) == verifier

    # Head office unreachable: the local verifier signs the user in, and refuses others.
    a.session.sign_out()
    a.address["url"] = DEAD_URL
    assert a.session.sign_in("tech1", "demo").id == user.id
    with pytest.raises(AuthError) as wrong:
        a.session.sign_in("tech1", "not-the-password")
    assert "Identifiant inconnu" in Translator("fr").error(wrong.value)
    with pytest.raises(TransportError) as first:
        a.session.sign_in("tech2", "demo")  # never signed in here: needs head office
    assert first.value.key == "signin.first_needs_network"
    assert "le siège doit être joignable" in Translator("fr").error(first.value)

    # Background sync fails offline and says so; the user stays signed in.
    assert a.session.sync_once() is None
    assert a.session.status.online is False and a.session.status.signed_in


def test_wrong_password_online_is_refused_and_nothing_is_stored(devices):
    a = devices("a")
    with pytest.raises(AuthError) as err:
        a.session.sign_in("tech1", "wrong")
    assert Translator("fr").error(err.value).startswith("Identifiant inconnu")
    assert a(lambda: User.select().count()) == 0
    with pytest.raises(AuthError):
        a.session.sign_in("", "")


def test_offline_sign_in_gets_a_token_when_head_office_is_back(devices):
    a = devices("a")
    user = a.session.sign_in("tech1", "demo")
    a.session.sign_out()
    a.session.store_token(user.id, None)  # e.g. refused earlier
    live, a.address["url"] = a.address["url"], DEAD_URL
    a.session.sign_in("tech1", "demo")  # offline: the password waits in memory
    assert a.session.transport.token is None and a.session.transport.credentials
    assert a.session.sync_once() is None and a.session.status.online is False
    a.address["url"] = live
    assert a.session.sync_once() is not None
    assert a.session.status.online and a.session.status.error is None
    assert a.session.transport.credentials is None
    assert a(lambda: get_state(token_key(user.id)))


def test_background_syncs_prefetch_pull_pages_like_the_first_sync(devices):
    """The signed-in user's SessionTransport keeps HttpTransport's prefetch: a pull of several
    pages fetches the next one on the helper thread while the current one is applied."""
    a = devices("a")
    a.session.sign_in("tech1", "demo")
    transport = a.session.transport
    assert isinstance(transport, SessionTransport) and transport.prefetch
    a(lambda: set_state(CURSOR, None))  # pull everything again, in small pages
    report = a(lambda: synchronize(transport, pull_limit=200))
    assert report.pull.pages >= 3 and report.pull.rows > 400
    threads = transport.inner.pull_threads
    assert threads[0] == threading.current_thread().name  # the first page: here
    assert sum(name.startswith("sync-prefetch") for name in threads) == len(threads) - 1
    assert a(lambda: get_state(CURSOR))


def revoke(server, office, device_id: str) -> int:
    """The office revokes the device's tokens. The response dies here, with its socket, so
    the server's teardown does not wait for a kept-alive connection."""
    with requests.Session() as http:
        answer = http.post(
            server.url("/auth/revoke"),
            json={"device_id": device_id},
            headers=office.headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["revoked"]


def test_a_revoked_token_asks_to_sign_in_again(devices, server):
    a = devices("a")
    user = a.session.sign_in("tech1", "demo")
    office = server.login("office")
    assert revoke(server, office, a(ensure_device_id)) >= 1

    assert a.session.sync_once() is None
    status = a.session.status
    assert status.signed_in is False and isinstance(status.error, AuthError)
    assert "Reconnectez-vous" in Translator("fr").error(status.error)
    assert a(lambda: get_state(token_key(user.id))) is None  # forgotten

    a.session.sign_out()
    a.session.sign_in("tech1", "demo")  # local verifier, then a new token from head office
    assert a(lambda: get_state(token_key(user.id)))
    assert a.session.sync_once() is not None and a.session.status.signed_in


def test_another_user_on_a_registered_device_is_refused(devices):
    a = devices("a")
    a.session.sign_in("tech1", "demo")
    a.session.sign_out()
    with pytest.raises(Exception) as err:
        a.session.sign_in("tech2", "demo")
    assert "un autre utilisateur" in Translator("fr").error(err.value)


def test_a_technician_write_reaches_the_office_device_through_head_office(devices):
    tech = devices("tech")
    office = devices("office")
    tech1 = tech.session.sign_in("tech1", "demo")
    office.session.sign_in("office", "demo")

    def write_diagnosis():
        job = today_interventions(tech1.technician_id)[0]
        job.diagnosis = "Brûleur encrassé, nettoyé"
        job.save()  # tracked: lands in the outbox
        return job.id

    job_id = tech(write_diagnosis)
    tech.session.refresh_pending()
    assert tech.session.status.pending == 1
    assert tech.session.sync_once() is not None
    assert tech.session.status.pending == 0

    office.session.sync_once()
    assert office(lambda: Intervention.get_by_id(job_id).diagnosis) == "Brûleur encrassé, nettoyé"

    # And back: the office raises the priority, the technician's device receives it.
    def raise_priority():
        job = Intervention.get_by_id(job_id)
        job.priority = "urgent"
        job.save()

    office(raise_priority)
    assert office.session.sync_once() is not None
    tech.session.sync_once()
    assert tech(lambda: Intervention.get_by_id(job_id).priority) == "urgent"
