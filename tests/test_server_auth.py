"""Head office over HTTP: health, sign-in, tokens, throttling, device ownership, revocation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import requests

from app.models import User, utcnow
from app.models.migrations import LATEST_VERSION
from app.sync import schema
from headoffice.auth import token_hash
from headoffice.models import Device, DeviceToken, LoginFailure


def login(server, username: str, password: str, device_id: str | None = None):
    return requests.post(
        server.url("/auth/login"),
        json={"username": username, "password": password, "device_id": device_id or "dev-x"},
        timeout=30,
    )


def assert_error(answer: requests.Response, status: int, code: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def test_health_answers_versions(demo_server):
    answer = requests.get(demo_server.url("/health"), timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {
        "status": "ok",
        "version": "0.1.0",
        "schema_version": schema.current().version,  # the one pull and push exchange
        "database_version": LATEST_VERSION,
    }


def test_login_returns_a_token_stored_only_as_its_hash(demo_server):
    device_id = str(uuid.uuid4())
    client = demo_server.login("tech1", device_id=device_id)
    assert client.user["role"] == "technician"
    assert client.user["name"] == "Julien Moreau"
    assert len(client.token) >= 40
    stored = DeviceToken.get(DeviceToken.token_hash == token_hash(client.token))
    assert stored.device_id == device_id
    assert client.token not in {t.token_hash for t in DeviceToken.select()}
    assert timedelta(days=29) < stored.expires_at - utcnow() <= timedelta(days=30)
    assert Device.get_by_id(device_id).user_id == client.user["id"]
    office = demo_server.login("office")
    assert office.user["role"] == "office"


def test_bad_password_and_unknown_user_get_the_same_401(demo_server):
    wrong = assert_error(login(demo_server, "tech1", "nope"), 401, "unauthorized")
    unknown = assert_error(login(demo_server, f"ghost-{uuid.uuid4().hex}", "demo"), 401)
    assert wrong["message"] == unknown["message"]
    assert "password" in wrong["message"]
    assert LoginFailure.select().count() == 2


def test_failed_logins_for_a_user_are_throttled_with_retry_after(demo_server):
    for _ in range(5):
        assert_error(login(demo_server, "tech3", "wrong"), 401)
    throttled = login(demo_server, "tech3", "demo")  # even the right password waits
    assert_error(throttled, 429, "throttled")
    assert 800 < int(throttled.headers["Retry-After"]) <= 900
    assert demo_server.login("tech2")  # other users are not affected


def test_parallel_guesses_get_exactly_the_allowed_number_of_checks(demo_server):
    """30 wrong passwords at once: each attempt is counted before its password is checked,
    atomically, so exactly 5 are checked (401) and the other 25 are refused (429)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: login(demo_server, "tech3", "wrong"), range(30)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 25
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
    assert LoginFailure.select().where(LoginFailure.username == "tech3").count() == 5


def test_a_right_password_is_not_counted_as_a_failure(demo_server):
    for _ in range(4):
        assert_error(login(demo_server, "tech3", "wrong"), 401)
    for _ in range(3):
        assert login(demo_server, "tech2", "demo", str(uuid.uuid4())).status_code == 200
    assert_error(login(demo_server, "tech3", "wrong"), 401)  # the 5th failure still checked
    assert LoginFailure.select().where(LoginFailure.username == "tech2").count() == 0


def test_failed_logins_from_one_address_are_throttled(demo_server):
    for i in range(20):
        assert_error(login(demo_server, f"ghost-{i}-{uuid.uuid4().hex}", "x"), 401)
    throttled = login(demo_server, "tech2", "demo")
    assert_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0


def test_throttling_expires_with_the_window(demo_server):
    for _ in range(5):
        assert_error(login(demo_server, "tech3", "wrong"), 401)
    assert login(demo_server, "tech3", "demo").status_code == 429
    old = utcnow() - timedelta(minutes=16)
    LoginFailure.update(at=old).execute()
    assert login(demo_server, "tech3", "demo").status_code == 200


