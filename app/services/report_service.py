"""The visit report draft: built from what the technician entered, edited as a checklist.

``draft()`` reads the intervention's records through the field services (checklist, meters,
time, stock, comments) and returns the report content: plain JSON data (``app.reports.
canonical.plain``), one dict per line with a stable ``id`` and an ``included`` flag. The
draft is kept in the intervention's draft ``ReportVersion`` (``status = draft``,
``content`` = the last content built), so it syncs like any row.

Edits, and where they go (docs/reports.md, "The draft"):

- **texts** go back to the records, through the services that own them, so the report, the
  slip, the history and head office all show the same words: diagnosis / operations /
  summary through ``work_service``, a checklist answer's comment (and its measurement's)
  through ``checklist_service``, a client-visible comment through ``comment_service``
  (its author only). Nothing else is a text the report may change;
- **ticking / unticking a line** is a report-level choice: it is kept in the draft's content
  (the line's ``included`` flag) and survives every rebuild. A value out of tolerance cannot
  be left out: the client must see it.

Internal comments never enter the content: it reads comments only through
``comment_service.for_client``. ``final_content()`` is what is printed, signed and hashed:
the included lines only, without the flags, with the totals of the chargeable parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from peewee import fn

from app import clock
from app.errors import ValidationError
from app.models import (
    Attachment,
    Comment,
    Company,
    FollowUp,
    Intervention,
    Part,
    PartUsage,
    ReportVersion,
    Technician,
    User,
    db,
)
from app.models.enums import DocumentKind, DocumentStatus, MediaKind, UsageKind, Visibility
from app.reports.canonical import content_sha256, plain
from app.services import (
    checklist_service,
    comment_service,
    detail_service,
    meter_service,
    time_service,
    work_service,
)
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention

SCHEMA = "terrain.report/1"
WORK_FIELDS = ("diagnosis", "operations", "summary")
PHASE_ORDER = {"before": 0, "after": 1, "other": 2}
# The sections of the content that hold lines (dicts with ``id`` and ``included``).
LINE_SECTIONS = ("measurements", "meter_readings", "work", "parts", "comments", "photos")


class ReportLineError(ValidationError):
    """A report line that does not exist or cannot be changed this way."""

    hint = "Refresh the report; only the lines shown can be changed."


class LockedLineError(ValidationError):
    """A line the client must see (a value out of tolerance) cannot be left out."""

    hint = "Keep the line; explain the value in its comment instead."


@dataclass
class ReportDraft:
    version: ReportVersion
    content: dict

    @property
    def final(self) -> dict:
        return final_content(self.content)

    @property
    def sha256(self) -> str:
        return content_sha256(self.final)


def draft(
    intervention_id: str, who: CurrentUser, kind: DocumentKind = DocumentKind.VISIT_REPORT
) -> ReportDraft:
    """The intervention's draft report, rebuilt from its records (ticks kept)."""
    editable_intervention(intervention_id, who)
    kind = DocumentKind(kind)
    with db.atomic():
        version = _draft_version(intervention_id, kind, who)
        excluded = excluded_lines(version.content)
        content = build_content(intervention_id, who, kind=kind, excluded=excluded)
        if content != version.content:
            version.content = content
            version.save()
    return ReportDraft(version, content)


def set_included(
    intervention_id: str,
    line_id: str,
    included: bool,
    who: CurrentUser,
    kind: DocumentKind = DocumentKind.VISIT_REPORT,
) -> ReportDraft:
    """Tick (``True``) or untick a line of the draft; kept in the draft's content."""
    current = draft(intervention_id, who, kind)
    line = find_line(current.content, line_id)
    if line is None:
        raise ReportLineError(
            f"The report has no line {line_id!r}.", field=line_id, key="error.report.no_line"
        )
    if not included and line.get("out_of_tolerance"):
        raise LockedLineError(
            "A value out of tolerance stays in the report.",
            field=line_id,
            key="error.report.line_locked",
        )
    if line["included"] == bool(included):
        return current
    line["included"] = bool(included)
    current.version.content = current.content
    current.version.save()
    return current


