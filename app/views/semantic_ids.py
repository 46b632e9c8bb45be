"""Stable test ids on key widgets, for screen readers and end-to-end tests.

``ft.Semantics(identifier=...)`` appears in the web DOM as ``flt-semantics-identifier``.
"""

from __future__ import annotations

import flet as ft


def tagged(identifier: str, control: ft.Control, **kwargs) -> ft.Semantics:
    """Wrap ``control`` in its own semantics node carrying ``identifier``.

    Flet renders an error if a Semantics has hidden content: to hide a tagged control, set
    ``visible`` on the returned wrapper (``tagged(..., visible=False)``), not on ``control``.
    """
    return ft.Semantics(identifier=identifier, container=True, content=control, **kwargs)