def test_requests_without_a_valid_token_get_401(demo_server):
    url = demo_server.url("/sync/pull")
    assert_error(requests.get(url, timeout=10), 401, "unauthorized")
    for header in ("Bearer garbage", "Basic dGVjaDE6ZGVtbw==", "Bearer", "Bearer " + "x" * 600):
        assert_error(requests.get(url, headers={"Authorization": header}, timeout=10), 401)
    assert requests.get(url, timeout=10).headers["WWW-Authenticate"].startswith("Bearer")


def test_logout_revokes_the_token(demo_server):
    client = demo_server.login("tech1")
    assert client.get("/sync/pull", params={"limit": 1}).status_code == 200
    assert client.post("/auth/logout").status_code == 204
    error = assert_error(client.get("/sync/pull"), 401)
    assert "revoked" in error["message"]


def test_expired_token_gets_401(demo_server):
    client = demo_server.login("tech1")
    DeviceToken.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        DeviceToken.token_hash == token_hash(client.token)
    ).execute()
    error = assert_error(client.get("/sync/pull"), 401)
    assert "expired" in error["message"]


def test_a_disabled_or_deleted_account_gets_401_with_its_live_token(demo_server):
    client = demo_server.login("tech1")
    me = User.id == client.user["id"]
    try:
        for change in ({"active": False}, {"deleted": True}):
            User.update(**change).where(me).execute()
            error = assert_error(client.get("/sync/pull", params={"limit": 1}), 401)
            assert "disabled" in error["message"]
            User.update(active=True, deleted=False).where(me).execute()
            assert client.get("/sync/pull", params={"limit": 1}).status_code == 200
    finally:
        User.update(active=True, deleted=False).where(me).execute()


def test_a_device_of_another_user_is_refused(demo_server):
    mine = demo_server.login("tech1")
    answer = login(demo_server, "tech2", "demo", device_id=mine.device_id)
    assert_error(answer, 403, "forbidden")
    assert Device.get_by_id(mine.device_id).user_id == mine.user["id"]
    again = demo_server.login("tech1", device_id=mine.device_id)  # the owner signs in again
    assert again.token != mine.token


def test_office_revokes_every_token_of_a_device(demo_server):
    device_id = str(uuid.uuid4())
    first = demo_server.login("tech1", device_id=device_id)
    second = demo_server.login("tech1", device_id=device_id)
    other = demo_server.login("tech1")
    office = demo_server.login("office")
    answer = office.post("/auth/revoke", json={"device_id": device_id})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"revoked": 2}
    assert_error(first.get("/sync/pull"), 401)
    assert_error(second.get("/sync/pull"), 401)
    assert other.get("/sync/pull", params={"limit": 1}).status_code == 200
    assert_error(office.post("/auth/revoke", json={"device_id": "no-such-device"}), 404)


def test_technicians_cannot_revoke_devices(demo_server):
    tech = demo_server.login("tech1")
    victim = demo_server.login("tech2")
    assert_error(tech.post("/auth/revoke", json={"device_id": victim.device_id}), 403)
    assert victim.get("/sync/pull", params={"limit": 1}).status_code == 200


def test_login_rejects_bad_bodies_with_4xx(demo_server):
    url = demo_server.url("/auth/login")
    json_type = {"Content-Type": "application/json"}
    cases = [
        (b"{not json", json_type, 400),
        (b"\xff\xfe{}", json_type, 400),
        (b"[]", json_type, 400),
        (b'{"username": 1, "password": "x", "device_id": "d"}', json_type, 400),
        (b'{"username": "tech1", "password": "demo"}', json_type, 400),
        (b'{"username": "a\\u0000", "password": "x", "device_id": "d"}', json_type, 400),
        (b'{"username": "tech1", "password": "demo", "device_id": "d"}', {}, 415),
        (b"username=tech1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"x" * 20000, json_type, 413),
    ]
    for body, headers, status in cases:
        answer = requests.post(url, data=body, headers=headers, timeout=10)
        assert_error(answer, status)
