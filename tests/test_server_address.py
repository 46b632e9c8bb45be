"""Head office's address on a device: checked (http/https and a host), tested with one
``GET /health``, stored in the device's settings and used by the sync from then on; and
signing out keeps the changes not sent yet for that user's next sign-in. Real head office
over HTTP (in-process server)."""

from __future__ import annotations

import pytest
import test_session_service as sessions

from app.errors import TransportError, ValidationError
from app.models import Intervention
from app.services import server_address, sync_service
from app.sync.tracking import pending_count

# Fixtures of the sign-in tests: a demo head office on loopback and devices of it.
demo_template, server, devices = sessions.demo_template, sessions.server, sessions.devices
DEAD_URL, today_interventions = sessions.DEAD_URL, sessions.today_interventions


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://siege.example.fr", "https://siege.example.fr"),
        ("  HTTPS://Siege.Example.fr/  ", "https://siege.example.fr"),
        ("http://192.168.1.10:8700/api/v1/", "http://192.168.1.10:8700"),
        ("http://[::1]:8700", "http://[::1]:8700"),
        ("https://ho.example.com/terrain/", "https://ho.example.com/terrain"),
        ("http://localhost:8700", "http://localhost:8700"),
    ],
)
def test_an_address_is_stored_in_one_form(typed, stored):
    assert server_address.normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "server.url.empty"),
        ("   ", "server.url.empty"),
        ("siege.example.fr", "server.url.scheme"),
        ("ftp://siege.example.fr", "server.url.scheme"),
        ("javascript:alert(1)", "server.url.scheme"),
        ("https://", "server.url.host"),
        ("https://-bad-.example", "server.url.host"),
        ("https://siege example.fr", "server.url.host"),
        ("https://siege.example.fr:99999", "server.url.invalid"),
        ("https://siege.example.fr:port", "server.url.invalid"),
        ("https://user:pw@siege.example.fr", "server.url.invalid"),
        ("https://siege.example.fr/?next=x", "server.url.invalid"),
    ],
)
def test_what_is_not_an_address_is_refused_with_what_to_do(typed, key):
    with pytest.raises(ValidationError) as caught:
        server_address.normalize(typed)
    assert caught.value.key == key and caught.value.field == "server_url"


def test_the_command_line_wins_then_the_settings_then_the_environment():
    assert server_address.at_start("http://a", "http://b", "http://c") == "http://a"
    assert server_address.at_start(None, "http://b", "http://c") == "http://b"
    assert server_address.at_start(None, None, "http://c") == "http://c"
    assert server_address.at_start(None, None, None) is None


def test_tester_asks_head_office_for_its_health(devices, server):
    device = devices("a")
    assert device.session.test_server(server.base)  # head office's /health answer
    with pytest.raises(TransportError):
        device.session.test_server(DEAD_URL)
    with pytest.raises(ValidationError):
        device.session.test_server("ftp://example.org")


def test_a_new_address_is_stored_and_used_by_the_next_sync(devices, server):
    tech = devices("tech")
    tech1 = tech.session.sign_in("tech1", "demo")
    moved = server.base.replace("127.0.0.1", "localhost")  # the same head office, renamed

    def write():
        job = today_interventions(tech1.technician_id)[0]
        job.diagnosis = "Vase d'expansion regonflé à 1,2 bar"
        job.save()
        return job.id

    job_id = tech(write)
    assert tech(sync_service.unsent).rows == 1
    stored = tech.session.set_server_url(moved)
    assert stored == moved.removesuffix("/api/v1") == tech(server_address.stored)
    assert tech.session.server_url == stored
    assert tech.session.sync_once() is not None and tech.session.status.pending == 0
    assert tech.session.transport.inner.api.startswith("http://localhost:")
    server.bind()
    assert Intervention.get_by_id(job_id).diagnosis == "Vase d'expansion regonflé à 1,2 bar"


def test_signing_out_keeps_unsent_changes_for_the_next_sign_in(devices, server):
    tech = devices("tech")
    tech1 = tech.session.sign_in("tech1", "demo")

    def write():
        job = today_interventions(tech1.technician_id)[0]
        job.operations = "Nettoyage du corps de chauffe"
        job.save()
        return job.id

    job_id = tech(write)
    tech.session.sign_out()
    assert tech(pending_count) == 1  # still on the device, still to send
    assert tech(sync_service.unsent).rows == 1
    tech.session.sign_in("tech1", "demo")  # the same user again (offline check first)
    assert tech.session.sync_once() is not None
    assert tech(pending_count) == 0
    server.bind()
    assert Intervention.get_by_id(job_id).operations == "Nettoyage du corps de chauffe"
