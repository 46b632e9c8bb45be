"""The workaround for Flet's web server losing a session whose client vanished mid-send
(app/flet_sessions.py): the session is marked disconnected however the connection ends."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from flet.utils import sha1
from flet_web.fastapi.flet_app import FletApp
from flet_web.fastapi.flet_app_manager import app_manager
from starlette.websockets import WebSocketDisconnect

from app import flet_sessions


class FakeSession:
    def __init__(self, connection) -> None:
        self.id = "s1"
        self.connection = connection


@pytest.fixture
def wrapped(monkeypatch):
    """``FletApp.handle`` wrapped over a stand-in for Flet's own that ends as told."""
    calls: list[str] = []

    async def flets_handle(self, websocket):  # what Flet's sets before its loops
        self._FletApp__client_ip, self._FletApp__client_user_agent = "127.0.0.1", "Chromium"
        self.page_name = ""
        self._FletApp__session = websocket["session"](self)
        if websocket["ends"] is not None:
            raise websocket["ends"]
        calls.append("flet disconnected it")  # what Flet does after a clean close

    async def disconnect_session(session_id, timeout):
        calls.append(f"disconnect {session_id} after {timeout}")

    monkeypatch.setattr(FletApp, "handle", flets_handle)
    monkeypatch.setattr(app_manager, "disconnect_session", disconnect_session)
    flet_sessions.install()
    flet_sessions.install()  # twice: wrapped once
    assert FletApp.handle.__wrapped__ is flets_handle
    return calls


def handle(ends, session=FakeSession):
    with ThreadPoolExecutor(1) as pool:
        loop = asyncio.new_event_loop()
        try:
            app = FletApp(loop, pool, main=lambda page: None, before_main=None,
                          session_timeout_seconds=60)  # fmt: skip
            loop.run_until_complete(app.handle({"ends": ends, "session": session}))
        finally:
            loop.close()


def test_a_client_gone_mid_send_still_disconnects_its_session(wrapped):
    handle(WebSocketDisconnect(code=1006))  # swallowed: the connection is over
    assert wrapped == [f"disconnect _s1_{sha1('Chromium')} after 60"]  # Flet's own key


def test_a_clean_close_is_flets_own(wrapped):
    handle(None)
    assert wrapped == ["flet disconnected it"]


def test_a_session_already_elsewhere_is_left_alone_and_the_error_raised(wrapped):
    elsewhere = object()
    with pytest.raises(WebSocketDisconnect):
        handle(WebSocketDisconnect(code=1006), session=lambda app: FakeSession(elsewhere))
    with pytest.raises(RuntimeError):
        handle(RuntimeError("before any session"), session=lambda app: None)
    assert wrapped == []
