"""What every section of the intervention screen gets: services, user, strings, and helpers.

A section is a small class taking a ``DetailContext``, with ``build() -> ft.Control`` and
``async load()``; it calls services only through ``ctx.call`` (off the UI loop, errors shown
to the user with what to do) and tells the screen to reload with ``ctx.changed()`` after a
write that affects other sections (status, progress, stock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.i18n import Translator
from app.services.auth_service import CurrentUser
from app.services.registry import Services

log = logging.getLogger(__name__)


@dataclass
class DetailContext:
    services: Services
    who: CurrentUser
    tr: Translator
    intervention_id: str
    notify: Callable[[str, bool], None]  # (text, is_error): a snack bar / banner
    on_changed: Callable[[], Awaitable[None]]  # reload the header and the other sections
    # Open client mode on this intervention's report (the app's locked screen).
    present: Callable[[], None] = field(default=lambda: None)

    async def call(self, fn: Callable[..., Any], *args: Any, saved: str | None = None, **kw: Any):
        """Run a service call in a worker thread. On success, show ``saved`` (an i18n key) if
        given and return the result; on a TerrainError, show its translated text and return
        None (the caller keeps the user's input on screen)."""
        try:
            result = await asyncio.to_thread(fn, *args, **kw)
        except Exception as err:  # shown to the user; unexpected ones are logged too
            if not hasattr(err, "hint"):
                log.exception("service call failed")
            self.notify(self.tr.error(err), True)
            return None
        if saved:
            self.notify(self.tr(saved), False)
        return result

    async def changed(self) -> None:
        await self.on_changed()

    def now(self):
        return self.services.clock()
