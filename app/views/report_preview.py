"""What the client sees: a faithful on-screen summary of a report's *final* content.

Drawn only from the final content (``report_service.final_content``: the included lines, no
internal comment ever, no cost but the parts' prices the client pays), the same data the PDF
prints. Used by the report screen's preview and by client mode. ``fmt`` is the PDF's Babel
formats (``services.signing.formats(locale)``).
"""

from __future__ import annotations

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import FLAG_COLOR, subtitle
from app.views.detail.report_lines import answer_text
from app.views.semantic_ids import tagged


def _line(text: str, *, ident: str | None = None, color=None, bold: bool = False) -> ft.Control:
    control = ft.Text(text, size=15, color=color, weight=ft.FontWeight.W_600 if bold else None)
    return tagged(ident, control) if ident else control


def _block(title: str, rows: list[ft.Control], ident: str) -> ft.Control:
    return tagged(
        ident,
        ft.Column(
            [subtitle(title), *rows], spacing=4, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
        ),
    )


def _address(place: dict) -> str:
    parts = [place.get("address_line"), f"{place.get('postal_code', '')} {place.get('city', '')}"]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def _value(fmt, value, unit: str = "") -> str:
    return fmt.number(value, unit) if value is not None else ""


def report_preview(
    tr: Translator, fmt, content: dict, *, ident: str = "report-preview"
) -> ft.Control:
    """The client's view of ``content`` (final content) as a column of blocks."""
    blocks: list[ft.Control] = []
    company = content.get("company") or {}
    blocks.append(
        ft.Column(
            [
                ft.Text(company.get("name", ""), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                tagged(
                    "preview-reference",
                    ft.Text(
                        tr("preview.reference", reference=content.get("reference", "")),
                        theme_style=ft.TextThemeStyle.TITLE_LARGE,
                        weight=ft.FontWeight.W_600,
                    ),
                ),
                _line(fmt.date((content.get("intervention") or {}).get("scheduled_start"))),
                _line(
                    tr("preview.technician", name=(content.get("technician") or {}).get("name", ""))
                ),
            ],
            spacing=2,
        )
    )
    customer, site = content.get("customer") or {}, content.get("site") or {}
    blocks.append(
        _block(
            tr("preview.customer"),
            [
                _line(customer.get("name", ""), bold=True),
                _line(f"{tr('preview.site')} : {_address(site)}"),
            ],
            "preview-customer",
        )
    )
    equipment = content.get("equipment")
    if equipment:
        text = " ".join(str(equipment.get(k) or "") for k in ("brand", "model")).strip()
        serial = equipment.get("serial_number") or ""
        blocks.append(
            _block(
                tr("preview.equipment"),
                [_line(f"{text} — {serial}".strip(" —"))],
                "preview-equipment",
            )
        )
    procedure = content.get("procedure")
    if procedure and procedure.get("steps"):
        rows = []
        for step in procedure["steps"]:
            rows.append(_line(f"{step['position']}. {step['title']}", bold=True))
            for item in step["items"]:
                rows.append(_item(tr, item))
        blocks.append(_block(tr("rpt.group.procedure"), rows, "preview-procedure"))
    if content.get("measurements"):
        rows = [
            _line(
                f"{m['label']} : {_value(fmt, m['value'], m.get('unit') or '')}"
                + (f" — {tr('preview.item.out')}" if m.get("out_of_tolerance") else ""),
                color=FLAG_COLOR if m.get("out_of_tolerance") else None,
            )
            for m in content["measurements"]
        ]
        blocks.append(_block(tr("rpt.group.measurements"), rows, "preview-measurements"))
    if content.get("meter_readings"):
        rows = [
            _line(f"{r['meter']} : {_value(fmt, r['value'], r.get('unit') or '')}")
            for r in content["meter_readings"]
        ]
        blocks.append(_block(tr("rpt.group.meter_readings"), rows, "preview-meters"))
    work = [w for w in content.get("work") or [] if w.get("text")]
    if work:
        rows = []
        for w in work:
            rows.append(_line(tr(f"rpt.work.{w['field']}"), bold=True))
            rows.append(_line(w["text"], ident=f"preview-work-{w['field']}"))
        blocks.append(_block(tr("rpt.group.work"), rows, "preview-work"))
    blocks.append(_parts(tr, fmt, content))
    time = content.get("time") or {}
    if time:
        blocks.append(
            _line(
                tr(
                    "preview.time",
                    travel=time.get("travel_minutes", 0),
                    work=time.get("work_minutes", 0),
                )
            )
        )
    if content.get("comments"):
        rows = [_line(c["body"]) for c in content["comments"]]
        blocks.append(_block(tr("rpt.group.comments"), rows, "preview-comments"))
    if content.get("photos"):
        blocks.append(_line(tr("preview.photos", count=len(content["photos"]))))
    return tagged(
        ident,
        ft.Column(blocks, spacing=14, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
    )


def _item(tr: Translator, item: dict) -> ft.Control:
    out = item.get("out_of_tolerance")
    mark = "✘" if out else ("✔" if item.get("answered") else "☐")
    text = f"{mark} {item['label']} : {answer_text(tr, item)}"
    if out:
        text += f" — {tr('preview.item.out')}"
    return _line(text, color=FLAG_COLOR if out else None)


def _parts(tr: Translator, fmt, content: dict) -> ft.Control:
    parts = content.get("parts") or []
    rows = []
    for p in parts:
        how = (
            tr("preview.parts.covered")
            if p.get("covered_by_contract")
            else fmt.money(p["total_cents"])
        )
        rows.append(_line(f"{p['name']} ({p['reference']}) × {fmt.number(p['quantity'])} — {how}"))
    totals = content.get("totals") or {}
    if totals.get("gross_cents"):
        vat = sum(v["vat_cents"] for v in totals.get("vat") or [])
        rows.append(
            _line(
                tr(
                    "preview.totals",
                    net=fmt.money(totals["net_cents"]),
                    vat=fmt.money(vat),
                    gross=fmt.money(totals["gross_cents"]),
                ),
                ident="preview-totals",
                bold=True,
            )
        )
    else:
        rows.append(_line(tr("preview.totals.none"), ident="preview-totals"))
    return _block(tr("rpt.group.parts"), rows, "preview-parts")
