"""Follow the device's ``UploadBoard`` (``app.sync.uploads``) from a screen, and show sizes.

The sync changes the board on its own thread; ``BoardFollower`` hands each change to the
screen's event loop (coalesced: many progress steps between two frames make one redraw)
and calls ``on_change`` there. The board holds the follower only weakly: a screen that is
gone (garbage) is unsubscribed at the next change, and ``stop()`` does it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable

from app.i18n import Translator
from app.services.uploads import UploadBoard
from app.views.detail.blocks import number


def human_size(tr: Translator, size: int) -> str:
    """``1 234 567`` bytes as ``1,2 Mo`` (French) / ``1.2 MB``."""
    if size < 1024:
        return tr("size.b", n=size)
    for key, unit in (("size.kb", 1024), ("size.mb", 1024**2), ("size.gb", 1024**3)):
        value = size / unit
        if value < 1024 or key == "size.gb":
            shown = round(value, 1) if value < 100 else round(value)
            return tr(key, n=number(tr, shown))
    raise AssertionError("unreachable")


class BoardFollower:
    def __init__(self, board: UploadBoard, on_change: Callable[[], None]) -> None:
        self.board = board
        self.on_change = on_change
        self._loop = asyncio.get_running_loop()
        self._scheduled = False
        me = weakref.ref(self)
        holder: dict[str, Callable[[], None]] = {}

        def listener(_board: UploadBoard) -> None:
            follower = me()
            if follower is None:
                holder["stop"]()
                return
            follower._changed()

        holder["stop"] = board.subscribe(listener)
        self._unsubscribe = holder["stop"]

    def _changed(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: the app is ending
            self._loop.call_soon_threadsafe(self._apply)

    def _apply(self) -> None:
        self._scheduled = False
        self.on_change()

    def stop(self) -> None:
        self._unsubscribe()