def correct_text(
    intervention_id: str,
    line_id: str,
    text: str,
    who: CurrentUser,
    kind: DocumentKind = DocumentKind.VISIT_REPORT,
) -> ReportDraft:
    """Correct the text of a line: saved on the record it comes from, then the draft rebuilt.

    ``work:diagnosis|operations|summary`` -> the intervention's work texts; ``item:<id>`` or
    ``measurement:<id>`` (of a checklist item) -> the answer's comment; ``comment:<id>`` ->
    the client-visible comment (its author only).
    """
    editable_intervention(intervention_id, who)
    prefix, _, key = line_id.partition(":")
    if prefix == "work" and key in WORK_FIELDS:
        work_service.update_work(intervention_id, who, **{key: text})
    elif prefix == "item":
        checklist_service.comment_answer(intervention_id, key, text, who)
    elif prefix == "measurement":
        line = find_line(build_content(intervention_id, who), line_id)
        if line is None or not line.get("item_id"):
            raise _not_editable(line_id)
        checklist_service.comment_answer(intervention_id, line["item_id"], text, who)
    elif prefix == "comment":
        comment = Comment.live().where(Comment.id == key).first()
        if (
            comment is None
            or comment.intervention_id != intervention_id
            or comment.visibility != Visibility.CLIENT  # internal: unknown to the report
        ):
            raise ReportLineError(
                f"The report has no line {line_id!r}.", field=line_id, key="error.report.no_line"
            )
        comment_service.edit(key, text, who)
    else:
        raise _not_editable(line_id)
    return draft(intervention_id, who, kind)


def _not_editable(line_id: str) -> ReportLineError:
    return ReportLineError(
        f"The text of {line_id!r} cannot be corrected in the report.",
        field=line_id,
        key="error.report.not_editable",
    )


def _draft_version(intervention_id: str, kind: DocumentKind, who: CurrentUser) -> ReportVersion:
    versions = ReportVersion.live().where(
        (ReportVersion.intervention == intervention_id) & (ReportVersion.kind == kind)
    )
    latest = versions.order_by(ReportVersion.version.desc()).first()
    if latest is not None and latest.status == DocumentStatus.DRAFT:
        return latest
    # A new draft after a signed version (or the first one). Version numbers count every row,
    # soft-deleted ones too, so the unique (intervention, kind, version) never collides.
    highest = (
        ReportVersion.select(fn.MAX(ReportVersion.version))
        .where((ReportVersion.intervention == intervention_id) & (ReportVersion.kind == kind))
        .scalar()
    )
    return ReportVersion.create(
        intervention=intervention_id,
        kind=kind,
        version=(highest or 0) + 1,
        status=DocumentStatus.DRAFT,
        content={},
        created_by=who.id,
    )


# --- building the content -------------------------------------------------------------------


def build_content(
    intervention_id: str,
    who: CurrentUser,
    *,
    kind: DocumentKind = DocumentKind.VISIT_REPORT,
    excluded: frozenset[str] | set[str] = frozenset(),
) -> dict:
    """The report content of the intervention's records, every line ``included`` unless its
    id is in ``excluded`` (plain JSON data)."""
    intervention = load_intervention(intervention_id, who)
    detail = detail_service.load_detail(intervention_id, history_limit=0)
    content = {
        "schema": SCHEMA,
        "kind": str(DocumentKind(kind)),
        "reference": intervention.reference,
        "company": _company(),
        "intervention": _intervention(detail),
        "technician": _technician(intervention),
        "customer": _customer(detail.customer),
        "site": _site(detail.site),
        "equipment": _equipment(detail.equipment),
        "contract": _contract(detail.contract),
        "procedure": _procedure(intervention_id, who, intervention),
        "measurements": _measurements(intervention_id, who),
        "meter_readings": _meter_readings(intervention_id, who),
        "work": [
            {"id": f"work:{name}", "field": name, "text": getattr(intervention, name)}
            for name in WORK_FIELDS
        ],
        "time": _time(intervention_id, who),
        "parts": _parts(intervention_id, detail.contract),
        "comments": _comments(intervention_id),
        "photos": _photos(intervention_id, _photo_items(intervention_id, who)),
        "follow_ups": _follow_ups(intervention_id),
    }
    for line in iter_lines(content):
        line["included"] = line["id"] not in excluded or bool(line.get("out_of_tolerance"))
    return plain(content)


