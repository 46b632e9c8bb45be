"""The report draft as a checklist: one row per line, ticked in or out, texts corrected in place.

Each row is tagged ``line-<line id>`` (``line-item:<id>``, ``line-work:summary``…); its check
box ``tick-<line id>``; a line out of tolerance is locked in (check box disabled, a lock and
"Hors tolérance : reste dans le rapport"). Lines whose text the report may correct (work
texts, a checklist answer's comment, a client-visible comment) have "Corriger"
(``edit-<line id>``) opening a field (``edit-field-<line id>``) and "Enregistrer"
(``edit-save-<line id>``). What goes where is ``report_service``'s (docs/reports.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import FLAG_COLOR, muted, number, refresh, subtitle
from app.views.semantic_ids import tagged

Toggle = Callable[[str, bool], Awaitable[None]]
Correct = Callable[[str, str], Awaitable[None]]


def editable_text(line: dict) -> str | None:
    """The text "Corriger" edits on this line, or None when the report cannot correct it."""
    prefix = line["id"].partition(":")[0]
    if prefix == "work":
        return line.get("text") or ""
    if prefix == "item":
        return (line.get("answer") or {}).get("comment") or ""
    if prefix == "measurement" and line.get("item_id"):
        return line.get("comment") or ""
    if prefix == "comment":
        return line.get("body") or ""
    return None


def answer_text(tr: Translator, item: dict) -> str:
    """A checklist line's answer as read aloud: "Fait", "Oui", "2,5 bar", then its comment."""
    answer = item.get("answer") or {}
    if not item.get("answered") and not answer:
        return tr("rpt.unanswered")
    if item.get("kind") == "photo":  # the answer is the photo (its line in "Photos")
        value = tr("rpt.answer.photo") if answer.get("photo") else tr("rpt.unanswered")
        comment = answer.get("comment")
        return " — ".join(v for v in (value, comment) if v)
    if answer.get("number") is not None:
        unit = f" {item['unit']}" if item.get("unit") else ""
        value = f"{number(tr, answer['number'])}{unit}"
    else:
        value = answer.get("text") or ""
        key = f"rpt.answer.{value}"
        value = tr(key) if tr.has(key) else value
    comment = answer.get("comment")
    return " — ".join(v for v in (value, comment) if v) or tr("rpt.unanswered")


def describe(tr: Translator, line: dict) -> tuple[str, str]:
    """(title, detail) of a line, as the technician reads it."""
    prefix = line["id"].partition(":")[0]
    if prefix == "item":
        return line["label"], answer_text(tr, line)
    if prefix == "measurement":
        unit = f" {line['unit']}" if line.get("unit") else ""
        comment = f" — {line['comment']}" if line.get("comment") else ""
        return line["label"], f"{number(tr, line['value'])}{unit}{comment}"
    if prefix == "meter":
        unit = f" {line['unit']}" if line.get("unit") else ""
        previous = line.get("previous_value")
        before = f" ({number(tr, previous)}{unit})" if previous is not None else ""
        return line["meter"], f"{number(tr, line['value'])}{unit}{before}"
    if prefix == "work":
        return tr(f"rpt.work.{line['field']}"), line.get("text") or tr("rpt.empty_text")
    if prefix == "part":
        return line["name"], f"{line['reference']} × {number(tr, line['quantity'])}"
    if prefix == "comment":
        return line.get("author") or "", line.get("body") or ""
    if prefix == "photo":
        phase = tr(f"media.phase.{line.get('phase') or 'other'}")
        drawn = f" · {tr('rpt.photo.annotated')}" if line.get("annotations") else ""
        return line.get("caption") or phase, phase + drawn
    return line["id"], ""


