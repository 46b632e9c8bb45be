"""Head office took the open intervention away (cancelled, or reassigned to another
technician, so a sync removed it from the device): say so, show what was typed and not saved,
and go back to the technician's day — never an empty or broken screen.

What he had saved was pushed by that sync before anything was removed; what head office
refused stays on the Synchronisation screen ("Modifications refusées"). ``check(view)`` runs
after every finished sync while an intervention is open, and when a reload of the screen
finds the intervention gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from app.views.detail.blocks import big_button
from app.views.semantic_ids import tagged
from app.views.state import Section
from app.views.theme import TOUCH_TARGET

log = logging.getLogger(__name__)


async def check(view) -> ft.AlertDialog | None:
    """If the intervention of ``view`` (a loaded ``DetailView``) is no longer the user's to
    work on, show why and go back to the day; returns the dialog shown, if any."""
    ctx, state = view.ctx, view.state
    if view.detail is None or state.intervention_id != ctx.intervention_id:
        return None
    services = ctx.services
    reference = view.detail.intervention.reference
    try:
        found = await asyncio.to_thread(
            services.detail.withdrawal, ctx.intervention_id, ctx.who, reference=reference
        )
        if found is None:
            return None
        if found.reason == "cancelled" and view.opened_status == "cancelled":
            return None  # opened while cancelled already: nothing new to say
        refused = await asyncio.to_thread(services.sync.refused_count)
    except Exception:  # a check that fails must not take the screen down
        log.exception("checking intervention %s failed", ctx.intervention_id)
        return None
    log.info("intervention %s taken away (%s): back to the day", reference, found.reason)
    page = None
    with contextlib.suppress(RuntimeError):
        page = view.root.page
    dialog = withdrawn_dialog(ctx.tr, found, refused, view.unsaved(), state=state)
    state.close_intervention()  # back to his day
    if page is not None:
        page.show_dialog(dialog)
    return dialog


def withdrawn_dialog(tr, found, refused: int, unsaved: list[tuple[str, str]], *, state):
    body: list[ft.Control] = [
        tagged(
            "withdrawn-text",
            ft.Text(tr(f"withdrawn.text.{found.reason}", reference=found.reference), size=16),
        ),
        tagged(
            "withdrawn-kept",
            ft.Text(
                tr("withdrawn.kept", count=refused) if refused else tr("withdrawn.kept_none"),
                size=15,
            ),
        ),
    ]
    if unsaved:  # typed, never saved: on screen one last time, selectable to copy
        body.append(ft.Text(tr("withdrawn.unsaved"), size=15, weight=ft.FontWeight.W_600))
        body += [
            tagged(f"withdrawn-unsaved-{n}", ft.Text(f"{label} : {text}", size=15, selectable=True))
            for n, (label, text) in enumerate(unsaved)
        ]

    async def close(e: ft.Event) -> None:
        e.page.pop_dialog()

    async def to_sync(e: ft.Event) -> None:
        e.page.pop_dialog()
        if Section.SYNC in state.sections:
            state.go_to(Section.SYNC)

    actions: list[ft.Control] = []
    if refused and state.sync_enabled:
        actions.append(
            tagged(
                "withdrawn-see-refused",
                ft.TextButton(tr("withdrawn.see_refused"), on_click=to_sync, height=TOUCH_TARGET),
                button=True,
            )
        )
    actions.append(big_button("withdrawn-ok", tr("withdrawn.ok"), close))
    return ft.AlertDialog(
        modal=True,
        title=tagged("withdrawn-title", ft.Text(tr(f"withdrawn.title.{found.reason}"))),
        content=ft.Column(body, spacing=10, tight=True, scroll=ft.ScrollMode.AUTO),
        actions=actions,
    )
