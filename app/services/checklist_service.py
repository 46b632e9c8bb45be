"""The guided procedure: steps in order, typed checklist items, answers and what is missing.

Answers are validated by item kind. A numeric item outside its tolerance is saved and flagged;
it then needs a comment before the work can be declared done. Numeric answers are also kept
as measurements (for the trends in the history); meter items record a meter reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain import photo_answer
from app.errors import NotFoundError, ValidationError
from app.models import (
    Attachment,
    ChecklistAnswer,
    ChecklistItem,
    Measurement,
    Meter,
    ProcedureStep,
    db,
)
from app.models.enums import ItemKind, MediaKind
from app.services import meter_service
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention, parse_number

MAX_TEXT = 4000
YES_NO_NA = ("yes", "no", "na")


@dataclass
class ItemState:
    item: ChecklistItem
    answer: ChecklistAnswer | None
    # A photo item's answer: the live photo it names (None: none, or deleted since).
    photo: Attachment | None = None

    @property
    def answered(self) -> bool:
        a = self.answer
        if self.item.kind == ItemKind.PHOTO:  # unanswered until its photo is there
            return a is not None and self.photo is not None
        return a is not None and (a.value_text not in (None, "") or a.value_number is not None)

    @property
    def needs_comment(self) -> bool:
        return bool(
            self.answer and self.answer.out_of_tolerance and not self.answer.comment.strip()
        )


@dataclass
class StepState:
    step: ProcedureStep
    items: list[ItemState] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(i.answered or not i.item.required for i in self.items)


@dataclass
class Checklist:
    steps: list[StepState]

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.steps)

    @property
    def answered(self) -> int:
        return sum(i.answered for s in self.steps for i in s.items)

    def missing(self) -> list[str]:
        """What blocks "work done": unanswered required items, flagged values without comment."""
        out = []
        for s in self.steps:
            for i in s.items:
                if i.item.required and not i.answered:
                    out.append(f"{s.step.position}. {s.step.title} — {i.item.label}")
                elif i.needs_comment:
                    out.append(f"{s.step.position}. {s.step.title} — {i.item.label} (comment)")
        return out


def checklist(intervention_id: str, who: CurrentUser) -> Checklist:
    intervention = load_intervention(intervention_id, who)
    if not intervention.procedure_id:
        return Checklist([])
    steps = list(
        ProcedureStep.live()
        .where(ProcedureStep.procedure == intervention.procedure_id)
        .order_by(ProcedureStep.position)
    )
    by_step = {s.id: StepState(s) for s in steps}
    answers = {
        a.item_id: a
        for a in ChecklistAnswer.live().where(ChecklistAnswer.intervention == intervention_id)
    }
    items = (
        ChecklistItem.live()
        .where(ChecklistItem.step.in_(list(by_step)))
        .order_by(ChecklistItem.position)
    )
    photos = {
        a.id: a
        for a in Attachment.live().where(
            (Attachment.intervention == intervention_id) & (Attachment.kind == MediaKind.PHOTO)
        )
    }
    for item in items:
        answer = answers.get(item.id)
        photo = None
        if item.kind == ItemKind.PHOTO and answer is not None and answer.value_text:
            photo = photos.get(answer.value_text)
        by_step[item.step_id].items.append(ItemState(item, answer, photo))
    return Checklist([by_step[s.id] for s in steps])


def answer(
    intervention_id: str,
    item_id: str,
    raw: object,
    who: CurrentUser,
    now: datetime,
    *,
    comment: str | None = None,
    counter_replaced: bool = False,
) -> ChecklistAnswer:
    """Record the answer to one item (re-answering replaces it). Nothing is saved on error."""
    intervention = editable_intervention(intervention_id, who)
    item = ChecklistItem.live().where(ChecklistItem.id == item_id).first()
    if item is None or item.step.procedure_id != intervention.procedure_id:
        raise NotFoundError("This checklist item is not part of the intervention's procedure.")
    text, number = _validate(item, raw)
    if item.kind == ItemKind.PHOTO and text is not None:
        _check_photo(item, intervention.id, text)
    out = item.kind == ItemKind.NUMERIC and number is not None and _outside(item, number)
    with db.atomic():
        if item.kind == ItemKind.METER and number is not None:
            meter = _meter_for(item, intervention)
            meter_service.record(
                intervention_id, meter.id, number, who, now, counter_replaced=counter_replaced
            )
        row = (
            ChecklistAnswer.live()
            .where(
                (ChecklistAnswer.intervention == intervention_id)
                & (ChecklistAnswer.item == item_id)
            )
            .first()
        )
        created = row is None
        row = row or ChecklistAnswer(intervention=intervention, item=item)
        row.value_text, row.value_number, row.out_of_tolerance = text, number, out
        if comment is not None:
            row.comment = comment.strip()[:MAX_TEXT]
        row.answered_by, row.answered_at = who.id, now
        row.save(force_insert=created)
        if item.kind == ItemKind.NUMERIC:
            _keep_measurement(intervention, item, number, out, row.comment, now)
    return row


def comment_answer(intervention_id: str, item_id: str, text: str, who: CurrentUser) -> None:
    editable_intervention(intervention_id, who)
    row = (
        ChecklistAnswer.live()
        .where(
            (ChecklistAnswer.intervention == intervention_id) & (ChecklistAnswer.item == item_id)
        )
        .first()
    )
    if row is None:
        raise ValidationError(
            "Answer the item before commenting it.", key="error.item.comment_first"
        )
    row.comment = (text or "").strip()[:MAX_TEXT]
    row.save()
    for m in Measurement.live().where(
        (Measurement.intervention == intervention_id) & (Measurement.item == item_id)
    ):
        m.comment = row.comment
        m.save()


def _validate(item: ChecklistItem, raw: object) -> tuple[str | None, float | None]:
    kind = ItemKind(item.kind)
    if raw is None or raw == "":
        return None, None  # clearing an answer is allowed
    if kind == ItemKind.CHECK:
        return ("done" if raw in (True, "done", "true", "1", 1) else None), None
    if kind == ItemKind.YES_NO_NA:
        if raw not in YES_NO_NA:
            raise _bad(item, "error.item.yes_no_na", "Answer yes, no or not applicable.")
        return str(raw), None
    if kind in (ItemKind.NUMERIC, ItemKind.METER):
        value = parse_number(raw, field=item.id, label=item.label)
        if kind == ItemKind.NUMERIC and not _plausible(item, value):
            raise _bad(
                item, "error.item.absurd",
                f"{value:g} {item.unit} is not a plausible value for {item.label}.",
                value=f"{value:g}", unit=item.unit,
            )  # fmt: skip
        return None, value
    if kind == ItemKind.CHOICE:
        if raw not in (item.choices or []):
            raise _bad(item, "error.item.choice", "Pick one of the proposed answers.")
        return str(raw), None
    if kind == ItemKind.PHOTO:  # the id of a photo of the intervention (``_check_photo``)
        return str(raw).strip()[:64] or None, None
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise _bad(item, "error.item.too_long", f"At most {MAX_TEXT} characters.")
    return text or None, None


def _check_photo(item: ChecklistItem, intervention_id: str, attachment_id: str) -> None:
    """The shared rule head office applies too (``app.domain.photo_answer``)."""
    row = Attachment.get_or_none(Attachment.id == attachment_id)
    found = None
    if row is not None:
        found = {"intervention_id": row.intervention_id, "kind": row.kind, "deleted": row.deleted}
    reason = photo_answer.photo_refusal(intervention_id, found)
    if reason:
        raise _bad(item, "error.photo_item.refused", reason)


def _plausible(item: ChecklistItem, value: float) -> bool:
    """Refuse typos by orders of magnitude: within 100x the tolerance span around it."""
    lo, hi = item.min_value, item.max_value
    if lo is None and hi is None:
        return True
    span = max(abs(hi - lo) if lo is not None and hi is not None else abs(hi or lo), 1.0)
    low = (lo if lo is not None else hi) - 100 * span
    high = (hi if hi is not None else lo) + 100 * span
    return low <= value <= high


def _outside(item: ChecklistItem, value: float) -> bool:
    return (item.min_value is not None and value < item.min_value) or (
        item.max_value is not None and value > item.max_value
    )


def _meter_for(item: ChecklistItem, intervention) -> Meter:
    meter = (
        Meter.live()
        .where((Meter.equipment == intervention.equipment_id) & (Meter.name == item.meter_name))
        .first()
    )
    if meter is None:
        raise _bad(item, "error.item.no_meter", f"The equipment has no meter '{item.meter_name}'.")
    return meter


def _keep_measurement(intervention, item, value, out, comment, now) -> None:
    row = (
        Measurement.live()
        .where((Measurement.intervention == intervention.id) & (Measurement.item == item.id))
        .first()
    )
    if value is None:
        if row is not None:
            row.deleted = True
            row.save()
        return
    created = row is None
    row = row or Measurement(
        intervention=intervention, item=item, equipment=intervention.equipment_id
    )
    row.label, row.value, row.unit = item.label, value, item.unit
    row.min_value, row.max_value, row.out_of_tolerance = item.min_value, item.max_value, out
    row.comment, row.measured_at = comment, now
    row.save(force_insert=created)


def _bad(item: ChecklistItem, key: str, message: str, **params) -> ValidationError:
    return ValidationError(
        f"{item.label}: {message}", field=item.id, key=key, label=item.label, **params
    )