def _company() -> dict:
    company = Company.live().order_by(Company.created_at).first()
    fields = ("name", "legal_form", "address_line", "postal_code", "city", "siret")
    fields += ("vat_number", "phone", "email")
    if company is None:
        return dict.fromkeys(fields, "")
    return {name: getattr(company, name) for name in fields}


def _intervention(detail: detail_service.InterventionDetail) -> dict:
    row = detail.intervention
    return {
        "id": row.id,
        "type": detail.type_label,
        "status": row.status,
        "priority": row.priority,
        "scheduled_start": row.scheduled_start,
        "scheduled_end": row.scheduled_end,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "requested_by": row.requested_by,
        "problem_reported": row.problem_reported,
    }


def _technician(intervention: Intervention) -> dict:
    if not intervention.technician_id:
        return {"id": None, "name": ""}
    names = Technician.display_names({intervention.technician_id})
    return {"id": intervention.technician_id, "name": names.get(intervention.technician_id, "")}


def _customer(customer) -> dict:
    names = ("id", "code", "name", "kind", "billing_address", "siret", "vat_number", "email")
    return {name: getattr(customer, name) for name in (*names, "phone")}


def _site(site) -> dict:
    names = ("id", "name", "address_line", "postal_code", "city", "country")
    return {name: getattr(site, name) for name in names}


def _equipment(equipment) -> dict | None:
    if equipment is None:
        return None
    names = ("id", "equipment_type", "brand", "model", "serial_number", "location")
    out = {name: getattr(equipment, name) for name in names}
    out.update(install_date=equipment.install_date, power_kw=equipment.power_kw)
    return out


def _contract(contract) -> dict | None:
    if contract is None:
        return None
    names = ("reference", "label", "covers_labour", "covers_parts", "covers_travel")
    return {name: getattr(contract, name) for name in names}


def _answer(answer, photo=None) -> dict | None:
    """An item's answer; a photo item's names its photo's line (``photo:<id>``) while the
    photo is there (it is printed with the photos, captioned with the item's label)."""
    if answer is None:
        return None
    out = {
        "text": answer.value_text,
        "number": answer.value_number,
        "comment": answer.comment,
        "answered_at": answer.answered_at,
    }
    if photo is not None:
        out["photo"] = f"photo:{photo.id}"
    return out


def _procedure(intervention_id: str, who: CurrentUser, intervention: Intervention) -> dict | None:
    if not intervention.procedure_id:
        return None
    procedure = intervention.procedure
    steps = []
    for state in checklist_service.checklist(intervention_id, who).steps:
        items = []
        for item_state in state.items:
            item, answer = item_state.item, item_state.answer
            items.append(
                {
                    "id": f"item:{item.id}",
                    "position": item.position,
                    "label": item.label,
                    "explanation": item.explanation,
                    "kind": item.kind,
                    "required": item.required,
                    "unit": item.unit,
                    "min_value": item.min_value,
                    "max_value": item.max_value,
                    "answered": item_state.answered,
                    "status": _item_status(item, answer),
                    "out_of_tolerance": bool(answer and answer.out_of_tolerance),
                    "answer": _answer(answer, item_state.photo),
                }
            )
        steps.append(
            {
                "position": state.step.position,
                "title": state.step.title,
                "explanation": state.step.explanation,
                "items": items,
            }
        )
    return {
        "code": procedure.code,
        "name": procedure.name,
        "version": procedure.version,
        "steps": steps,
    }


def _item_status(item, answer) -> str | None:
    """The tolerance status of a numeric answer (see ``tolerance_status``), else None."""
    if answer is None or answer.value_number is None or item.kind != "numeric":
        return None
    return tolerance_status(answer.value_number, item.min_value, item.max_value)


