"""Read-only panels of the slip validation screen: the content, the signature evidence, the
signed PDF's pages and the e-mail delivery state. Pure builders: data in, controls out."""

from __future__ import annotations

from datetime import datetime

import flet as ft

from app.views.semantic_ids import tagged


def panel(title: str, controls: list[ft.Control], identifier: str) -> ft.Control:
    return tagged(
        identifier,
        ft.Card(
            content=ft.Container(
                ft.Column(
                    [ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_MEDIUM), *controls],
                    spacing=6,
                ),
                padding=16,
            )
        ),
    )


def line(text: str, *, size: int = 15, color=None, selectable: bool = False) -> ft.Text:
    return ft.Text(text, size=size, color=color, selectable=selectable)


def when(value) -> str:
    """``dd/mm/yyyy HH:MM`` of a date-time or of its ISO text (head office's answers)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value:%d/%m/%Y %H:%M}" if value else "—"


def content_panel(tr, slip) -> ft.Control:
    content = slip.content
    intervention = content.get("intervention") or {}
    site = content.get("site") or {}
    time = content.get("time") or {}
    version = slip.current
    controls = [
        line(tr("validation.version", version=version.version, status=_doc(tr, version.status))),
        line(tr("validation.content.type", type=intervention.get("type") or "—")),
        line(
            tr(
                "validation.content.site",
                site=", ".join(
                    x for x in (site.get("name"), site.get("address_line"), site.get("city")) if x
                ),
            )
        ),
        line(tr("validation.content.time", minutes=time.get("total_minutes", "—"))),
        line(tr("validation.content.measurements", n=len(content.get("measurements") or []))),
        line(tr("validation.content.parts", n=len(content.get("parts") or []))),
    ]
    return panel(tr("validation.content"), controls, "validation-content")


def _doc(tr, status: str) -> str:
    key = f"validation.doc.{status}"
    return tr(key) if tr.has(key) else status


def corrections_panel(tr, slip) -> ft.Control:
    corrections = slip.corrections
    labels = {f.id: tr(f.label_key) for f in slip.fields}
    if not corrections:
        controls = [line(tr("validation.no_corrections"), color=ft.Colors.ON_SURFACE_VARIANT)]
    else:
        controls = [
            tagged(
                f"correction-{n}",
                line(
                    tr(
                        "validation.correction_line",
                        label=labels.get(c.get("field"), c.get("field")),
                        before=c.get("before") or tr("validation.field.empty"),
                        after=c.get("after") or tr("validation.field.empty"),
                        reason=c.get("reason", ""),
                        by=c.get("by_name") or c.get("by", ""),
                        at=when(c.get("at")),
                    )
                ),
            )
            for n, c in enumerate(corrections, 1)
        ]
    return panel(
        tr("validation.corrections", n=len(corrections)), controls, "validation-corrections"
    )


def evidence_panel(tr, slip, png: bytes | None) -> ft.Control:
    evidence = slip.evidence
    if evidence is None:
        if slip.missing:  # the technician's record of why: say which, not "absent or refused"
            outcome, reason = slip.missing
            controls = [line(tr(f"report.unsigned.{outcome}"), color=ft.Colors.DEEP_ORANGE_900),
                        line(tr("report.unsigned.reason", reason=reason))]  # fmt: skip
        else:
            controls = [line(tr("validation.evidence.none"), color=ft.Colors.DEEP_ORANGE_900)]
        return panel(tr("validation.evidence"), controls, "validation-evidence")
    ok = evidence.matches
    controls = [
        line(
            tr("validation.evidence.signer", name=evidence.signer_name, role=evidence.signer_role)
        ),
        line(tr("validation.evidence.at", at=when(evidence.signed_at))),
        line(tr("validation.evidence.technician", name=evidence.technician or "—")),
        line(tr("validation.evidence.device", device=evidence.device_id or "—")),
        line(
            tr("validation.evidence.hash", hash=evidence.content_sha256),
            size=13,
            selectable=True,
        ),
        tagged(
            "evidence-check",
            ft.Row(
                [
                    ft.Icon(
                        ft.Icons.VERIFIED if ok else ft.Icons.GPP_BAD,
                        color=ft.Colors.GREEN_800 if ok else ft.Colors.ERROR,
                    ),
                    ft.Text(
                        tr("validation.evidence.match" if ok else "validation.evidence.mismatch"),
                        size=15,
                        color=ft.Colors.GREEN_900 if ok else ft.Colors.ERROR,
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
        ),
    ]
    if png:
        controls.append(
            tagged(
                "evidence-image",
                ft.Container(
                    ft.Image(src=png, width=300, height=100, fit=ft.BoxFit.CONTAIN),
                    border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                    border_radius=6,
                    bgcolor=ft.Colors.WHITE,
                    width=302,
                ),
            )
        )
    else:
        controls.append(line(tr("validation.evidence.image_missing")))
    return panel(tr("validation.evidence"), controls, "validation-evidence")


def pdf_panel(tr, document, on_open) -> ft.Control:
    if document is None:
        return panel(tr("validation.pdf"), [line(tr("validation.no_version"))], "validation-pdf")
    note = (
        tr("validation.pdf.signed", version=document.version)
        if document.signed
        else tr("validation.pdf.rebuilt")
    )
    controls: list[ft.Control] = [
        tagged("pdf-source", line(note, color=None if document.signed else ft.Colors.AMBER_900)),
        tagged(
            "pdf-open",
            ft.OutlinedButton(
                tr("validation.pdf.open"), icon=ft.Icons.PICTURE_AS_PDF, on_click=on_open
            ),
        ),
    ]
    if document.pages is None:
        controls.append(line(tr("validation.pdf.pages_unavailable")))
    else:
        controls.append(
            ft.Row(
                [
                    tagged(
                        f"pdf-page-{n}",
                        ft.Container(
                            ft.Image(src=png, width=210, fit=ft.BoxFit.FIT_WIDTH),
                            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                            tooltip=tr("validation.pdf.page", n=n),
                        ),
                    )
                    for n, png in enumerate(document.pages, 1)
                ],
                wrap=True,
                spacing=8,
                run_spacing=8,
            )
        )
    return panel(tr("validation.pdf"), controls, "validation-pdf")


def delivery_panel(tr, slip, deliveries: list[dict] | None, on_refresh) -> ft.Control:
    if not slip.validated:
        texts = [tr("validation.delivery.before")]
    elif deliveries is None:
        texts = [tr("validation.delivery.offline")]
    elif not deliveries:
        texts = [tr("validation.delivery.not_yet")]
    else:
        texts = [_delivery_text(tr, d) for d in deliveries]
    controls: list[ft.Control] = [
        tagged(f"delivery-{n}", line(text)) for n, text in enumerate(texts)
    ]
    if slip.validated:
        controls.append(
            tagged(
                "delivery-refresh",
                ft.TextButton(
                    tr("validation.delivery.refresh"), icon=ft.Icons.REFRESH, on_click=on_refresh
                ),
            )
        )
    return panel(tr("validation.delivery"), controls, "validation-delivery")


def _delivery_text(tr, d: dict) -> str:
    state, to = d.get("state"), d.get("recipient") or "—"
    if state == "sent":
        return tr("validation.delivery.sent", to=to, at=when(d.get("sent_at")))
    if state == "failed":
        return tr(
            "validation.delivery.failed",
            to=to,
            attempts=d.get("attempts", 0),
            error=d.get("last_error", ""),
        )
    if state == "no_recipient":
        return tr("validation.delivery.no_recipient")
    return tr("validation.delivery.pending", to=to)
