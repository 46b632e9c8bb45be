"""A workaround for Flet 1.0.5's web server losing sessions whose client vanished mid-send.

``flet_web.fastapi.FletApp.handle`` runs the WebSocket's receive loop, then awaits its send
loop, then marks the session disconnected. When the tab closes while a frame is being sent
(a reload, a closed tab, a phone locking its screen during an update) the send loop raises
and the last step never runs: the session stays "connected" for ever. Its page never gets
``disconnect`` (so the app keeps its sync listener) and it never expires (so Flet keeps the
session, its page and its controls in memory). Seen in CI: every browser context closed
during an update left one.

``install()`` wraps ``handle`` so that, however the connection ended, a session still
attached to this connection is marked disconnected, exactly as Flet does on a clean close.
Only the web mode's server (``app.web_server``) installs it.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_MARK = "_terrain_disconnects_on_error"


def install() -> None:
    """Wrap ``FletApp.handle`` once per process (idempotent)."""
    from flet_web.fastapi.flet_app import FletApp

    original = FletApp.handle
    if getattr(original, _MARK, False):
        return

    async def handle(self, websocket) -> None:
        try:
            await original(self, websocket)
        except Exception as exc:
            if not await disconnect_if_attached(self):
                raise
            log.info("connection lost while sending (%s): session disconnected", type(exc).__name__)

    setattr(handle, _MARK, True)
    handle.__wrapped__ = original
    FletApp.handle = handle


async def disconnect_if_attached(flet_app) -> bool:
    """Mark ``flet_app``'s session disconnected if it is still attached to this connection
    (not when it already reconnected elsewhere, nor when it never started)."""
    from flet_web.fastapi.flet_app_manager import app_manager

    session = flet_app._FletApp__session
    if session is None or session.connection is not flet_app:
        return False
    await app_manager.disconnect_session(
        flet_app._FletApp__get_unique_session_id(session.id),
        flet_app._FletApp__session_timeout_seconds,
    )
    return True