def tolerance_status(value: float, low: float | None, high: float | None) -> str:
    """``ok``, ``low``, ``high``, or ``none`` when the value has no tolerance."""
    if low is None and high is None:
        return "none"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "ok"


def _measurements(intervention_id: str, who: CurrentUser) -> list[dict]:
    out = []
    for m in meter_service.measurements_of(intervention_id, who):
        status = tolerance_status(m.value, m.min_value, m.max_value)
        out.append(
            {
                "id": f"measurement:{m.id}",
                "item_id": m.item_id,
                "label": m.label,
                "value": m.value,
                "unit": m.unit,
                "min_value": m.min_value,
                "max_value": m.max_value,
                "status": status,
                "out_of_tolerance": bool(m.out_of_tolerance) or status in ("low", "high"),
                "comment": m.comment,
                "measured_at": m.measured_at,
            }
        )
    return out


def _meter_readings(intervention_id: str, who: CurrentUser) -> list[dict]:
    out = []
    for state in meter_service.meters_of(intervention_id, who):
        if state.current is None:
            continue
        out.append(
            {
                "id": f"meter:{state.meter.id}",
                "meter": state.meter.name,
                "unit": state.meter.unit,
                "value": state.current.value,
                "previous_value": state.previous.value if state.previous else None,
                "previous_at": state.previous.read_at if state.previous else None,
                "counter_replaced": state.current.counter_replaced,
                "read_at": state.current.read_at,
            }
        )
    return out


def _time(intervention_id: str, who: CurrentUser) -> dict:
    totals = time_service.totals(intervention_id, who, clock.now())
    return {
        "travel_minutes": totals.travel_minutes,
        "work_minutes": totals.work_minutes,
        "total_minutes": totals.total_minutes,
        "running": totals.running is not None,
    }


def _parts(intervention_id: str, contract) -> list[dict]:
    """Parts used, net of returns, one line per part (serial numbers listed)."""
    covered = bool(contract and contract.covers_parts)
    lines: dict[str, dict] = {}
    rows = (
        PartUsage.live()
        .select(PartUsage, Part)
        .join(Part)
        .where(PartUsage.intervention == intervention_id)
        .order_by(PartUsage.recorded_at)
    )
    for usage in rows:
        part = usage.part
        line = lines.setdefault(
            part.id,
            {
                "id": f"part:{part.id}",
                "reference": part.reference,
                "name": part.name,
                "unit": part.unit,
                "quantity": 0.0,
                "serial_numbers": [],
                "unit_price_cents": part.unit_price_cents,
                "vat_rate_bp": part.vat_rate_bp,
                "covered_by_contract": covered,
            },
        )
        sign = 1 if usage.kind == UsageKind.USED else -1
        line["quantity"] = round(line["quantity"] + sign * usage.quantity, 3)
        serial = usage.serial_number
        if serial and usage.kind == UsageKind.USED and serial not in line["serial_numbers"]:
            line["serial_numbers"].append(serial)
        elif serial and usage.kind == UsageKind.RETURNED and serial in line["serial_numbers"]:
            line["serial_numbers"].remove(serial)
    out = []
    for line in lines.values():
        if line["quantity"] <= 0:
            continue
        line["total_cents"] = _cents(Decimal(str(line["quantity"])) * line["unit_price_cents"])
        out.append(line)
    return out


def _comments(intervention_id: str) -> list[dict]:
    comments = comment_service.for_client(intervention_id)  # never the internal ones
    names = {
        u.id: u.display_name
        for u in User.select(User.id, User.display_name).where(
            User.id.in_([c.author_id for c in comments])
        )
    }
    return [
        {
            "id": f"comment:{c.id}",
            "author": names.get(c.author_id, ""),
            "body": c.body,
            "created_at": c.created_at,
        }
        for c in comments
    ]


