"""What the sync engine needs from head office: the ``Transport`` protocol.

``app.sync.transport.HttpTransport`` is the real one (HTTP, ``requests``);
``app.services.session_service.SessionTransport`` wraps it for the signed-in user's background
sync; tests hand in in-process ones. Methods return decoded JSON answers
(docs/sync-protocol.md) and raise ``app.errors`` types: ``TransportError`` (unreachable),
``AuthError`` (401), ``RemoteError``.

Every member is used: the engine's steps call ``pull``/``push`` (``app.sync.pull``,
``app.sync.push``), the blob step ``has_blob``/``put_blob`` (``app.sync.blobs``), the pull reads
``prefetch``, the session service ``login``/``close``. A wrapper must forward all of them, the
``prefetch`` flag included (tests/test_transport_protocol.py compares each member).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class Transport(Protocol):
    # True when ``pull`` may be called from a helper thread while the caller applies the
    # previous page (``app.sync.pull`` then fetches the next page ahead).
    prefetch: bool

    def health(self) -> dict: ...

    def login(self, username: str, password: str, device_id: str) -> dict: ...

    def pull(self, cursor: str, limit: int) -> dict: ...

    def push(self, body: dict) -> dict: ...

    def has_blob(self, sha256: str) -> bool: ...

    def upload_offset(self, sha256: str) -> int | None:
        """Bytes head office holds of an upload in progress; None when it has the whole blob."""
        ...

    def put_blob(
        self, sha256: str, path: Path | str, progress: Callable[[int, int], None] | None = None
    ) -> dict:
        """Upload a file; ``progress(bytes sent, size)`` as it goes, when given."""
        ...

    def get_blob(self, sha256: str, dest_path: Path | str) -> None: ...

    def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
        ...
