"""HttpTransport against a tiny real HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.errors import AuthError, RemoteError, SyncError, TransportError
from app.sync.transport import HttpTransport


class Script:
    """Answers to serve, in order, per path; requests seen."""

    def __init__(self):
        self.answers: dict[str, list[tuple[int, dict, bytes]]] = {}
        self.seen: list[tuple[str, str, dict, bytes]] = []

    def on(self, path: str, *answers: tuple[int, dict, bytes]) -> None:
        self.answers.setdefault(path, []).extend(answers)


def js(status: int, body, **headers) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0].removeprefix("/api/v1")
            script.seen.append((self.command, self.path, dict(self.headers), body))
            queue = script.answers.get(path) or [(404, {}, b"")]
            status, headers, payload = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_HEAD = _serve

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


def transport(url: str, **kwargs) -> HttpTransport:
    return HttpTransport(url, token="tok", timeout=(2, 5), backoff=0.01, **kwargs)


def test_pull_sends_the_token_and_decodes_the_page(server):
    page = {"changes": {}, "evicted": {}, "cursor": "abc", "has_more": False}
    server.on("/sync/pull", js(200, page))
    assert transport(server.url).pull("xyz", 50) == page
    method, path, headers, _ = server.seen[0]
    assert (method, headers["Authorization"]) == ("GET", "Bearer tok")
    assert "cursor=xyz" in path and "limit=50" in path


def test_401_is_an_auth_error(server):
    server.on("/sync/pull", js(401, {"error": {"code": "unauthorized", "message": "Expired."}}))
    with pytest.raises(AuthError) as caught:
        transport(server.url).pull("", 10)
    assert "Expired." in str(caught.value) and "Sign in again" in caught.value.hint
    assert len(server.seen) == 1


def test_4xx_carries_the_servers_code_and_message(server):
    error = {"error": {"code": "bad_request", "message": "Unknown table(s): nope."}}
    server.on("/sync/push", js(400, error))
    with pytest.raises(RemoteError) as caught:
        transport(server.url).push({"batch_id": "b", "device_id": "d", "changes": {}})
    assert (caught.value.status, caught.value.code) == (400, "bad_request")
    assert caught.value.message == "Unknown table(s): nope." and isinstance(caught.value, SyncError)
    assert len(server.seen) == 1  # a 4xx is not retried


def test_5xx_is_retried_then_reported(server):
    server.on("/sync/pull", js(500, {"error": {"code": "internal", "message": "boom"}}))
    with pytest.raises(RemoteError) as caught:
        transport(server.url, retries=2).pull("", 10)
    assert caught.value.status == 500 and "Head office failed" in caught.value.message
    assert len(server.seen) == 3


def test_push_is_retried_on_503_and_429_with_the_same_body(server):
    body = {"batch_id": "b1", "device_id": "d", "changes": {}}
    answer = {"applied": [], "conflicts": [], "rejected": []}
    server.on(
        "/sync/push",
        js(503, {}),
        js(429, {"error": {"code": "throttled", "message": "Slow down"}}, **{"Retry-After": "0"}),
        js(200, answer),
    )
    assert transport(server.url).push(body) == answer
    assert [json.loads(seen[3]) for seen in server.seen] == [body] * 3


def test_login_is_not_retried_and_keeps_the_token(server):
    server.on("/auth/login", js(500, {}))
    with pytest.raises(RemoteError):
        transport(server.url).login("tech1", "demo", "dev-1")
    assert len(server.seen) == 1
    server.on("/auth/login", js(200, {"token": "new", "user": {"id": "u"}}))
    server.answers["/auth/login"] = [js(200, {"token": "new", "user": {"id": "u"}})]
    t = transport(server.url)
    t.login("tech1", "demo", "dev-1")
    assert t.token == "new" and "Authorization" not in server.seen[-1][2]


def test_a_busy_answer_is_retried_even_for_a_sign_in_a_bounded_number_of_times(server):
    busy = js(503, {"error": {"code": "busy", "message": "Busy."}}, **{"Retry-After": "0"})
    server.on("/auth/login", busy, js(200, {"token": "new", "user": {"id": "u"}}))
    assert transport(server.url).login("tech1", "demo", "dev-1")["token"] == "new"
    assert len(server.seen) == 2
    server.seen.clear()
    server.answers["/auth/login"] = [busy]
    with pytest.raises(RemoteError) as caught:
        transport(server.url, retries=2).login("tech1", "demo", "dev-1")
    assert caught.value.status == 503 and len(server.seen) == 3


def test_garbage_is_a_sync_error(server):
    server.on("/health", (200, {"Content-Type": "text/html"}, b"<html>proxy login</html>"))
    with pytest.raises(RemoteError) as caught:
        transport(server.url).health()
    assert caught.value.code == "bad_answer"


def test_no_server_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(TransportError) as caught:
        transport(f"http://127.0.0.1:{port}", retries=1).health()
    assert "head office" in caught.value.message and "Wi-Fi" in caught.value.hint


def test_blobs(server, tmp_path):
    data = b"photo bytes" * 1000
    sha = hashlib.sha256(data).hexdigest()
    server.on(f"/blobs/{sha}", (200, {}, data))
    t = transport(server.url)
    assert t.has_blob(sha) is True
    assert t.has_blob("0" * 64) is False
    t.get_blob(sha, tmp_path / "photo.jpg")
    assert (tmp_path / "photo.jpg").read_bytes() == data
    server.answers[f"/blobs/{sha}"] = [js(201, {"sha256": sha, "size": len(data)})]
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    assert t.put_blob(sha, source) == {"sha256": sha, "size": len(data)}
    assert server.seen[-1][0] == "PUT" and server.seen[-1][3] == data
    server.answers[f"/blobs/{sha}"] = [(200, {}, b"damaged")]
    with pytest.raises(RemoteError):
        t.get_blob(sha, tmp_path / "bad.jpg")
    assert not (tmp_path / "bad.jpg").exists()
