"""A local fake Dropbox API over HTTPS, for the real ``dropbox`` SDK.

Only the server is fake: the SDK under test is the real one, pointed here by its own
environment variables (``DROPBOX_API_HOST``, ``DROPBOX_API_CONTENT_HOST``,
``DROPBOX_WEB_HOST``) and trusting a throwaway CA made by ``make_ca`` (``ca_certs=``).

It implements what Terrain uses, with Dropbox's wire shapes: OAuth 2 code flow with PKCE
(the S256 challenge is checked; no client secret is accepted) and refresh grants;
``files/list_folder`` (two pages) and ``/continue``; ``files/get_thumbnail_v2`` and
``files/download`` on the content routes; ``auth/token/revoke``. Access tokens expire when
the test says so (``expire_tokens``): the next call answers 401 ``expired_access_token``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

APP_KEY = "terrain-test-app"


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1, valid one day."""
    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Terrain test CA")).issuer_name(name("Terrain test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        ), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class DropboxState:
    files: dict[str, bytes] = field(default_factory=dict)  # display path -> bytes
    thumbnails: dict[str, bytes] = field(default_factory=dict)  # lower path -> JPEG
    codes: dict[str, str] = field(default_factory=dict)  # code -> PKCE challenge
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    expire_after: str = ""  # a route: once it is answered, every access token expires
    refreshes: int = 0
    revoked: int = 0
    seen: list[str] = field(default_factory=list)  # routes called, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grant_code(self, challenge: str) -> str:
        code = secrets.token_urlsafe(12)
        self.codes[code] = challenge
        return code

    def expire_tokens(self) -> None:
        with self.lock:
            self.expired |= self.access_tokens

    def entries(self, folder: str) -> list[dict]:
        folder = folder.rstrip("/").lower()
        found, folders = [], set()
        for display, data in sorted(self.files.items()):
            parent = display.rpartition("/")[0]
            if parent.lower() == folder:
                found.append(_file_meta(display, data))
            elif parent.lower().startswith(folder + "/"):
                sub = display[: len(folder) + 1 + len(parent[len(folder) + 1 :].split("/")[0])]
                folders.add(sub)
        for display in sorted(folders):
            found.append({".tag": "folder", "name": display.rsplit("/", 1)[1],
                          "id": "id:" + hashlib.md5(display.lower().encode()).hexdigest()[:12],
                          "path_lower": display.lower(), "path_display": display})  # fmt: skip
        return found


