"""A busy database: a request waits at most the lock timeout, then answers 503 with
Retry-After in the JSON error shape (never 500); the device's transport retries by itself."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest
import requests
from server_support import copy_demo_database

from app.sync.transport import HttpTransport


@pytest.fixture
def locked_server(make_server, demo_db_url, tmp_path):
    """A SQLite head office with a short lock timeout, and a function that takes its write
    lock from another connection (as a long push of another process would)."""
    if not demo_db_url.startswith("sqlite"):
        pytest.skip("the write lock of a SQLite file")
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    server = make_server(url, lock_timeout=0.3)
    holder = sqlite3.connect(
        url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )

    def lock() -> None:
        holder.execute("BEGIN IMMEDIATE")

    def unlock() -> None:
        holder.execute("ROLLBACK")

    yield server, lock, unlock
    holder.close()
    cleanup()


def _assert_busy(answer: requests.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["error"]["code"] == "busy"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_push_pull_and_sign_in_meet_a_locked_database_with_503(backend, locked_server):
    server, lock, unlock = locked_server
    office = server.login("office")
    lock()
    try:
        _assert_busy(office.push({}))
        _assert_busy(office.get("/sync/pull", params={"cursor": "", "limit": 10}))
        body = {"username": "tech1", "password": "demo", "device_id": str(uuid.uuid4())}
        _assert_busy(requests.post(server.url("/auth/login"), json=body, timeout=30))
    finally:
        unlock()
    assert office.push({}).status_code == 200  # the lock gone, all is well again


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_device_transport_retries_until_the_lock_is_released(backend, locked_server):
    server, lock, unlock = locked_server
    device_id = str(uuid.uuid4())
    transport = HttpTransport(server.base, timeout=(5, 30), retries=5, backoff=0.1)
    try:
        lock()
        threading.Timer(1.0, unlock).start()  # released during the transport's retries
        transport.login("office", "demo", device_id)
        lock()
        threading.Timer(1.0, unlock).start()
        body = {"batch_id": str(uuid.uuid4()), "device_id": device_id, "changes": {}}
        assert transport.push(body) == {"applied": [], "conflicts": [], "rejected": []}
    finally:
        transport.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_postgresql_lock_timeout_answers_503(backend, demo_db_url, make_server, tmp_path):
    import psycopg2

    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url, lock_timeout=0.3)
        office = server.login("office")
        holder = psycopg2.connect(url)
        try:
            # a transaction holding what every push reads first (its batch's stored answer);
            # pushes no longer take the version counter until they end (parallel pushes)
            with holder.cursor() as cur:
                cur.execute("LOCK TABLE sync_push_batches IN ACCESS EXCLUSIVE MODE")
                _assert_busy(office.push({}))
        finally:
            holder.rollback()
            holder.close()
        assert office.push({}).status_code == 200
    finally:
        server.stop()
        cleanup()
