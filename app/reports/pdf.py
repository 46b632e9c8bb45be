"""The visit report and the intervention slip as PDF (fpdf2), in French or English.

Both are drawn from a report's *final* content (``report_service.final_content``: included
lines only) and embed its canonical JSON (``report-content.json``, docs/reports.md) so that
``sha256(embedded bytes)`` can be checked against the signature evidence. The visit report
holds everything the client signs (procedure, measurements, meters, work, parts, time,
photos, notes); the slip (*bon d'intervention*) the administrative record (identity,
requester, period, technician, work, measurements, meters, parts, time, notes). Both end with
the summary and the signature block, always on the same page.

A version the office corrected (its content has ``based_on`` and ``corrections``,
docs/reports.md "Versions") says so under the identity: "Version 2 — corrige la version 1
signée le <date> par <signer>" (``Corrects``: what head office knows of the version it
corrects) and the list of corrections, field, old → new value, reason. The version it
corrects is another document, untouched.

A photo that is missing or unreadable becomes a visible placeholder and a logged warning.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos
from PIL import Image, ImageOps

from app import clock
from app.assets import font_path
from app.errors import TerrainError, ValidationError
from app.i18n import Translator
from app.media.annotation import draw_layer
from app.reports.canonical import canonical_bytes, content_sha256
from app.reports.formatting import Formats

log = logging.getLogger(__name__)

FONTS = {"": font_path(bold=False), "B": font_path(bold=True)}
FONT = "DejaVu"
ATTACHMENT_NAME = "report-content.json"
PASS_MAX_PX, PASS_MAX_BYTES = 2048, 1_000_000  # a JPEG within both goes in untouched
PHOTO_MAX_PX = 1280  # longest side of a re-encoded photo (~360 dpi at 90 mm)
ORIENTATION = 0x0112  # the EXIF orientation tag

MARGIN = 15.0
GREY, DARK, RED, GREEN, LINE = (110, 110, 110), (30, 30, 30), (190, 30, 30), (20, 120, 60), 200
HEAD_FILL = (235, 239, 244)
BOLD = FontFace(emphasis="BOLD", fill_color=HEAD_FILL)

PhotoLoader = Callable[[str], bytes | None]
BLUE, BLUE_FILL = (25, 70, 150), (232, 240, 252)


@dataclass(frozen=True)
class Corrects:
    """What a corrected version says of the version it corrects: this version's number, the
    corrected one's, and how that one was closed — ``outcome`` ``signed`` (by
    ``signer_name`` at ``signed_at``, local time) or ``refused`` / ``absent`` (recorded at
    ``signed_at``); ``None``: not known."""

    version: int
    based_on: int
    outcome: str | None = None
    signed_at: datetime | str | None = None
    signer_name: str = ""


class _Doc(FPDF):
    def __init__(self, content: dict, tr: Translator, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.content, self.tr, self.title_text = content, tr, title
        for style, path in FONTS.items():
            if not path.is_file():
                raise TerrainError(
                    f"The report font {path} is missing.",
                    hint="Reinstall the app, or copy DejaVuSans.ttf and DejaVuSans-Bold.ttf "
                    "(Debian package fonts-dejavu-core) into assets/fonts/.",
                )
            self.add_font(FONT, style, str(path))
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.set_font(FONT, size=9)
        self.set_text_color(*DARK)
        self.set_draw_color(LINE)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "B", 8)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, 7)
        company = self.content["company"]["name"]
        self.cell(self.epw / 2, 5, company)
        self.cell(self.epw / 2, 5, f"{self.title_text} {self.content['reference']}", align="R")
        self.line(MARGIN, 12.5, self.w - MARGIN, 12.5)
        self.set_xy(MARGIN, 16)
        self.set_font(FONT, size=9)
        self.set_text_color(*DARK)

    def footer(self) -> None:
        company = self.content["company"]
        self.set_y(-11)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        left = f"{company['name']} — " + self.tr("report.company.siret", siret=company["siret"])
        self.cell(self.epw * 0.75, 4, left)
        page = self.tr("report.page", page=self.page_no(), pages="{nb}")
        self.cell(self.epw * 0.25, 4, page, align="R")
        self.set_text_color(*DARK)

    # --- small building blocks ---

    def ensure(self, height: float) -> None:
        """A page break now if ``height`` does not fit below (never on a fresh page)."""
        if self.y + height > self.page_break_trigger and self.y > self.t_margin + 1:
            self.add_page()

    def heading(self, text: str) -> None:
        self.ensure(24)  # a heading never ends a page alone
        self.ln(3)
        self.set_font(FONT, "B", 11)
        self.set_fill_color(*HEAD_FILL)
        self.cell(0, 7, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FONT, size=9)

    def para(self, text: str, *, size: float = 9, color=DARK, bold: bool = False) -> None:
        if not text:
            return
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)
        self.set_text_color(*DARK)

    def field(self, label: str, value: str, *, x: float | None = None, width: float = 0) -> None:
        if not value:
            return
        x = MARGIN if x is None else x
        width = width or self.w - MARGIN - x
        self.set_x(x)
        self.set_font(FONT, "B", 8.5)
        self.cell(38, 4.6, label)
        self.set_font(FONT, size=8.5)
        self.multi_cell(width - 38, 4.6, value, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)

    def table(self, widths, align, headings, rows) -> None:
        """A table whose headings repeat on each page; ``rows`` of (text or (text, colour))."""
        self.set_font(FONT, size=8.5)
        with super().table(
            col_widths=widths, text_align=align, headings_style=BOLD, line_height=4.6,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES, repeat_headings=1,
            padding=(1, 1.2), width=self.epw,
        ) as table:  # fmt: skip
            row = table.row()
            for text in headings:
                row.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    text, colour = value if isinstance(value, tuple) else (value, None)
                    style = FontFace(color=colour, emphasis="BOLD") if colour else None
                    row.cell(text, style=style)
        self.set_font(FONT, size=9)


class _Report:
    """Draws one document; ``sections`` says which parts, in order."""

    def __init__(
        self, content, kind, language, signature, photos, missing=None, corrects=None,
        follow_ups=None,
    ) -> None:  # fmt: skip
        if "totals" not in content:
            raise ValueError("Draw the final content (report_service.final_content), not a draft.")
        self.c, self.kind = content, kind
        self.tr, self.f = Translator(language), Formats(language)
        self.signature, self.photo_loader = signature, photos
        self.missing = missing  # (outcome "refused" / "absent", reason): recorded, not a draft
        # The follow-up is recorded after the signature: a closed content has none of its
        # own, head office passes what was recorded since (printed as such).
        self.follow_ups = list(content.get("follow_ups") or [])
        self.follow_ups_after = not self.follow_ups and bool(follow_ups)
        if self.follow_ups_after:
            self.follow_ups = list(follow_ups)
        based_on = content.get("based_on") if isinstance(content.get("based_on"), dict) else None
        if corrects is None and based_on is not None:  # a corrected content, nothing known
            based = based_on.get("version") if isinstance(based_on.get("version"), int) else 1
            corrects = Corrects(version=based + 1, based_on=based)
        self.corrects = corrects if based_on is not None or corrects is not None else None
        self.sha256 = content_sha256(content)
        # A version the office corrected after the signature (``app.domain.corrections``)
        # carries the client's signature of the version it is based on, not of itself.
        self.based_on = _based_on(content)
        signed = self.based_on["content_sha256"] if self.based_on else self.sha256
        if signature is not None and signature.content_sha256 != signed:
            raise ValidationError(
                "The signature was given for another content than this report's.",
                key="error.report.hash_mismatch",
            )
        self.doc = _Doc(content, self.tr, self.tr(f"report.title.{kind}"))

    def render(self, sections) -> bytes:
        doc, c = self.doc, self.c
        now = clock.utcnow().replace(tzinfo=UTC, microsecond=0)
        doc.set_creation_date(now)
        doc.set_lang("fr-FR" if self.tr.locale == "fr" else "en-GB")
        doc.set_title(f"{doc.title_text} {c['reference']}")
        doc.set_author(c["company"]["name"])
        doc.set_creator("Terrain")
        doc.set_subject(f"{doc.title_text} {c['reference']} — {c['customer']['name']}")
        doc.set_keywords(f"content-sha256:{self.sha256}")
        doc.embed_file(
            bytes=canonical_bytes(c), basename=ATTACHMENT_NAME, mime_type="application/json",
            desc=f"Canonical report content, SHA-256 {self.sha256} (docs/reports.md)",
            modification_date=now,
        )  # fmt: skip
        doc.add_page()
        self.identity()
        for name in sections:
            getattr(self, name)()
        self.closing()
        return bytes(doc.output())

    # --- identity: company, document, customer, site, intervention, equipment ---

    def identity(self) -> None:
        doc, c, tr, f = self.doc, self.c, self.tr, self.f
        company, top = c["company"], doc.y
        doc.set_font(FONT, "B", 13)
        doc.cell(100, 6.5, company["name"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, size=8.5)
        lines = [
            company["legal_form"],
            company["address_line"],
            f"{company['postal_code']} {company['city']}".strip(),
            " — ".join(v for v in (company["phone"], company["email"]) if v),
            tr("report.company.siret", siret=company["siret"]),
            tr("report.company.vat", vat=company["vat_number"]) if company["vat_number"] else "",
        ]
        for line in filter(None, lines):
            doc.cell(100, 4.3, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = doc.y
        doc.set_xy(MARGIN + 100, top)
        doc.set_font(FONT, "B", 15)
        doc.cell(doc.epw - 100, 7, doc.title_text, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_font(FONT, "B", 10)
        reference = tr("report.reference", reference=c["reference"])
        doc.cell(doc.epw - 100, 5.5, reference, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_font(FONT, size=8.5)
        iv = c["intervention"]
        day = f.date(iv["started_at"] or iv["scheduled_start"])
        doc.cell(doc.epw - 100, 4.5, day, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        issued = tr("report.issued", date=f.datetime(clock.now()))
        doc.cell(doc.epw - 100, 4.5, issued, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if self.corrects is not None and (self.signature is not None or self.corrects.outcome):
            doc.set_text_color(*BLUE)
            doc.set_font(FONT, "B", 9)
            label = tr("report.corrects.label", version=self.corrects.version)
            doc.cell(doc.epw - 100, 5, label, align="R")
            doc.set_text_color(*DARK)
        elif self.signature is None:
            doc.set_text_color(*RED)
            doc.set_font(FONT, "B", 9)
            label = tr(f"report.unsigned.{self.missing[0]}") if self.missing else tr("report.draft")
            doc.cell(doc.epw - 100, 5, label, align="R")
            doc.set_text_color(*DARK)
        elif self.based_on:
            doc.set_font(FONT, "B", 9)
            doc.cell(doc.epw - 100, 5, tr("report.corrected"), align="R")
        doc.set_xy(MARGIN, max(left_bottom, doc.y) + 3)
        if self.corrects is not None:
            self.corrections()
        self._parties()
        self._intervention()
        self._equipment()

    # --- a corrected version: which version it corrects, and each correction ---

    def corrects_line(self) -> str:
        """ "Version 2 — corrige la version 1 signée le <date> par <signer>" (or unsigned)."""
        tr, f, k = self.tr, self.f, self.corrects
        args = {"version": k.version, "based_on": k.based_on}
        when = f.datetime(k.signed_at) if k.signed_at else ""
        if k.outcome == "signed" and when:
            return tr("report.corrects.signed", date=when, signer=k.signer_name or "—", **args)
        if k.outcome in ("refused", "absent") and when:
            return tr(f"report.corrects.{k.outcome}", date=when, **args)
        return tr("report.corrects.plain", **args)

    def corrections(self) -> None:
        doc, tr = self.doc, self.tr
        top = doc.y
        doc.set_fill_color(*BLUE_FILL)
        doc.set_draw_color(*BLUE)
        doc.set_text_color(*BLUE)
        doc.set_font(FONT, "B", 10.5)
        doc.multi_cell(0, 5.5, self.corrects_line(), fill=True, border="L", padding=(1.5, 2.5),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        doc.set_draw_color(LINE)
        doc.set_text_color(*DARK)
        items = [c for c in self.c.get("corrections") or [] if isinstance(c, dict)]
        doc.ln(1.5)
        if not items:
            doc.para(tr("report.corrects.none"))
        else:
            doc.table(
                (30, 62, 62, 46), ("LEFT", "LEFT", "LEFT", "LEFT"),
                [tr("report.corrects.field"), tr("report.corrects.before"),
                 tr("report.corrects.after"), tr("report.corrects.reason")],
                [(self._field_name(c), _text(c.get("before")) or "—",
                  (_text(c.get("after")) or "—", BLUE), _text(c.get("reason")))
                 for c in items],
            )  # fmt: skip
        doc.ln(2 if doc.y > top else 0)

    def _field_name(self, correction: dict) -> str:
        tr, field = self.tr, str(correction.get("field") or "")
        name = field.partition(":")[2] if ":" in field else ""
        key = f"report.corrects.field.{name}"
        if name and tr.has(key):
            return tr(key)
        label = _text(correction.get("label"))
        comment = tr("report.corrects.field.comment")
        return f"{comment} ({label})" if label else (name or comment)

    def _parties(self) -> None:
        doc, c, tr = self.doc, self.c, self.tr
        customer, site = c["customer"], c["site"]
        half, top = doc.epw / 2 - 2, doc.y
        boxes = [
            (
                tr("report.section.customer"),
                [customer["name"], tr("report.customer.code", code=customer["code"]),
                 customer["billing_address"], customer["phone"], customer["email"]],
            ),
            (
                tr("report.section.site"),
                [site["name"], site["address_line"], f"{site['postal_code']} {site['city']}"],
            ),
        ]  # fmt: skip
        bottoms = []
        for index, (title, lines) in enumerate(boxes):
            x = MARGIN + index * (half + 4)
            doc.set_xy(x + 2, top + 1.5)
            doc.set_font(FONT, "B", 8)
            doc.set_text_color(*GREY)
            doc.cell(half - 4, 4.5, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
            doc.set_text_color(*DARK)
            for n, line in enumerate(filter(None, lines)):
                doc.set_font(FONT, "B" if n == 0 else "", 9 if n == 0 else 8.5)
                doc.multi_cell(half - 4, 4.4, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottoms.append(doc.y + 1.5)
        bottom = max(bottoms)
        for index in range(2):
            doc.rect(MARGIN + index * (half + 4), top, half, bottom - top)
        doc.set_xy(MARGIN, bottom + 2)

    def _intervention(self) -> None:
        doc, c, tr, f = self.doc, self.c, self.tr, self.f
        iv, contract = c["intervention"], c["contract"]
        doc.heading(tr("report.section.intervention"))
        doc.field(tr("report.field.type"), iv["type"])
        start, end = iv["scheduled_start"], iv["scheduled_end"]
        doc.field(tr("report.field.scheduled"), f"{f.datetime(start)} – {f.time(end)}")
        if iv["started_at"]:
            period = f"{f.datetime(iv['started_at'])} – {f.datetime(iv['finished_at'])}"
            doc.field(tr("report.field.period"), period.rstrip(" –"))
        doc.field(tr("report.field.technician"), c["technician"]["name"])
        doc.field(tr("report.field.requested_by"), iv["requested_by"])
        doc.field(tr("report.field.problem"), iv["problem_reported"])
        if contract:
            covered = [
                tr(f"report.contract.{what}")
                for what in ("labour", "parts", "travel")
                if contract[f"covers_{what}"]
            ]
            text = tr(
                "report.contract.covers", label=contract["label"],
                reference=contract["reference"],
                what=", ".join(covered) or tr("report.contract.nothing"),
            )  # fmt: skip
        else:
            text = tr("report.contract.none")
        doc.field(tr("report.field.contract"), text)

    def _equipment(self) -> None:
        doc, eq, tr, f = self.doc, self.c["equipment"], self.tr, self.f
        if not eq:
            return
        doc.heading(tr("report.section.equipment"))
        kind = eq["equipment_type"]
        label = tr(f"equipment.type.{kind}") if tr.has(f"equipment.type.{kind}") else kind
        doc.field(tr("report.field.type"), label.replace("_", " "))
        doc.field(tr("report.field.brand_model"), f"{eq['brand']} {eq['model']}".strip())
        doc.field(tr("report.field.serial"), eq["serial_number"])
        doc.field(tr("report.field.location"), eq["location"])
        doc.field(tr("report.field.installed"), f.date(eq["install_date"]))
        if eq["power_kw"] is not None:
            doc.field(tr("report.field.power"), f.number(eq["power_kw"], "kW"))

    # --- the sections ---

    def procedure(self) -> None:
        doc, procedure, tr = self.doc, self.c["procedure"], self.tr
        if not procedure or not procedure["steps"]:
            return
        doc.heading(tr("report.section.procedure", name=procedure["name"]))
        for step in procedure["steps"]:
            doc.ensure(22)
            doc.para(f"{step['position']}. {step['title']}", size=9.5, bold=True)
            doc.para(step["explanation"], size=8, color=GREY)
            doc.ln(0.5)
            rows = [self._item_row(item) for item in step["items"]]
            headings = ("", *(tr(f"report.col.{k}") for k in ("check", "result", "status")))
            doc.table((7, 93, 52, 28), ("CENTER", "LEFT", "LEFT", "LEFT"), headings, rows)
            doc.ln(1.5)

    def _item_row(self, item: dict) -> tuple:
        tr, f, answer = self.tr, self.f, item["answer"]
        if not item["answered"] or answer is None:
            return ("☐", GREY), item["label"], (tr("report.answer.none"), GREY), ""
        if item["kind"] in ("numeric", "meter"):
            result = f.number(answer["number"], item["unit"])
        elif item["kind"] == "check":
            result = tr("report.answer.done")
        elif item["kind"] == "yes_no_na":
            result = tr(f"report.answer.{answer['text']}")
        elif item["kind"] == "photo":  # printed with the photos, captioned with the label
            result = tr("report.answer.photo")
        else:
            result = answer["text"] or ""
        if answer["comment"]:
            result += "\n" + tr("report.answer.comment", text=answer["comment"])
        status = item["status"]
        if item["out_of_tolerance"]:
            return ("✘", RED), item["label"], result, (tr(f"report.status.{status or 'high'}"), RED)
        tick = ("–", GREY) if answer["text"] == "na" else ("✔", GREEN)
        return tick, item["label"], result, tr(f"report.status.{status}") if status else ""

    def measurements(self) -> None:
        doc, tr, f, rows = self.doc, self.tr, self.f, []
        if not self.c["measurements"]:
            return
        doc.heading(tr("report.section.measurements"))
        for m in self.c["measurements"]:
            status = tr(f"report.status.{m['status']}")
            rows.append(
                (
                    m["label"],
                    f.number(m["value"], m["unit"]),
                    self._tolerance(m["min_value"], m["max_value"], m["unit"]),
                    (status, RED) if m["out_of_tolerance"] else status,
                    m["comment"],
                )
            )
        headings = [tr(f"report.col.{k}") for k in ("measurement", "value", "tolerance")]
        headings += [tr("report.col.status"), tr("report.col.comment")]
        doc.table((58, 26, 30, 26, 40), ("LEFT", "RIGHT", "LEFT", "LEFT", "LEFT"), headings, rows)

    def _tolerance(self, low, high, unit) -> str:
        f, tr = self.f, self.tr
        if low is not None and high is not None:
            return tr("report.tolerance.range", low=f.number(low), high=f.number(high, unit))
        if low is not None:
            return tr("report.tolerance.min", low=f.number(low, unit))
        if high is not None:
            return tr("report.tolerance.max", high=f.number(high, unit))
        return ""

    def meter_readings(self) -> None:
        doc, tr, f = self.doc, self.tr, self.f
        if not self.c["meter_readings"]:
            return
        doc.heading(tr("report.section.meters"))
        rows = []
        for r in self.c["meter_readings"]:
            previous = f.number(r["previous_value"], r["unit"]) or "—"
            if r["previous_at"]:
                previous += f" ({f.date(r['previous_at'])})"
            today = f.number(r["value"], r["unit"])
            if r["counter_replaced"]:
                today += f" ({tr('report.meter.replaced')})"
            rows.append((r["meter"], previous, today))
        headings = [tr(f"report.col.{k}") for k in ("meter", "previous", "reading")]
        doc.table((60, 60, 60), ("LEFT", "LEFT", "LEFT"), headings, rows)

    def work(self) -> None:
        doc, tr = self.doc, self.tr
        texts = [w for w in self.c["work"] if w["field"] != "summary" and w["text"]]
        if not texts:
            return
        doc.heading(tr("report.section.work"))
        for w in texts:
            doc.para(tr(f"report.work.{w['field']}"), bold=True)
            doc.para(w["text"])
            doc.ln(1)

    def parts(self) -> None:
        doc, tr, f, parts = self.doc, self.tr, self.f, self.c["parts"]
        if not parts:
            return
        doc.heading(tr("report.section.parts"))
        rows = []
        for p in parts:
            name = p["name"]
            if p["serial_numbers"]:
                name += "\n" + tr("report.parts.serials", serials=", ".join(p["serial_numbers"]))
            billing = tr(f"report.parts.{'covered' if p['covered_by_contract'] else 'charged'}")
            rows.append(
                (
                    p["reference"], name, f.number(p["quantity"], p["unit"]),
                    f.money(p["unit_price_cents"]), f.money(p["total_cents"]), billing,
                )
            )  # fmt: skip
        keys = ("reference", "designation", "quantity", "unit_price", "total", "billing")
        align = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT")
        doc.table((24, 66, 18, 24, 24, 24), align, [tr(f"report.col.{k}") for k in keys], rows)
        totals = self.c["totals"]
        if totals["net_cents"]:
            doc.ln(1)
            lines = [(tr("report.totals.net"), f.money(totals["net_cents"]))]
            for vat in totals["vat"]:
                label = tr("report.totals.vat", rate=f.rate(vat["rate_bp"]))
                lines.append((label, f.money(vat["vat_cents"])))
            lines.append((tr("report.totals.gross"), f.money(totals["gross_cents"])))
            for index, (label, amount) in enumerate(lines):
                doc.set_font(FONT, "B" if index == len(lines) - 1 else "", 8.5)
                doc.set_x(MARGIN + doc.epw - 100)
                doc.cell(70, 4.8, label, align="R")
                doc.cell(30, 4.8, amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1)
        doc.para(tr("report.parts.kept"), size=7.5, color=GREY)

    def time(self) -> None:
        doc, tr = self.doc, self.tr
        doc.heading(tr("report.section.time"))
        doc.para(self._time_line())

    def _time_line(self) -> str:
        t, f = self.c["time"], self.f
        return self.tr(
            "report.time.line", travel=f.duration(t["travel_minutes"]),
            work=f.duration(t["work_minutes"]), total=f.duration(t["total_minutes"]),
        )  # fmt: skip

    def photos(self) -> None:
        doc, tr, photos = self.doc, self.tr, self.c["photos"]
        if not photos:
            return
        doc.heading(tr("report.section.photos"))
        gap = 6
        width = (doc.epw - gap) / 2
        box = width * 0.72
        for start in range(0, len(photos), 2):
            doc.ensure(box + 12)
            top = doc.y
            for column, photo in enumerate(photos[start : start + 2]):
                x = MARGIN + column * (width + gap)
                self._photo(photo, x, top, width, box)
                doc.set_xy(x, top + box + 1)
                caption = tr(f"report.photo.{photo['phase']}")
                if photo["caption"]:
                    caption += f" — {photo['caption']}"
                doc.set_font(FONT, size=7.5)
                doc.multi_cell(width, 3.6, caption, max_line_height=3.6, new_x=XPos.LEFT)
            doc.set_xy(MARGIN, top + box + 10)

    def _photo(self, photo: dict, x: float, y: float, width: float, height: float) -> None:
        doc = self.doc
        data = _prepared_photo(photo, self.photo_loader)
        if data is None:
            doc.set_fill_color(240, 240, 240)
            doc.rect(x, y, width, height, style="DF")
            doc.set_xy(x, y + height / 2 - 3)
            doc.set_font(FONT, "B", 9)
            doc.set_text_color(*GREY)
            doc.cell(width, 6, self.tr("report.photo.missing"), align="C")
            doc.set_text_color(*DARK)
            return
        doc.image(data, x=x, y=y, w=width, h=height, keep_aspect_ratio=True)

    def comments(self) -> None:
        doc, tr, f = self.doc, self.tr, self.f
        if not self.c["comments"]:
            return
        doc.heading(tr("report.section.comments"))
        for comment in self.c["comments"]:
            doc.para(f"• {comment['body']}")
            byline = f"   {comment['author']}, {f.datetime(comment['created_at'])}"
            doc.para(byline, size=7.5, color=GREY)
            doc.ln(0.8)

    # --- summary and signature, always on one page ---

    SIGNATURE_BOX = 46.0

    def closing(self) -> None:
        doc, tr = self.doc, self.tr
        summary = next((w["text"] for w in self.c["work"] if w["field"] == "summary"), "")
        summary_height = (
            doc.multi_cell(0, 4.5, summary, dry_run=True, output="HEIGHT") if summary else 0
        )
        tail = self._tail_height()
        doc.ensure(24 + summary_height + tail)
        doc.heading(tr("report.section.closing"))
        doc.para(summary)
        if doc.y + tail > doc.page_break_trigger:  # a summary too long for one page
            doc.add_page()
            doc.heading(tr("report.section.closing"))
        doc.ln(1)
        doc.para(self._time_line())
        totals = self.c["totals"]
        if totals["net_cents"]:
            money = self.f.money
            net, gross = money(totals["net_cents"]), money(totals["gross_cents"])
            amount = tr("report.totals.to_pay", net=net, gross=gross)
            doc.para(amount, bold=True)
        elif self.c["parts"]:
            doc.para(tr("report.totals.nothing"))
        self._follow_ups()
        self._signature_box()

    def _follow_up_lines(self) -> list[str]:
        tr, f = self.tr, self.f
        lines = []
        for fu in self.follow_ups:
            text = tr(f"report.follow_up.{fu['kind']}")
            if fu["description"]:
                text += f" : {fu['description']}" if tr.locale == "fr" else f": {fu['description']}"
            if fu["due_date"]:
                text += " — " + tr("report.follow_up.due", date=f.date(fu["due_date"]))
            lines.append(text)
        return lines

    def _tail_height(self) -> float:
        lines = 2 + max(1, len(self.follow_ups))
        return 5 * lines + 8 + self.SIGNATURE_BOX + 10

    def _follow_ups(self) -> None:
        doc, tr = self.doc, self.tr
        doc.ln(1)
        after = "_after" if self.follow_ups_after else ""
        doc.para(tr(f"report.follow_up.title{after}"), bold=True)
        for line in self._follow_up_lines() or [tr("report.follow_up.empty")]:
            doc.para(f"• {line}")

    def _signature_box(self) -> None:
        doc, tr, f, sig = self.doc, self.tr, self.f, self.signature
        doc.ln(2)
        top, half = doc.y, doc.epw / 2 - 2
        height = self.SIGNATURE_BOX
        doc.rect(MARGIN, top, half, height)
        doc.rect(MARGIN + half + 4, top, half, height)
        # The technician
        iv = self.c["intervention"]
        doc.set_xy(MARGIN + 2, top + 2)
        doc.set_font(FONT, "B", 9)
        doc.cell(half - 4, 5, tr("report.signature.technician"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_font(FONT, size=8.5)
        doc.cell(half - 4, 4.6, tr("report.signature.signer", name=self.c["technician"]["name"]),
                 new_x=XPos.LEFT, new_y=YPos.NEXT)  # fmt: skip
        when = iv["finished_at"] or iv["started_at"] or iv["scheduled_start"]
        doc.cell(half - 4, 4.6, tr("report.signature.date", date=f.date(when)))
        # The client
        x = MARGIN + half + 6
        doc.set_xy(x, top + 2)
        doc.set_font(FONT, "B", 9)
        doc.cell(half - 4, 5, tr("report.signature.client"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_font(FONT, "B", 8.5)
        if not (sig is None and self.missing):  # "Bon pour accord" only where it may be given
            doc.cell(half - 4, 4.6, tr("report.signature.approval"), new_x=XPos.LEFT,
                     new_y=YPos.NEXT)  # fmt: skip
        doc.set_font(FONT, size=8.5)
        if sig is None and self.missing:
            outcome, reason = self.missing
            doc.set_font(FONT, "B", 8.5)
            doc.cell(half - 4, 4.6, tr(f"report.unsigned.{outcome}"), new_x=XPos.LEFT,
                     new_y=YPos.NEXT)  # fmt: skip
            doc.set_font(FONT, size=8.5)
            doc.multi_cell(half - 4, 4.2, tr("report.unsigned.reason", reason=reason),
                           max_line_height=4.2, new_x=XPos.LEFT, new_y=YPos.NEXT)  # fmt: skip
        elif sig is None and self.corrects is not None and self.corrects.outcome == "signed":
            k = self.corrects
            doc.multi_cell(half - 4, 4.2, tr("report.corrects.signature", based_on=k.based_on),
                           max_line_height=4.2, align="L", new_x=XPos.LEFT,
                           new_y=YPos.NEXT)  # fmt: skip
            if k.outcome == "signed":
                doc.cell(half - 4, 4.6, tr("report.signature.signer", name=k.signer_name),
                         new_x=XPos.LEFT, new_y=YPos.NEXT)  # fmt: skip
                if k.signed_at:
                    date = tr("report.signature.date", date=f.datetime(k.signed_at))
                    doc.cell(half - 4, 4.6, date, new_x=XPos.LEFT, new_y=YPos.NEXT)
        elif sig is None:
            doc.set_text_color(*GREY)
            for key in ("signer", "role", "date"):
                doc.cell(half - 4, 4.6, tr(f"report.signature.{key}", name="", role="", date=""),
                         new_x=XPos.LEFT, new_y=YPos.NEXT)  # fmt: skip
            doc.cell(half - 4, 4.6, tr("report.signature.unsigned"))
            doc.set_text_color(*DARK)
        else:
            signed_local = sig.audit.get("signed_at_local") or sig.signed_at
            for text in (
                tr("report.signature.signer", name=sig.signer_name),
                tr("report.signature.role", role=sig.signer_role),
                tr("report.signature.date", date=f.datetime(signed_local)),
            ):
                doc.cell(half - 4, 4.6, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
            image_top = doc.y + 0.5
            image_height = top + height - 1.5 - image_top
            doc.image(io.BytesIO(sig.image_png), x=x, y=image_top, w=half - 8, h=image_height,
                      keep_aspect_ratio=True)  # fmt: skip
        doc.set_xy(MARGIN, top + height + 1.5)
        signed = sig.content_sha256 if sig is not None else self.sha256
        doc.para(tr("report.signature.hash", sha256=signed), size=6.5, color=GREY)
        if self.based_on:
            doc.para(tr("report.corrected.hash", sha256=self.sha256), size=6.5, color=GREY)
        self._corrections()

    def _corrections(self) -> None:
        """Under the client's signature of the version a corrected one is based on: that the
        office changed it afterwards (the corrections are listed at the top)."""
        if self.based_on and self.signature is not None:
            self.doc.para(self.tr("report.corrected"), bold=True)


def _based_on(content: dict) -> dict | None:
    """``{"version", "content_sha256"}`` of the signed version a corrected one is based on."""
    based_on = content.get("based_on")
    if isinstance(based_on, dict) and isinstance(based_on.get("content_sha256"), str):
        return based_on
    return None


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _prepared_photo(photo: dict, loader: PhotoLoader | None) -> io.BytesIO | None:
    """The photo ready for the PDF, or None (logged) if missing or unreadable.

    A complete, upright JPEG of at most ``PASS_MAX_PX`` pixels and ``PASS_MAX_BYTES`` goes in
    as it is (what the app's media pipeline stores: no decoding at all); anything else is
    decoded at a reduced scale (JPEG draft mode), turned upright and re-encoded at
    ``PHOTO_MAX_PX``, so a 12 MP original never bloats the PDF. A photo with annotations is
    always redrawn, its vector layer over it (``app.media.annotation``)."""
    sha = photo.get("blob_sha256", "")
    try:
        data = loader(sha) if loader else None
        if not data:
            log.warning("Report photo %s (%s) is missing: placeholder printed.", photo["id"], sha)
            return None
        layer = photo.get("annotations")
        with Image.open(io.BytesIO(data)) as image:
            upright = image.getexif().get(ORIENTATION, 1) == 1
            if (
                not layer and image.format == "JPEG" and upright
                and max(image.size) <= PASS_MAX_PX
                and len(data) <= PASS_MAX_BYTES and data.rstrip(b"\0").endswith(b"\xff\xd9")
            ):  # fmt: skip
                return io.BytesIO(data)  # complete (ends with its EOI marker), small enough
            scale = min(1.0, PHOTO_MAX_PX / max(image.size))
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
            image = (image if upright else ImageOps.exif_transpose(image)).convert("RGB")
            image.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
            image = draw_layer(image, layer)  # the annotations, if any, over the photo
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82)
    except Exception as exc:  # any undecodable file: a placeholder, never a failed report
        log.warning("Report photo %s (%s) unreadable (%s): placeholder.", photo["id"], sha, exc)
        return None
    out.seek(0)
    return out


VISIT_REPORT_SECTIONS = (
    "procedure", "measurements", "meter_readings", "work", "parts", "time", "photos", "comments",
)  # fmt: skip
SLIP_SECTIONS = ("work", "measurements", "meter_readings", "parts", "time", "comments")


def visit_report_pdf(
    content: dict,
    *,
    language: str = "fr",
    signature=None,
    photos: PhotoLoader | None = None,
    missing: tuple[str, str] | None = None,
    corrects: Corrects | None = None,
    follow_ups: list[dict] | None = None,
) -> bytes:
    """The visit report of ``content`` (a report's final content). ``signature``: the
    ``SignatureEvidence`` of this very content, or None for an unsigned draft; ``missing``:
    (``refused`` / ``absent``, reason) when the technician recorded why it is not signed;
    ``photos`` gives a photo's bytes from its blob SHA-256 (None when it has none);
    ``corrects``: for a corrected version, what is known of the version it corrects;
    ``follow_ups``: the follow-up recorded after the signature (``{"kind", "description",
    "due_date"}``), printed when the content holds none."""
    report = _Report(
        content, "visit_report", language, signature, photos, missing, corrects, follow_ups
    )
    return report.render(VISIT_REPORT_SECTIONS)


def slip_pdf(
    content: dict,
    *,
    language: str = "fr",
    signature=None,
    missing: tuple[str, str] | None = None,
    corrects: Corrects | None = None,
    follow_ups: list[dict] | None = None,
) -> bytes:
    """The intervention slip (*bon d'intervention*) of ``content``."""
    report = _Report(content, "slip", language, signature, None, missing, corrects, follow_ups)
    return report.render(SLIP_SECTIONS)
