"""The intervention's header, built once and kept up to date in place.

``show(detail)`` is called after every reload (a status change, a meter reading, a part
used): it changes the values of the controls already on screen and rebuilds a block only
when what it shows changed. A reload therefore never replaces the back button, the
"Appeler" / "Itinéraire" buttons or any other control under the technician's finger: a tap
made while the screen refreshes reaches its target.

Pieces, placed by ``DetailView``: ``title`` (back, reference and type, priority, status),
``where`` (customer, site, contact with its buttons, access notes: tablets show it above the
section list, on the first screen), ``more`` (schedule, problem, equipment, contract) and,
for the phone's "Fiche" section, ``summary`` (``where`` then ``more``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.services.detail_service import InterventionDetail
from app.views.day_item_card import priority_marker, status_chip
from app.views.detail import header
from app.views.semantic_ids import tagged


class DetailHeader:
    def __init__(self, tr: Translator, on_back: Callable[[ft.Event], Awaitable[None]]) -> None:
        self.tr = tr
        back = ft.IconButton(
            ft.Icons.ARROW_BACK, tooltip=tr("detail.back"), icon_size=28, on_click=on_back
        )
        self.reference = ft.Text("", size=20, weight=ft.FontWeight.BOLD)
        self.type_label = ft.Text("", size=15, color=ft.Colors.ON_SURFACE_VARIANT)
        self.priority = tagged("detail-priority", ft.Container(), visible=False)
        self.status = tagged("detail-status", ft.Container())
        # Status and priority under the type: beside the reference, a long status ("Travaux
        # terminés") broke the reference in two in the tablet's left pane.
        self.title = ft.Row(
            [
                tagged("detail-back", back, button=True),
                ft.Column(
                    [
                        tagged("detail-reference", self.reference),
                        self.type_label,
                        ft.Row([self.status, self.priority], spacing=8, wrap=True),
                    ],
                    spacing=2,
                    expand=True,
                ),
            ],
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
        self.where = tagged("detail-customer", ft.Column(spacing=6))
        self.visit = ft.Column(spacing=6)
        self.equipment = ft.Container()
        self.contract = ft.Container()
        self.more = tagged(
            "detail-more",
            ft.Column(
                [self.visit, self.equipment, self.contract],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )
        self.summary = tagged(
            "detail-header",
            ft.Column(
                [self.where, self.more],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )
        self.meter_texts: list[ft.Text] = []
        self._keys: dict[str, object] = {}

    def _changed(self, block: str, key: object) -> bool:
        """True (and remember ``key``) when ``block`` must be rebuilt to show ``key``."""
        if self._keys.get(block) == key:
            return False
        self._keys[block] = key
        return True

    def show(self, detail: InterventionDetail) -> None:
        tr, job = self.tr, detail.intervention
        self.reference.value = job.reference
        self.type_label.value = detail.type_label
        if self._changed("priority", job.priority):
            marker = priority_marker(tr, job.priority)
            self.priority.content.content = marker
            self.priority.visible = marker is not None
        if self._changed("status", str(job.status)):
            self.status.content.content = status_chip(tr, str(job.status))
        if self._changed("where", header.where_key(detail)):
            self.where.content.controls = header.where(tr, detail)
        visit = (job.scheduled_start, job.scheduled_end, job.problem_reported)
        if self._changed("visit", visit):
            self.visit.controls = header.visit(tr, detail)
        eq = detail.equipment
        shape = (
            (eq.id, eq.brand, eq.model, eq.serial_number, eq.location) if eq else None,
            [(m.id, m.name, m.unit) for m, _last in detail.meters],
        )
        if self._changed("equipment", shape):
            self.equipment.content, self.meter_texts = header.equipment(tr, detail)
        for text, (meter, last) in zip(self.meter_texts, detail.meters, strict=True):
            text.value = header.meter_text(tr, meter, last)  # a reading changes only this
        c = detail.contract
        terms = (
            (c.id, c.reference, c.label, c.covers_labour, c.covers_parts, c.covers_travel)
            if c
            else None
        )
        if self._changed("contract", terms):
            self.contract.content = header.contract(tr, detail)
