"""What the sync engine needs from head office: the ``Transport`` protocol.

``app.sync.transport.HttpTransport`` is the real one (HTTP, ``requests``); tests hand in an
in-process one. Methods return decoded JSON answers (docs/sync-protocol.md) and raise
``app.errors`` types: ``TransportError`` (unreachable), ``AuthError`` (401), ``RemoteError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Transport(Protocol):
    def login(self, username: str, password: str, device_id: str) -> dict: ...

    def pull(self, cursor: str, limit: int) -> dict: ...

    def push(self, body: dict) -> dict: ...

    def put_blob(self, sha256: str, path: Path | str) -> dict: ...

    def has_blob(self, sha256: str) -> bool: ...

    def get_blob(self, sha256: str, dest_path: Path | str) -> None: ...

    def health(self) -> dict: ...
