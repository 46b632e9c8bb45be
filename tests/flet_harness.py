"""Client-less Flet view tests: a real Session and Page over an in-memory connection.

This is the only module that touches Flet's private messaging API (Connection, Session,
the context page, the msgpack encoder): when Flet is upgraded, fix it here.

    harness = await FletHarness.start(build_app(services), width=390)
    harness.find("signin-username").value = "tech1"
    await harness.click("signin-submit")
    assert "Ma journée" in harness.texts()
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import flet as ft
import msgpack
from flet.controls import context as flet_context
from flet.messaging.connection import Connection
from flet.messaging.protocol import MessageAction, configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

_ENCODE = configure_encode_object_for_msgpack(ft.BaseControl)
CLIENT_URL = "http://127.0.0.1:8550"  # the page address the client reports


class RecordingConnection(Connection):
    """A connection with no client: every message is packed (as the socket would) and kept.

    It answers client method calls at once with None; for ``push_route`` it does what the
    browser does: the address changes (``routes`` keeps them) and the page gets a
    ``route_change`` event.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        super().__init__()
        self.pubsubhub = PubSubHub(loop=loop, executor=executor)
        self.loop = loop
        self.executor = executor
        self.messages: list[bytes] = []
        self.page_url = CLIENT_URL
        self.session: Session | None = None
        self.routes: list[str] = []  # every route the app pushed, in order
        self.invoked: list[tuple[str, dict]] = []  # every client method called (name, args)

    def send_message(self, message) -> None:
        self.messages.append(msgpack.packb([message.action, message.body], default=_ENCODE))
        body = message.body
        if message.action == MessageAction.INVOKE_METHOD:
            self.loop.create_task(self._answer(body.control_id, body.call_id, body.name, body.args))

    async def _answer(self, control_id: int, call_id: str, name: str, args: dict) -> None:
        """A client method returns None at once (``scroll_to``, ...); ``push_route`` also
        changes the address."""
        assert self.session is not None
        self.invoked.append((name, args))
        self.session.handle_invoke_method_results(control_id, call_id, None, None)
        if name == "push_route":
            self.routes.append(args["route"])
            await client_route_change(self.session, args["route"])


async def client_route_change(session: Session, route: str) -> None:
    """What the client sends when its address changes (typed, back/forward, pushed)."""
    session.apply_page_patch({"route": route})
    await session.dispatch_event(session.page._i, "route_change", {"route": route})


