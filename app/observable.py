"""The one observable base of the state a view shows and a background thread changes (the
sync status, the upload board, a job). No Flet here, nothing from above.

A subclass is a dataclass changed only through its methods, each ending in ``_changed()``;
listeners are called on the thread that made the change (a UI listener hands the update to
its own loop). ``_guard`` is the subclass's lock too, for the data it changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Observable:
    _listeners: list[Callable[[Self], None]] = field(default_factory=list, repr=False, kw_only=True)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False, kw_only=True)

    def subscribe(self, listener: Callable[[Self], None]) -> Callable[[], None]:
        """``listener(self)`` after each change, on the thread that made it; returns the
        unsubscribe function (safe to call twice)."""
        with self._guard:
            self._listeners.append(listener)
            final = self._final()
        if final:
            listener(self)

        def unsubscribe() -> None:
            with self._guard:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def listener_count(self) -> int:
        with self._guard:
            return len(self._listeners)

    def _final(self) -> bool:
        """True once no change will come (read under the guard): a new listener is then
        called once, at once."""
        return False

    def _describe(self) -> str:
        """What a failing listener was listening to, for the log."""
        return type(self).__name__

    def _changed(self, **changes: Any) -> None:
        """Set ``changes`` (attributes) under the guard, then call every listener; a broken
        listener (a view) is logged and must not stop the work that changed the state."""
        with self._guard:
            for name, value in changes.items():
                setattr(self, name, value)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(self)
            except Exception:
                log.exception("%s listener failed", self._describe())