def _file_meta(display: str, data: bytes) -> dict:
    return {
        ".tag": "file", "name": display.rsplit("/", 1)[1],
        "id": "id:" + hashlib.md5(display.lower().encode()).hexdigest()[:12],
        "client_modified": "2026-11-30T09:15:00Z", "server_modified": "2026-11-30T09:16:00Z",
        "rev": "015f1a2b3c4d5e6f7", "size": len(data),
        "path_lower": display.lower(), "path_display": display,
    }  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    state: DropboxState

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value) -> None:
        self._send(status, json.dumps(value).encode(), {"Content-Type": "application/json"})

    def _error(self, status: int, tag: str, inner: dict | None = None) -> None:
        error = {".tag": tag, **({tag: inner} if inner else {})}
        self._json(status, {"error_summary": f"{tag}/", "error": error})

    def _authorized(self) -> bool:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        state = self.state
        if token in state.expired:
            self._error(401, "expired_access_token")
            return False
        if token not in state.access_tokens:
            self._error(401, "invalid_access_token")
            return False
        return True

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        ok = (
            url.path == "/oauth2/authorize" and query.get("client_id") == APP_KEY
            and query.get("response_type") == "code"
            and query.get("code_challenge_method") == "S256"
            and query.get("token_access_type") == "offline"
        )  # fmt: skip
        if not ok:
            return self._send(400, b"bad authorize request")
        code = self.state.grant_code(query["code_challenge"])
        return self._send(200, code.encode(), {"Content-Type": "text/plain"})

    def do_POST(self) -> None:
        state = self.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route = urllib.parse.urlparse(self.path).path
        state.seen.append(route)
        if route == "/oauth2/token":
            return self._token(urllib.parse.parse_qs(body.decode()))
        if not self._authorized():
            return None
        if route == "/2/auth/token/revoke":
            with state.lock:
                state.refresh_tokens.clear()
                state.access_tokens.clear()
                state.revoked += 1
            return self._send(200, b"null", {"Content-Type": "application/json"})
        if route == state.expire_after:
            state.expire_after = ""
            state.expire_tokens()  # this call was authorized already; the next is not
        if route == "/2/files/list_folder":
            entries = state.entries(json.loads(body or b"{}").get("path", ""))
            half = len(entries) // 2
            return self._json(200, {"entries": entries[:half], "cursor": f"next:{half}:"
                                    + json.loads(body or b"{}").get("path", ""),
                                    "has_more": True})  # fmt: skip
        if route == "/2/files/list_folder/continue":
            _, half, folder = json.loads(body)["cursor"].split(":", 2)
            entries = state.entries(folder)
            return self._json(200, {"entries": entries[int(half):], "cursor": "end",
                                    "has_more": False})  # fmt: skip
        arg = json.loads(self.headers.get("Dropbox-API-Arg") or "{}")
        if route == "/2/files/get_thumbnail_v2":
            return self._content(arg["resource"]["path"], thumbnail=True)
        if route == "/2/files/download":
            return self._content(arg["path"])
        return self._send(404, b"unknown route")

    def _content(self, path: str, thumbnail: bool = False) -> None:
        state = self.state
        display = next((p for p in state.files if p.lower() == path.lower()), None)
        if display is None:
            return self._error(409, "path", {".tag": "not_found"})
        data = state.files[display]
        meta = _file_meta(display, data)
        if thumbnail:
            data = state.thumbnails.get(display.lower(), b"")
            if not data:
                return self._error(409, "unsupported_extension")
            meta = {"file_metadata": meta}
        headers = {"Dropbox-API-Result": json.dumps(meta),
                   "Content-Type": "application/octet-stream"}  # fmt: skip
        return self._send(200, data, headers)

    def _token(self, form: dict) -> None:
        state = self.state
        one = {k: v[0] for k, v in form.items()}
        if "client_secret" in one or one.get("client_id") != APP_KEY:
            return self._json(400, {"error": "invalid_client"})
        reply = {"token_type": "bearer", "expires_in": 14400, "account_id": "dbid:TERRAIN",
                 "uid": "12345", "scope": "files.content.read"}  # fmt: skip
        with state.lock:
            if one.get("grant_type") == "authorization_code":
                challenge = state.codes.pop(one.get("code", ""), None)
                verifier = one.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if challenge is None or expected != challenge:
                    return self._json(400, {"error": "invalid_grant"})
                refresh = secrets.token_urlsafe(16)
                state.refresh_tokens.add(refresh)
                reply["refresh_token"] = refresh
            elif one.get("grant_type") == "refresh_token":
                if one.get("refresh_token") not in state.refresh_tokens:
                    reason = {"error": "invalid_grant", "error_description": "revoked"}
                    return self._json(400, reason)
                state.refreshes += 1
            else:
                return self._json(400, {"error": "unsupported_grant_type"})
            token = secrets.token_urlsafe(16)
            state.access_tokens.add(token)
        reply["access_token"] = token
        return self._json(200, reply)


class FakeDropbox:
    """``with FakeDropbox(folder) as dbx:`` — ``dbx.env`` points the SDK at it."""

    def __init__(self, folder: Path) -> None:
        self.ca, cert, key = make_ca(folder)
        self.state = DropboxState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "DROPBOX_API_HOST": self.host,
            "DROPBOX_API_CONTENT_HOST": self.host,
            "DROPBOX_WEB_HOST": self.host,
            "TERRAIN_DROPBOX_APP_KEY": APP_KEY,
            # requests >= 2.32 replaces the SDK's own ``ca_certs`` with its default bundle
            # when it verifies: the standard variable is what reaches the SDK's sessions.
            "REQUESTS_CA_BUNDLE": str(self.ca),
        }

    def __enter__(self) -> FakeDropbox:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
