"""The follow-up (*suite à donner*), recorded after the client signed or the technician recorded
why not, then the slip goes to head office (docs/reports.md, "Follow-up").

One ``FollowUpInput`` per thing to do next; each becomes a ``FollowUp`` row:

- ``none``: alone (nothing else with it); ``description`` optional;
- ``new_visit``: ``proposed_date`` (today or later) -> ``due_date``, ``urgency`` (a
  ``Priority``);
- ``quote``: ``description`` (what to quote);
- ``parts_order``: ``lines``, part + quantity (> 0; whole units unless the part is
  fractional) -> ``lines`` ``[{part_id, reference, name, unit, quantity}]``, checked by
  the rule head office applies to pushed follow-ups (``app.domain.follow_up``);
- ``next_preventive``: ``proposed_date`` (today or later) -> ``due_date``;
- ``other``: ``description``.

``record()`` checks everything first, then stores the rows and (``submit=True``) moves a
signed intervention to submitted, in one transaction: nothing is half-stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app import clock
from app.domain import follow_up
from app.domain.follow_up import MAX_LINES, FollowUpError
from app.models import FollowUp, Part, db
from app.models.enums import FollowUpKind, Priority
from app.models.enums import InterventionStatus as S
from app.services import lifecycle_service
from app.services.auth_service import CurrentUser
from app.services.guards import load_intervention

MAX_TEXT = 2000
# The statuses a follow-up is recorded in: after the signature (or the unsigned submission),
# until the office validates.
OPEN_FOR_FOLLOW_UP = frozenset({S.SIGNED, S.SUBMITTED})
NEEDS_DESCRIPTION = frozenset({FollowUpKind.QUOTE, FollowUpKind.OTHER})
NEEDS_DATE = frozenset({FollowUpKind.NEW_VISIT, FollowUpKind.NEXT_PREVENTIVE})


@dataclass(frozen=True)
class PartLine:
    part_id: str
    quantity: object  # a number, or what was typed ("2", "1,5")


@dataclass(frozen=True)
class FollowUpInput:
    kind: FollowUpKind | str
    description: str = ""
    proposed_date: date | None = None
    urgency: Priority | str | None = None
    lines: list[PartLine] = field(default_factory=list)


def follow_ups_of(intervention_id: str, who: CurrentUser) -> list[FollowUp]:
    load_intervention(intervention_id, who)
    return list(
        FollowUp.live()
        .where(FollowUp.intervention == intervention_id)
        .order_by(FollowUp.created_at, FollowUp.id)
    )


def record(
    intervention_id: str,
    who: CurrentUser,
    items: list[FollowUpInput],
    *,
    submit: bool = True,
) -> list[FollowUp]:
    """Store the follow-ups of a signed (or unsigned-submitted) intervention; then, with
    ``submit``, send the slip (signed -> submitted)."""
    job = load_intervention(intervention_id, who)
    if job.status not in OPEN_FOR_FOLLOW_UP:
        raise FollowUpError(
            f"{job.reference} is {job.status}: the follow-up comes after the signature.",
            key="error.follow_up.not_signed",
            hint="Have the client sign the report (or record why not) first.",
        )
    rows = [_checked(i, item) for i, item in enumerate(items or [])]
    if not rows:
        raise FollowUpError(
            "Choose at least one follow-up (or “none”).", key="error.follow_up.empty"
        )
    kinds = [r["kind"] for r in rows]
    if FollowUpKind.NONE in kinds and len(rows) > 1:
        raise FollowUpError(
            "“Nothing to follow up” cannot go with another follow-up.",
            field="kind",
            key="error.follow_up.none_alone",
        )
    with db.atomic():
        created = [FollowUp.create(intervention=job.id, created_by=who.id, **row) for row in rows]
        if submit and job.status == S.SIGNED:
            lifecycle_service.transition(job.id, S.SUBMITTED, who, clock.now())
    return created


def _checked(index: int, item: FollowUpInput) -> dict:
    try:
        kind = FollowUpKind(item.kind)
    except ValueError:
        raise FollowUpError(
            f"Unknown follow-up {item.kind!r}.", field=f"kind.{index}", key="error.follow_up.kind"
        ) from None
    text = (item.description or "").strip()
    if len(text) > MAX_TEXT:
        raise FollowUpError(
            f"The text is too long (at most {MAX_TEXT} characters).",
            field=f"description.{index}",
            key="error.follow_up.too_long",
        )
    row: dict = {"kind": kind, "description": text, "due_date": None, "urgency": None}
    row["lines"] = None
    if kind in NEEDS_DESCRIPTION and not text:
        raise FollowUpError(
            "Say what is to be done.", field=f"description.{index}", key="error.follow_up.text"
        )
    if kind in NEEDS_DATE:
        row["due_date"] = _future_date(item.proposed_date, index)
    if kind == FollowUpKind.NEW_VISIT:
        try:
            row["urgency"] = Priority(item.urgency)
        except ValueError:
            raise FollowUpError(
                "Choose how urgent the new visit is.",
                field=f"urgency.{index}",
                key="error.follow_up.urgency",
            ) from None
    if kind == FollowUpKind.PARTS_ORDER:
        row["lines"] = _lines(item.lines, index)
    return row


def _future_date(value: object, index: int) -> date:
    if not isinstance(value, date):
        try:
            value = parse_date(str(value or ""))
        except ValueError:
            raise FollowUpError(
                "Give the proposed date (DD/MM/YYYY).",
                field=f"proposed_date.{index}",
                key="error.follow_up.date",
            ) from None
    if value < clock.today():
        raise FollowUpError(
            "The proposed date is in the past.",
            field=f"proposed_date.{index}",
            key="error.follow_up.past",
        )
    return value


def parse_date(text: str) -> date:
    """``31/03/2026`` (as typed in France), ``31.03.2026`` or ``2026-03-31``."""
    text = text.strip()
    for sep in ("/", ".", "-"):
        parts = text.split(sep)
        if len(parts) == 3 and sep != "-" and len(parts[2]) == 4:
            day, month, year = (int(p) for p in parts)
            return date(year, month, day)
    return date.fromisoformat(text)


def find_parts(query: str, limit: int = 6) -> list[Part]:
    """Catalogue parts whose reference or name holds ``query`` (exact reference first)."""
    text = (query or "").strip()
    if len(text) < 2:
        return []
    rows = (
        Part.live()
        .where(Part.reference.contains(text) | Part.name.contains(text))
        .order_by(Part.reference != text, Part.name)
        .limit(limit)
    )
    return list(rows)


def _lines(lines: list[PartLine], index: int) -> list[dict]:
    if not lines:
        raise FollowUpError(
            "Add the parts to order.", field=f"lines.{index}", key="error.follow_up.no_lines"
        )
    if len(lines) > MAX_LINES:
        raise FollowUpError(
            f"At most {MAX_LINES} parts.", field=f"lines.{index}", key="error.follow_up.lines"
        )
    out, seen = [], set()
    for line in lines:
        part = Part.live().where(Part.id == line.part_id).first()
        if part is None or line.part_id in seen:
            raise FollowUpError(
                "Choose each part from the catalogue, once.",
                field=f"lines.{index}",
                key="error.follow_up.part",
            )
        seen.add(part.id)
        quantity = _quantity(line.quantity, part, index)
        out.append(
            {
                "part_id": part.id,
                "reference": part.reference,
                "name": part.name,
                "unit": part.unit,
                "quantity": quantity,
            }
        )
    if reason := follow_up.lines_refusal(out, _part_row):
        raise FollowUpError(reason, field=f"lines.{index}", key="error.follow_up.line_rule")
    return out


def _part_row(part_id: str) -> dict | None:
    part = Part.live().where(Part.id == part_id).first()
    return {"fractional": part.fractional} if part is not None else None


def _quantity(raw: object, part: Part, index: int) -> float:
    value = follow_up.parse_quantity(raw)
    if follow_up.quantity_refusal(value, fractional=part.fractional):
        raise FollowUpError(
            f"{part.name}: the quantity must be above 0"
            + ("" if part.fractional else ", in whole units")
            + f" and at most {follow_up.MAX_QUANTITY}.",
            field=f"lines.{index}",
            key="error.follow_up.quantity",
            part=part.name,
        )
    return round(value, 3)


def summary_of(row: FollowUp) -> dict:
    """A follow-up as plain data (for the report screen and docs)."""
    return {
        "kind": row.kind,
        "description": row.description,
        "proposed_date": row.due_date,
        "urgency": row.urgency,
        "lines": row.lines or [],
    }
