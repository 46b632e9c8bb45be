"""Head office at the edges of HTTP: bodies bounded before they are read, every error (the
app's, falcon's and waitress' own) in the JSON shape, and servers that stop cleanly."""

from __future__ import annotations

import gc
import os
import socket
import threading
import uuid

import requests
from server_support import start_live_server

from app.sync.push_request import MAX_BODY_BYTES
from headoffice.app import MAX_BLOB_REQUEST_BYTES


def _raw(server, request: bytes, *, timeout: float = 10) -> tuple[int, dict, bytes]:
    """Send raw bytes to the server; returns (status, headers, body) of its answer."""
    port = int(server.base.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                headers = dict(
                    line.decode("latin-1").lower().split(": ", 1)
                    for line in head.split(b"\r\n")[1:]
                )
                length = int(headers.get("content-length", "-1"))
                if 0 <= length <= len(body):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _json_error(status_headers_body) -> dict:
    import json

    status, headers, body = status_headers_body
    assert headers["content-type"].startswith("application/json"), (status, headers, body)
    return json.loads(body)["error"]


def test_an_oversized_body_is_refused_before_it_is_read(demo_server):
    """Only the headers are sent: the 413 comes back at once, no byte of the body read,
    without a token, in the JSON error shape."""
    limit = max(MAX_BODY_BYTES, min(demo_server.config.max_blob_bytes, MAX_BLOB_REQUEST_BYTES))
    request = (
        b"POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {limit + 1}\r\n\r\n".encode()
    )
    answer = _raw(demo_server, request)
    assert answer[0] == 413
    assert _json_error(answer)["code"] == "payload_too_large"
    blob = "0" * 64
    request = f"PUT /api/v1/blobs/{blob} HTTP/1.1\r\nHost: x\r\nContent-Length: {513 << 20}\r\n\r\n"
    answer = _raw(demo_server, request.encode())
    assert answer[0] == 413


def test_a_chunked_body_is_cut_at_the_limit(demo_server):
    limit = demo_server.config.max_request_bytes
    chunk = b"x" * (1 << 20)
    head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 2))
    answer = _raw(demo_server, head + body + b"0\r\n\r\n", timeout=30)
    assert answer[0] == 413
    assert _json_error(answer)["code"] == "payload_too_large"


def test_a_blob_put_above_the_request_limit_must_be_chunked(make_server, demo_db_url, tmp_path):
    from server_support import copy_demo_database

    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url, max_blob_request_bytes=64 * 1024)
        client = server.login("tech1")
        answer = client.put("/blobs/" + "a" * 64, b"x" * (64 * 1024 + 1))
        assert answer.status_code == 413
        assert "Content-Range" in answer.json()["error"]["message"]
    finally:
        server.stop()
        cleanup()


def test_protocol_and_routing_errors_are_json(demo_server):
    assert _json_error(_raw(demo_server, b"GARBAGE\r\n\r\n"))["code"] == "bad_request"
    bad_length = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
    answer = _raw(demo_server, bad_length)
    assert answer[0] == 400 and _json_error(answer)["code"] == "bad_request"
    answer = _raw(demo_server, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer[0] == 404 and _json_error(answer)["code"] == "not_found"
    answer = _raw(demo_server, b"DELETE /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer[0] == 405 and _json_error(answer)["code"] == "method_not_allowed"
    answer = _raw(
        demo_server, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
    )
    assert answer[0] == 501 and _json_error(answer)["code"] == "not_implemented"


def _counts() -> tuple[int, int]:
    gc.collect()  # descriptors only unreachable objects still hold are closed first
    return len(os.listdir("/proc/self/fd")), threading.active_count()


def test_starting_and_stopping_a_server_leaks_no_descriptor_nor_thread(demo_db_url, tmp_path):
    """30 servers, each used by two devices (one keeps its connection open across the stop):
    the process ends with the descriptors and threads it had."""
    from server_support import copy_demo_database

    url, cleanup = copy_demo_database(demo_db_url, tmp_path)

    def one_server() -> None:
        server = start_live_server(url, tmp_path / "blobs")
        keep_alive = requests.Session()
        try:
            client = server.login("tech1", device_id=str(uuid.uuid4()))
            answer = keep_alive.get(
                server.url("/sync/pull"), headers=client.headers, params={"limit": 50}
            )
            assert answer.status_code == 200
            assert requests.get(server.url("/health"), timeout=10).status_code == 200
        finally:
            server.stop()
            keep_alive.close()

    try:
        one_server()  # warm-up: lazy imports, the scrypt dummy hash, logging handlers
        baseline = _counts()
        for _ in range(30):
            one_server()
        descriptors, threads = _counts()
        # never more than before (fewer happens: a pooled connection of the test's database
        # set-up, open at the baseline, may be closed meanwhile)
        assert descriptors <= baseline[0] and threads == baseline[1], (descriptors, baseline)
    finally:
        cleanup()
