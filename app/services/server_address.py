"""Head office's address on this device: checked, tested, stored in the device's settings.

The device's settings live in its own database, in the sync key/value store
(``SyncState``, next to the device id and the tokens): the address chosen in the app's
settings is kept there (``SERVER_URL``) and used from then on, by this run's sync and by the
next start. At start the address is, in order: ``--server`` on the command line, the one
stored here, ``$TERRAIN_SERVER_URL``, else (source checkouts only) an embedded head office.
No Flet here.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from app.errors import ValidationError
from app.sync.store import get_state, set_state

SERVER_URL = "server_url"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def normalize(text: str) -> str:
    """``text`` as head office's base address (``https://ho.example.fr``, no trailing slash,
    no ``/api/v1``); raises ``ValidationError`` (key ``server.url.*``) when it is not one."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Head office's address is empty.", field="server_url",
                              key="server.url.empty")  # fmt: skip
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        raise _invalid(raw, "server.url.invalid") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _invalid(raw, "server.url.scheme")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise _invalid(raw, "server.url.host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _invalid(raw, "server.url.invalid")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/api/v1").rstrip("/")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme.lower()}://{netloc}{path}"


def _valid_host(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_HOST_LABEL.match(label) for label in labels)


def _invalid(raw: str, key: str) -> ValidationError:
    return ValidationError(
        f"{raw!r} is not a head office address (http:// or https://, then a host name).",
        field="server_url",
        key=key,
        value=raw,
    )


def stored() -> str | None:
    """The address chosen in the settings, if any (the caller binds the device database)."""
    value = get_state(SERVER_URL)
    return value or None


def store(url: str) -> None:
    set_state(SERVER_URL, url)


def at_start(command_line: str | None, stored_url: str | None, env: str | None) -> str | None:
    """The address a start uses: ``--server``, else the stored one, else the environment's;
    None: start an embedded head office."""
    return command_line or stored_url or env or None


def check(transport) -> dict:
    """``GET /health`` through ``transport``: head office's answer, or the transport's error
    (``TransportError``: unreachable; ``RemoteError``: it answered, but not as head office)."""
    try:
        return transport.health()
    finally:
        transport.close()
