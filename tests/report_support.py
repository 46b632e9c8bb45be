"""Helpers for the report tests: a job filled in like a real visit, photos, a signature."""

from __future__ import annotations

import io
import math
from datetime import timedelta

from field_support import NOW, a_job, as_user
from PIL import Image, ImageDraw

from app.models import (
    ChecklistAnswer,
    ChecklistItem,
    Intervention,
    Measurement,
    Meter,
    Part,
    ProcedureStep,
)
from app.models.enums import InterventionStatus as S
from app.models.enums import TimeKind
from app.services import (
    checklist_service,
    comment_service,
    meter_service,
    stock_service,
    time_service,
    work_service,
)

INTERNAL = "Client difficile, ne pas laisser seul dans la chaufferie — SECRET-42"
VISIBLE = "Pensez à purger les radiateurs de l'étage avant l'hiver."


def items_of(job) -> list[ChecklistItem]:
    return list(
        ChecklistItem.select()
        .join(ProcedureStep)
        .where(ProcedureStep.procedure == job.procedure_id)
        .order_by(ProcedureStep.position, ChecklistItem.position)
    )


def _value(item, job, tech):
    if item.kind == "check":
        return "done"
    if item.kind == "yes_no_na":
        return "yes"
    if item.kind == "choice":
        return (item.choices or [""])[0]
    if item.kind == "numeric":
        low, high = item.min_value, item.max_value
        if low is not None and high is not None:
            return (low + high) / 2
        return low if low is not None else (high if high is not None else 1.0)
    if item.kind == "meter":
        states = meter_service.meters_of(job.id, tech)
        state = next(s for s in states if s.meter.name == item.meter_name)
        return (state.previous.value if state.previous else 0) + 125
    if item.kind == "text":
        return "RAS, installation propre."
    return None  # photo items wait for the media issue


def filled_job(*, out_of_tolerance: bool = True):
    """tech1's first job of the day, in progress, with every record a report shows: all
    answers (one value out of tolerance, commented), meters, time, a part, both kinds of
    comment and the work texts."""
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == job.id).execute()
    Measurement.delete().where(Measurement.intervention == job.id).execute()
    flagged = None
    for item in items_of(job):
        value = _value(item, job, tech)
        if value is None:
            continue
        if out_of_tolerance and flagged is None and item.kind == "numeric" and item.max_value:
            flagged, value = item, item.max_value + 1
        checklist_service.answer(job.id, item.id, value, tech, NOW)
    if flagged is not None:
        checklist_service.comment_answer(job.id, flagged.id, "Vase d'expansion à regonfler", tech)
    if not meter_service.meters_of(job.id, tech):
        Meter.create(equipment=job.equipment_id, name="Heures de fonctionnement", unit="h")
    for state in meter_service.meters_of(job.id, tech):
        if state.current is None:
            previous = state.previous.value if state.previous else 0
            meter_service.record(job.id, state.meter.id, previous + 125, tech, NOW)
    Intervention.update(started_at=NOW - timedelta(minutes=95)).where(
        Intervention.id == job.id
    ).execute()
    time_service.start(job.id, TimeKind.WORK, tech, NOW - timedelta(minutes=95))
    time_service.stop_running(tech, NOW)
    part = Part.get((Part.has_serial == False) & (Part.fractional == False))
    stock_service.use_part(job.id, part.id, 2, tech, NOW, from_elsewhere=True)
    comment_service.add(job.id, INTERNAL, "internal", tech)
    comment_service.add(job.id, VISIBLE, "client", tech)
    work_service.update_work(
        job.id, tech,
        diagnosis="Brûleur encrassé, électrodes usées.",
        operations="Nettoyage du brûleur, remplacement des électrodes, contrôle de combustion.",
        summary="Chaudière remise en service, combustion conforme.",
    )  # fmt: skip
    return job, tech, flagged


def jpeg(width: int = 640, height: int = 480, seed: int = 0) -> bytes:
    """A photo-like JPEG: gradients and a few shapes (not a flat colour)."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):
        shade = int(255 * y / height)
        colour = (shade, (shade + seed * 40) % 255, 200 - shade // 2)
        draw.rectangle([0, y, width, y + 4], fill=colour)
    for k in range(6):
        x = (seed * 97 + k * 131) % width
        draw.ellipse([x, height // 4, x + width // 6, height // 4 + width // 6], fill=(240, 80, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def signature_strokes() -> list[list[list[float]]]:
    """A handwritten-looking signature on a 600 x 200 pad: a loop and an underline."""
    loop = [
        [100 + 180 * t / 40 + 30 * math.sin(t / 3), 100 + 40 * math.cos(t / 3), t * 16]
        for t in range(41)
    ]
    underline = [[90 + 10 * i, 160 + (i % 3), 900 + 12 * i] for i in range(30)]
    return [loop, underline]
