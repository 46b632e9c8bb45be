"""The blocks of the intervention's header: reference, status and priority (title bar); where
he is going (customer, site, who to ask for there with "Appeler" and "Itinéraire", access
notes); then schedule, problem, equipment and meters, contract. ``DetailHeader``
(``detail_header.py``) lays them out and keeps them up to date in place."""

from __future__ import annotations

import flet as ft

from app.i18n import Translator
from app.services.detail_service import InterventionDetail
from app.services.site_links import call_link, route_link
from app.views.detail.blocks import big_button, number
from app.views.semantic_ids import tagged

COVERED_COLOR = ft.Colors.GREEN_700
NOT_COVERED_COLOR = ft.Colors.RED_700


def unbroken(text: str) -> str:
    """``text`` kept on one line when it wraps (a phone number, "69007 Lyon")."""
    return text.replace(" ", "\u00a0")


def _line(icon: ft.IconData, text: str, *, strong: bool = False) -> ft.Control:
    return ft.Row(
        [
            ft.Icon(icon, size=20, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(
                text,
                size=17 if strong else 15,
                weight=ft.FontWeight.W_600 if strong else None,
                expand=True,
            ),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def _block(title: str, controls: list[ft.Control]) -> ft.Control:
    return ft.Column(
        [
            ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY),
            *controls,
        ],
        spacing=6,
    )


def meter_text(tr: Translator, meter, last: float | None) -> str:
    if last is None:
        return tr("detail.meter_none", name=meter.name, unit=meter.unit)
    return tr("detail.meter_value", name=meter.name, value=number(tr, last), unit=meter.unit)


def equipment(tr: Translator, detail: InterventionDetail) -> tuple[ft.Control, list[ft.Text]]:
    """The equipment block, and the text of each meter line (updated in place by
    ``DetailHeader`` after a reading)."""
    eq = detail.equipment
    if eq is None:
        block = _block(tr("detail.equipment"), [ft.Text(tr("detail.no_equipment"), italic=True)])
        return block, []
    name = " ".join(p for p in (eq.brand, eq.model) if p) or tr("detail.equipment")
    lines = [_line(ft.Icons.PRECISION_MANUFACTURING_OUTLINED, name, strong=True)]
    if eq.serial_number:
        lines.append(_line(ft.Icons.TAG, tr("detail.serial", serial=eq.serial_number)))
    if eq.location:
        lines.append(_line(ft.Icons.MEETING_ROOM_OUTLINED, eq.location))
    texts: list[ft.Text] = []
    for index, (meter, last) in enumerate(detail.meters):
        line = _line(ft.Icons.SPEED, meter_text(tr, meter, last))
        texts.append(line.controls[1])
        lines.append(tagged(f"detail-meter-{index}", line))
    return tagged("detail-equipment", _block(tr("detail.equipment"), lines)), texts


def _coverage(tr: Translator, what: str, covered: bool) -> ft.Control:
    color = COVERED_COLOR if covered else NOT_COVERED_COLOR
    state = tr("detail.covered" if covered else "detail.not_covered")
    return tagged(
        f"contract-{what}",
        ft.Row(
            [
                ft.Icon(ft.Icons.CHECK_CIRCLE if covered else ft.Icons.CANCEL, color=color),
                ft.Text(
                    tr("detail.cover_line", what=tr(f"detail.cover.{what}"), state=state),
                    size=15,
                    color=color,
                ),
            ],
            spacing=6,
        ),
    )


def contract(tr: Translator, detail: InterventionDetail) -> ft.Control:
    contract = detail.contract
    if contract is None:
        body = [
            _line(ft.Icons.WARNING_AMBER, tr("detail.no_contract")),
        ]
    else:
        body = [
            _line(
                ft.Icons.VERIFIED_OUTLINED,
                tr("detail.contract_line", reference=contract.reference, label=contract.label),
            ),
            _coverage(tr, "labour", contract.covers_labour),
            _coverage(tr, "parts", contract.covers_parts),
            _coverage(tr, "travel", contract.covers_travel),
        ]
    return tagged("detail-contract", _block(tr("detail.contract"), body))


async def open_link(url: str) -> None:
    """Hand ``url`` to the platform: the dialler, the navigation app, a browser tab."""
    await ft.UrlLauncher().launch_url(url)


def link_target(page: ft.Page) -> str:
    """What opens a route link here: "web" in a browser (whatever the OS the browser reports)
    and on desktops, else the phone's platform."""
    if page.web:
        return "web"
    return {ft.PagePlatform.IOS: "ios", ft.PagePlatform.ANDROID: "phone"}.get(page.platform, "web")


def _contact(tr: Translator, detail: InterventionDetail) -> list[ft.Control]:
    """Who to ask for on site, and the buttons to call them and to drive there."""
    site, contact = detail.site, detail.contact
    phone = (contact.phone if contact else "") or detail.customer.phone
    lines: list[ft.Control] = []
    if contact is not None:
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        text = ", ".join(p for p in (name, contact.job_title) if p)
        if phone:
            text += f" — {unbroken(phone)}"
        lines.append(tagged("detail-contact", _line(ft.Icons.CONTACT_PHONE_OUTLINED, text)))
    elif phone:
        lines.append(
            tagged("detail-contact", _line(ft.Icons.CONTACT_PHONE_OUTLINED, unbroken(phone)))
        )
    number_link = call_link(phone)
    address = f"{site.address_line}, {site.postal_code} {site.city}"

    async def call(_e: ft.Event) -> None:
        await open_link(number_link)

    async def route(e: ft.Event) -> None:
        target = link_target(e.page)
        await open_link(route_link(address, site.latitude, site.longitude, target=target))

    buttons = [
        big_button("detail-call", tr("detail.call"), call if number_link else None,
                   icon=ft.Icons.PHONE, disabled=number_link is None),
        big_button("detail-route", tr("detail.route"), route, icon=ft.Icons.DIRECTIONS,
                   filled=False),
    ]  # fmt: skip
    lines.append(ft.Row(buttons, wrap=True, spacing=8, run_spacing=8))
    return lines


def where(tr: Translator, detail: InterventionDetail) -> list[ft.Control]:
    """Where he is going: customer, site address, contact with "Appeler" / "Itinéraire",
    access notes."""
    site = detail.site
    lines = [
        _line(ft.Icons.PERSON_OUTLINE, detail.customer.name, strong=True),
        tagged(
            "detail-address",
            _line(
                ft.Icons.PLACE_OUTLINED,
                f"{site.name} — {site.address_line}, {unbroken(f'{site.postal_code} {site.city}')}",
            ),
        ),
        *_contact(tr, detail),
    ]
    if site.access_notes:
        lines.append(tagged("detail-access", _line(ft.Icons.KEY_OUTLINED, site.access_notes)))
    return lines


def where_key(detail: InterventionDetail) -> tuple:
    """What ``where`` shows: its controls are rebuilt only when this changes."""
    site, contact = detail.site, detail.contact
    people = (
        (contact.first_name, contact.last_name, contact.job_title, contact.phone) if contact else ()
    )
    return (
        detail.customer.name, detail.customer.phone, site.name, site.address_line,
        site.postal_code, site.city, site.latitude, site.longitude, site.access_notes, people,
    )  # fmt: skip


def visit(tr: Translator, detail: InterventionDetail) -> list[ft.Control]:
    """When, and what was reported."""
    job = detail.intervention
    schedule = tr(
        "detail.schedule",
        date=tr.long_date(job.scheduled_start.date()),
        start=tr.time(job.scheduled_start),
        end=tr.time(job.scheduled_end),
    )
    lines = [_line(ft.Icons.SCHEDULE, schedule)]
    if job.problem_reported:
        lines.append(_line(ft.Icons.REPORT_PROBLEM_OUTLINED, job.problem_reported))
    return lines