def _photo_items(intervention_id: str, who: CurrentUser) -> dict[str, object]:
    """attachment id -> the photo item it answers."""
    states = [s for step in checklist_service.checklist(intervention_id, who).steps
              for s in step.items]  # fmt: skip
    return {s.photo.id: s.item for s in states if s.photo is not None}


def _photos(intervention_id: str, items: dict | None = None) -> list[dict]:
    """The photos of the intervention, before first then after; a photo answering a photo
    item names it (``item_id``) and is captioned with its label when it has no caption."""
    items = items or {}
    rows = (
        Attachment.live()
        .where((Attachment.intervention == intervention_id) & (Attachment.kind == MediaKind.PHOTO))
        .order_by(Attachment.taken_at, Attachment.created_at)
    )
    photos = [
        {
            "id": f"photo:{a.id}",
            "phase": a.phase,
            "blob_sha256": a.blob_sha256,
            "mime_type": a.mime_type,
            "caption": a.caption,
            "taken_at": a.taken_at,
            "annotations": a.annotations or None,  # drawn over the photo in the PDF
        }
        for a in rows
    ]
    for photo in photos:
        item = items.get(photo["id"].removeprefix("photo:"))
        if item is not None:
            photo["item_id"] = item.id
            photo["caption"] = photo["caption"] or item.label
    return sorted(photos, key=lambda p: PHASE_ORDER.get(p["phase"], 3))


def _follow_ups(intervention_id: str) -> list[dict]:
    rows = FollowUp.live().where(FollowUp.intervention == intervention_id)
    rows = rows.order_by(FollowUp.created_at)
    return [{"kind": f.kind, "description": f.description, "due_date": f.due_date} for f in rows]


# --- lines, ticks and the final content ----------------------------------------------------


def iter_lines(content: dict):
    """Every tickable line of ``content``: checklist items, then the line sections."""
    procedure = content.get("procedure")
    if procedure:
        for step in procedure["steps"]:
            yield from step["items"]
    for section in LINE_SECTIONS:
        yield from content.get(section) or []


def find_line(content: dict, line_id: str) -> dict | None:
    return next((line for line in iter_lines(content) if line["id"] == line_id), None)


def excluded_lines(content: dict | None) -> set[str]:
    """The ids of the lines unticked in ``content`` (a draft's stored content)."""
    if not content:
        return set()
    return {line["id"] for line in iter_lines(content) if not line.get("included", True)}


def final_content(content: dict) -> dict:
    """What is printed, signed and hashed: included lines only, no ``included`` flags, and
    the totals of the parts the contract does not cover."""
    out = {key: value for key, value in content.items() if key not in LINE_SECTIONS}
    for section in LINE_SECTIONS:
        out[section] = [_unflagged(line) for line in content.get(section) or [] if line["included"]]
    if content.get("procedure"):
        procedure = dict(content["procedure"])
        procedure["steps"] = [
            {**step, "items": [_unflagged(i) for i in step["items"] if i["included"]]}
            for step in procedure["steps"]
        ]
        procedure["steps"] = [s for s in procedure["steps"] if s["items"]]
        out["procedure"] = procedure
    out["totals"] = parts_totals(out["parts"])
    return plain(out)


def _unflagged(line: dict) -> dict:
    return {key: value for key, value in line.items() if key != "included"}


def parts_totals(parts: list[dict]) -> dict:
    """Totals of the chargeable parts (not covered by the contract): HT, VAT by rate, TTC."""
    by_rate: dict[int, int] = {}
    for line in parts:
        if not line["covered_by_contract"]:
            rate = line["vat_rate_bp"]
            by_rate[rate] = by_rate.get(rate, 0) + line["total_cents"]
    vat = [
        {"rate_bp": rate, "base_cents": base, "vat_cents": _cents(Decimal(base * rate) / 10000)}
        for rate, base in sorted(by_rate.items())
    ]
    net = sum(by_rate.values())
    return {
        "net_cents": net,
        "vat": vat,
        "gross_cents": net + sum(v["vat_cents"] for v in vat),
    }


def _cents(amount: Decimal) -> int:
    """Whole cents, half up (the rounding of French invoices)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