class LineRow:
    def __init__(
        self,
        tr: Translator,
        line: dict,
        *,
        on_toggle: Toggle,
        on_correct: Correct,
        picture: bytes | None = None,
    ):
        self.tr, self.line = tr, line
        self.on_toggle, self.on_correct = on_toggle, on_correct
        line_id = line["id"]
        locked = bool(line.get("out_of_tolerance"))
        self.check = ft.Checkbox(
            value=bool(line.get("included", True)), disabled=locked, on_change=self._toggled
        )
        title, detail = describe(tr, line)
        texts: list[ft.Control] = [
            ft.Text(
                title, size=16, weight=ft.FontWeight.W_600, color=FLAG_COLOR if locked else None
            ),
            ft.Text(detail, size=15),
        ]
        if picture:  # a photo line, or a photo item's line: its thumbnail
            texts.append(
                tagged(
                    f"picture-{line_id}",
                    ft.Image(src=picture, width=96, height=72, fit=ft.BoxFit.COVER,
                             border_radius=6),
                )
            )  # fmt: skip
        if locked:
            texts.append(
                tagged(
                    f"locked-{line_id}",
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.LOCK_OUTLINE, size=16, color=FLAG_COLOR),
                            ft.Text(tr("rpt.locked_line"), size=14, color=FLAG_COLOR),
                        ],
                        spacing=4,
                    ),
                )
            )
        self.editor = ft.TextField(multiline=True, min_lines=2, max_lines=8, text_size=16)
        self.edit_box = tagged(
            f"edit-box-{line_id}",
            ft.Column(
                [
                    tagged(f"edit-field-{line_id}", self.editor),
                    ft.Row(
                        [
                            tagged(
                                f"edit-cancel-{line_id}",
                                ft.TextButton(tr("rpt.edit.cancel"), on_click=self._cancel),
                                button=True,
                            ),
                            tagged(
                                f"edit-save-{line_id}",
                                ft.FilledButton(tr("rpt.edit.save"), on_click=self._save),
                                button=True,
                            ),
                        ],
                        alignment=ft.MainAxisAlignment.END,
                    ),
                ],
                spacing=6,
            ),
            visible=False,
        )
        text = editable_text(line)
        actions: list[ft.Control] = []
        if text is not None:
            actions.append(
                tagged(
                    f"edit-{line_id}",
                    ft.TextButton(tr("rpt.edit"), icon=ft.Icons.EDIT_OUTLINED, on_click=self._open),
                    button=True,
                )
            )
        self.control = tagged(
            f"line-{line_id}",
            ft.Column(
                [
                    ft.Row(
                        [
                            tagged(f"tick-{line_id}", self.check),
                            ft.Column(texts, spacing=2, expand=True),
                            *actions,
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.START,
                    ),
                    self.edit_box,
                ],
                spacing=4,
            ),
        )

    async def _toggled(self, _e: ft.Event) -> None:
        await self.on_toggle(self.line["id"], bool(self.check.value))

    async def _open(self, _e: ft.Event) -> None:
        self.editor.value = editable_text(self.line) or ""
        self.edit_box.visible = True
        refresh(self.control)

    async def _cancel(self, _e: ft.Event) -> None:
        self.edit_box.visible = False
        refresh(self.control)

    async def _save(self, _e: ft.Event) -> None:
        await self.on_correct(self.line["id"], self.editor.value or "")


def line_groups(content: dict) -> list[tuple[str, list[dict]]]:
    """(group i18n key, lines) in the report's order; photos always (their slot)."""
    groups: list[tuple[str, list[dict]]] = []
    procedure = content.get("procedure")
    if procedure:
        items = [i for s in procedure["steps"] for i in s["items"]]
        if items:
            groups.append(("rpt.group.procedure", items))
    for section in ("measurements", "meter_readings", "work", "parts", "comments"):
        if content.get(section):
            groups.append((f"rpt.group.{section}", content[section]))
    groups.append(("rpt.group.photos", content.get("photos") or []))
    return groups


def line_picture(line: dict, pictures: dict[str, bytes | None]) -> bytes | None:
    """The thumbnail shown on a line: a photo's own, or the photo a photo item names."""
    photo = (line.get("answer") or {}).get("photo") if line.get("kind") == "photo" else None
    return pictures.get(photo or line["id"])


def checklist(
    tr: Translator,
    content: dict,
    *,
    on_toggle: Toggle,
    on_correct: Correct,
    pictures: dict[str, bytes | None] | None = None,
) -> ft.Control:
    """The draft's lines grouped as in the report, with the photos' slot last; ``pictures``:
    photo line id (``photo:<id>``) -> its thumbnail, shown on the photo's line and on the
    line of the photo item it answers."""
    pictures = pictures or {}
    blocks: list[ft.Control] = []
    for key, lines in line_groups(content):
        group = key.rsplit(".", 1)[1]
        rows: list[ft.Control] = [subtitle(tr(key))]
        if group == "procedure":
            for step in content["procedure"]["steps"]:
                rows.append(ft.Text(f"{step['position']}. {step['title']}", size=15, italic=True))
                rows += [
                    LineRow(tr, i, on_toggle=on_toggle, on_correct=on_correct,
                            picture=line_picture(i, pictures)).control
                    for i in step["items"]
                ]  # fmt: skip
        else:
            rows += [
                LineRow(tr, line, on_toggle=on_toggle, on_correct=on_correct,
                        picture=line_picture(line, pictures)).control
                for line in lines
            ]  # fmt: skip
        if group == "photos" and not lines:
            rows.append(muted(tr("rpt.photos.none"), "report-photos-empty"))
        blocks.append(
            tagged(
                f"report-group-{group}",
                ft.Column(rows, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            )
        )
    return tagged(
        "report-checklist",
        ft.Column(blocks, spacing=18, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
    )