def _children(value: Any) -> Iterator[ft.BaseControl]:
    """Controls directly held by ``value`` (a control's fields, lists, nested dataclasses)."""
    if isinstance(value, ft.BaseControl):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _children(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _children(item)


def walk(control: ft.BaseControl, *, visible_only: bool = True) -> Iterator[ft.BaseControl]:
    """``control`` and its descendants, depth first, skipping hidden subtrees."""
    if visible_only and getattr(control, "visible", True) is False:
        return
    yield control
    for f in dataclasses.fields(control):
        if f.name.startswith("_") or f.metadata.get("skip", False) or f.name == "data":
            continue
        for child in _children(getattr(control, f.name, None)):
            yield from walk(child, visible_only=visible_only)


def layout_faults(control: ft.BaseControl) -> list[ft.BaseControl]:
    """Controls Flutter cannot lay out under ``control``: an expanding child of a wrapping
    row (the browser paints a grey box over the screen in its place), a semantics node whose
    content is hidden (a red "Semantics.content must be provided and visible" box)."""
    faults: list[ft.BaseControl] = []
    for row in walk(control):
        if isinstance(row, ft.Row) and row.wrap:
            faults += [c for c in row.controls if getattr(c, "expand", None)]
        if isinstance(row, ft.Semantics) and getattr(row.content, "visible", True) is False:
            faults.append(row)
    return faults


class FletHarness:
    """One session of a Flet app, driven from a test without a browser."""

    def __init__(self, session: Session, connection: RecordingConnection) -> None:
        self.session = session  # the page keeps only a weak reference to its session
        self.connection = connection

    @property
    def page(self) -> ft.Page:
        return self.session.page

    @classmethod
    async def start(
        cls,
        main: Callable[[ft.Page], Awaitable[None] | None],
        *,
        width: float = 390,
        height: float = 844,
        route: str = "/",
    ) -> FletHarness:
        """Open a session as a client of size ``width`` x ``height`` at ``route`` would (the
        address typed in the browser), and run ``main``."""
        loop = asyncio.get_running_loop()
        connection = RecordingConnection(loop, ThreadPoolExecutor(max_workers=4))
        session = Session(connection)
        connection.session = session
        session.apply_page_patch({"width": width, "height": height, "web": True, "route": route})
        # What the server sends on register: without it updates are not sent.
        msgpack.packb(session.get_page_patch(), default=_ENCODE)
        flet_context._context_page.set(session.page)
        harness = cls(session, connection)
        result = main(session.page)
        if asyncio.iscoroutine(result):
            await result
        await harness.settle()
        return harness

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every task started by the app (``page.run_task``, loaders) is done."""
        current = asyncio.current_task()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for _ in range(3):  # run_task schedules through call_soon_threadsafe
                await asyncio.sleep(0)
            pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
            if not pending:
                return
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"tasks still running after {timeout} s: {pending}")
            await asyncio.wait(pending, timeout=remaining)

    # -- finding controls ------------------------------------------------------------------

    def controls(self, *, visible_only: bool = True) -> Iterator[ft.BaseControl]:
        for view in self.page.views:
            yield from walk(view, visible_only=visible_only)
        for dialog in self.open_dialogs():
            yield from walk(dialog, visible_only=visible_only)

    def open_dialogs(self) -> list[ft.AlertDialog]:
        """The alert dialogs shown and not closed (snack bars are left out: without a
        client, nothing ever dismisses them)."""
        stack = getattr(self.page, "_dialogs", None)
        controls = stack.controls if stack is not None else []
        return [d for d in controls if isinstance(d, ft.AlertDialog) and d.open]

    def find_tagged(self, identifier: str) -> ft.Semantics | None:
        for control in self.controls():
            if isinstance(control, ft.Semantics) and control.identifier == identifier:
                return control
        return None

    def has(self, identifier: str) -> bool:
        return self.find_tagged(identifier) is not None

    def find(self, identifier: str) -> Any:
        """The control wrapped by ``Semantics(identifier=...)``; fails when absent."""
        tagged = self.find_tagged(identifier)
        if tagged is None:
            raise AssertionError(f"no visible control tagged {identifier!r}; have {self.ids()}")
        return tagged.content

    def ids(self, prefix: str = "") -> list[str]:
        return [
            c.identifier
            for c in self.controls()
            if isinstance(c, ft.Semantics) and c.identifier and c.identifier.startswith(prefix)
        ]

    def find_type(self, cls: type) -> list[Any]:
        return [c for c in self.controls() if isinstance(c, cls)]

    def texts(self, identifier: str | None = None) -> list[str]:
        """Visible text: Text values and string labels/contents, under ``identifier`` if given."""
        root = self.find_tagged(identifier) if identifier else None
        if identifier and root is None:
            raise AssertionError(f"no visible control tagged {identifier!r}")
        controls = walk(root) if root is not None else self.controls()
        found: list[str] = []
        for control in controls:
            if isinstance(control, ft.Text) and control.value:
                found.append(control.value)
            for name in ("label", "content", "text"):
                value = getattr(control, name, None)
                if isinstance(value, str) and value:
                    found.append(value)
        return found

    def text(self, identifier: str | None = None) -> str:
        return "\n".join(self.texts(identifier))

    # -- acting as the user --------------------------------------------------------------

    async def fire(self, control: ft.BaseControl, event: str, data: Any = None) -> None:
        """Send ``event`` to ``control`` as the client would, then wait for the app's tasks."""
        await self.session.dispatch_event(control._i, event, data)
        await self.settle()

    async def click(self, identifier: str) -> None:
        control = self.find(identifier)
        if isinstance(control, ft.Card):  # cards are clicked through their container
            control = control.content
        await self.fire(control, "click")

    async def fill(self, identifier: str, value: str) -> None:
        field = self.find(identifier)
        field.value = value  # the client patches the value, then sends "change"
        await self.fire(field, "change", value)

    async def submit(self, identifier: str) -> None:
        await self.fire(self.find(identifier), "submit")

    async def select_segment(self, identifier: str, value: str) -> None:
        button = self.find(identifier)
        button.selected = [value]
        await self.fire(button, "change", [value])

    async def navigate(self, index: int) -> None:
        """Pick destination ``index`` in the navigation bar or rail, whichever is shown."""
        nav = self.find("nav-bar") if self.has("nav-bar") else self.find("nav-rail")
        nav.selected_index = index
        await self.fire(nav, "change", str(index))

    @property
    def route(self) -> str:
        return self.page.route

    @property
    def pushed_routes(self) -> list[str]:
        return self.connection.routes

    async def go(self, route: str) -> None:
        """The address bar changes to ``route`` (typed, or back/forward), as in a browser."""
        await client_route_change(self.session, route)
        await self.settle()

    async def disconnect(self) -> None:
        """The browser tab closes: Flet drops the connection and the page gets ``disconnect``
        (the session lives on until it expires, or the tab comes back)."""
        await self.session.disconnect(60)
        await self.settle()

    async def reconnect(self) -> None:
        """The tab comes back to its session (a reload): the page gets ``connect``."""
        await self.session.connect(self.connection)
        await self.settle()

    async def resize(self, width: float, height: float) -> None:
        self.session.apply_page_patch({"width": width, "height": height})
        await self.fire(self.page, "resize", {"width": width, "height": height})

    def dialogs(self) -> list[Any]:
        """The dialogs open on the page (``page.show_dialog``), oldest first."""
        return [d for d in self.page._dialogs.controls if getattr(d, "open", False)]

    def close(self) -> None:
        self.connection.executor.shutdown(wait=False, cancel_futures=True)
        flet_context._context_page.set(None)
