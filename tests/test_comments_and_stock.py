"""Comments (internal vs client-visible) and the van stock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from field_support import NOW, a_job, as_user

from app.errors import PermissionDeniedError, ValidationError
from app.models import Intervention, Part, PartsToOrderLine, PartUsage, PlannedPart, VanStockLine
from app.models.enums import InterventionStatus as S
from app.services import comment_service, stock_service
from app.services.stock_service import InsufficientStockError


def test_visibility_is_explicit_and_internal_comments_never_reach_the_client(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    with pytest.raises(ValidationError, match="internal or visible"):
        comment_service.add(job.id, "Chaudière ancienne", "", tech)
    comment_service.add(job.id, "Client difficile, prévoir 2 personnes", "internal", tech)
    comment_service.add(job.id, "Pensez à purger les radiateurs", "client", tech)
    everything = [c.body for c, _ in comment_service.for_intervention(job.id, tech)]
    assert everything == ["Client difficile, prévoir 2 personnes", "Pensez à purger les radiateurs"]
    assert [c.body for c in comment_service.for_client(job.id)] == [
        "Pensez à purger les radiateurs"
    ]


def test_comments_are_editable_by_their_author_until_signature(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    comment = comment_service.add(job.id, "Brûleur encrassé", "client", tech)
    assert comment_service.edit(comment.id, "Brûleur nettoyé", tech).body == "Brûleur nettoyé"
    with pytest.raises(PermissionDeniedError):
        comment_service.edit(comment.id, "x", as_user("office"))
    with pytest.raises(ValidationError, match="empty"):
        comment_service.edit(comment.id, "   ", tech)
    job.status = S.SIGNED
    job.save()
    with pytest.raises(ValidationError, match="can no longer change"):
        comment_service.edit(comment.id, "Après signature", tech)


def _van_line(tech, **part_filter):
    query = (
        VanStockLine.select()
        .join(Part)
        .where((VanStockLine.technician == tech.technician_id) & (VanStockLine.quantity >= 2))
    )
    for name, value in part_filter.items():
        query = query.where(getattr(Part, name) == value)
    return query.first()


def test_using_parts_takes_them_from_the_van_and_returning_puts_them_back(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    line = _van_line(tech, has_serial=False, fractional=False)
    start = line.quantity
    usage = stock_service.use_part(job.id, line.part_id, "2", tech, NOW)
    assert VanStockLine.get_by_id(line.id).quantity == start - 2
    stock_service.return_part(usage.id, 1, tech, NOW)
    assert VanStockLine.get_by_id(line.id).quantity == start - 1
    with pytest.raises(ValidationError, match="At most 1"):
        stock_service.return_part(usage.id, 2, tech, NOW)


def test_stock_never_goes_negative_silently(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    line = _van_line(tech, has_serial=False, fractional=False)
    too_many = line.quantity + 3
    with pytest.raises(InsufficientStockError, match="in the van"):
        stock_service.use_part(job.id, line.part_id, too_many, tech, NOW)
    assert VanStockLine.get_by_id(line.id).quantity == line.quantity
    assert (
        not PartUsage.select()
        .where(PartUsage.intervention == job.id, PartUsage.part == line.part_id)
        .exists()
    )
    usage = stock_service.use_part(job.id, line.part_id, too_many, tech, NOW, from_elsewhere=True)
    assert usage.source == "elsewhere"
    assert VanStockLine.get_by_id(line.id).quantity == line.quantity  # not from the van


@pytest.mark.parametrize("raw", ["0", "-1", "1,5", "abc", "99999"])
def test_bad_quantities_are_refused(demo_db, raw):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    line = _van_line(tech, has_serial=False, fractional=False)
    with pytest.raises(ValidationError):
        stock_service.use_part(job.id, line.part_id, raw, tech, NOW)
    assert VanStockLine.get_by_id(line.id).quantity == line.quantity


def test_fractional_units_and_serial_numbers(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    metres = Part.get(Part.fractional == True)
    usage = stock_service.use_part(job.id, metres.id, "1,5", tech, NOW, from_elsewhere=True)
    assert usage.quantity == 1.5
    serial_part = Part.get(Part.has_serial == True)
    with pytest.raises(ValidationError, match="serial"):
        stock_service.use_part(job.id, serial_part.id, 1, tech, NOW, from_elsewhere=True)
    used = stock_service.use_part(
        job.id, serial_part.id, 1, tech, NOW, serial_number="GRU-2291", from_elsewhere=True
    )
    assert used.serial_number == "GRU-2291"


def test_going_under_the_minimum_creates_one_parts_to_order_line(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    line = _van_line(tech, has_serial=False, fractional=False)
    line.minimum = line.quantity
    line.save()
    PartsToOrderLine.delete().where(PartsToOrderLine.part == line.part_id).execute()
    stock_service.use_part(job.id, line.part_id, 1, tech, NOW)
    stock_service.use_part(job.id, line.part_id, 1, tech, NOW)
    orders = list(PartsToOrderLine.select().where(PartsToOrderLine.part == line.part_id))
    assert len(orders) == 1
    assert orders[0].quantity == 2 and orders[0].technician_id == tech.technician_id
    assert orders[0].status == "new"


def test_a_part_the_van_count_holds_none_of_is_used_from_elsewhere_and_ordered(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    line = _van_line(tech, has_serial=False, fractional=False)
    line.quantity, line.minimum = 0, 2
    line.save()
    PartsToOrderLine.delete().where(PartsToOrderLine.part == line.part_id).execute()
    shown = next(s for s in stock_service.van_stock(tech) if s.part.id == line.part_id)
    assert shown.empty and shown.below_minimum
    assert not any(s.empty for s in stock_service.van_stock(tech) if s.quantity > 0)
    usage = stock_service.use_part(job.id, line.part_id, 1, tech, NOW, from_elsewhere=True)
    assert usage.source == "elsewhere"
    assert VanStockLine.get_by_id(line.id).quantity == 0  # never negative
    order = PartsToOrderLine.get(PartsToOrderLine.part == line.part_id)
    assert order.quantity == 2 and order.status == "new"


def test_van_stock_search_planned_and_previously_used_parts(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    everything = stock_service.van_stock(tech)
    assert everything and all(isinstance(s.quantity, float) for s in everything)
    word = everything[0].part.name.split()[0]
    found = stock_service.van_stock(tech, word)
    assert found and all(
        word.lower() in s.part.name.lower() or word.lower() in s.part.reference.lower()
        for s in found
    )
    part = everything[0].part
    PlannedPart.create(intervention=job.id, part=part.id, quantity=3)
    assert (part.id, 3) in [(p.id, q) for p, q in stock_service.planned(job.id, tech)]
    earlier = (
        Intervention.select()
        .where((Intervention.site == job.site_id) & (Intervention.id != job.id))
        .first()
    )
    PartUsage.create(
        intervention=earlier.id, part=part.id, technician=tech.technician_id, quantity=2,
        recorded_at=NOW - timedelta(days=90),
    )  # fmt: skip
    before = {p.id: q for p, q, _ in stock_service.used_before(job.id, tech)}
    assert before[part.id] >= 2
