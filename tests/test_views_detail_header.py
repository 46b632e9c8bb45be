"""The intervention screen's header without a browser: where the technician is going is on
the tablet's first screen (above the section list), and a reload (a meter reading in the
procedure) updates the header in place instead of replacing the controls under his finger."""

from __future__ import annotations

import asyncio

import pytest
from field_support import NOW, as_user
from flet_harness import FletHarness, walk

from app.models import (
    ChecklistAnswer,
    ChecklistItem,
    Intervention,
    Meter,
    MeterReading,
    ProcedureStep,
    Site,
)
from app.models.enums import InterventionStatus
from app.services.registry import Services
from app.views import build_app

PHONE, TABLET = 390, 1024
WHERE = ["detail-customer", "detail-address", "detail-contact", "detail-call", "detail-route"]


def run(coro):
    return asyncio.run(coro)


def _meter_items(job):
    return list(
        ChecklistItem.select(ChecklistItem, ProcedureStep)
        .join(ProcedureStep)
        .where((ProcedureStep.procedure == job.procedure_id) & (ChecklistItem.kind == "meter"))
        .order_by(ProcedureStep.position, ChecklistItem.position)
    )


@pytest.fixture
def tech(demo_db):
    return as_user("tech1")


@pytest.fixture
def job(tech) -> Intervention:
    """tech1's job whose procedure reads a meter of its equipment, in progress, nothing
    answered, its site with access notes."""
    for row in (
        Intervention.select()
        .where(Intervention.technician == tech.technician_id)
        .where(Intervention.procedure.is_null(False))
        .order_by(Intervention.scheduled_start.desc())
    ):
        meters = {m.name for m in Meter.select().where(Meter.equipment == row.equipment_id)}
        if {i.meter_name for i in _meter_items(row)} & meters:
            break
    row.status = InterventionStatus.IN_PROGRESS
    row.save()
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == row.id).execute()
    MeterReading.delete().where(MeterReading.intervention == row.id).execute()
    Site.update(access_notes="Badge à l'accueil, chaufferie au sous-sol").where(
        Site.id == row.site_id
    ).execute()
    return Intervention.get_by_id(row.id)


async def open_detail(job, width: int) -> FletHarness:
    h = await FletHarness.start(build_app(Services(clock=lambda: NOW)), width=width)
    state = h.page.data.state
    state.sign_in(as_user("tech1"))
    await h.settle()
    state.open_intervention(job.id)
    await h.settle()
    assert h.has("detail-reference"), h.ids()
    return h


def ids_under(h: FletHarness, ident: str) -> list[str]:
    return [
        c.identifier
        for c in walk(h.find_tagged(ident))
        if getattr(c, "identifier", None) and c.identifier != ident
    ]


def test_tablet_shows_where_he_is_going_above_the_section_list(job, tech):
    async def scenario():
        h = await open_detail(job, TABLET)
        left = ids_under(h, "detail-left")
        sections = left.index("detail-section-list")
        for ident in [*WHERE, "detail-access"]:
            assert ident in left and left.index(ident) < sections, (ident, left)
        assert left.index("detail-reference") < left.index("detail-customer")
        # the rest of the header (equipment, contract) comes after the sections
        assert left.index("detail-equipment") > sections
        assert "chaufferie au sous-sol" in h.text("detail-access")
        # phone: "Fiche" opens first, where he is going at its top, before the equipment
        await h.resize(PHONE, 844)
        await h.click("section-summary")
        fiche = ids_under(h, "detail-header")
        for ident in [*WHERE, "detail-access"]:
            assert fiche.index(ident) < fiche.index("detail-equipment"), (ident, fiche)
        h.close()

    run(scenario())


KEPT = ["detail-back", "detail-status", "detail-call", "detail-route", "action-work_done"]


@pytest.mark.parametrize("width", [TABLET, PHONE])
def test_a_meter_reading_in_the_procedure_updates_the_header_in_place(job, tech, width):
    item = _meter_items(job)[0]
    ident = f"item-{item.step.position}-{item.position}"
    meter = Meter.get(Meter.equipment == job.equipment_id, Meter.name == item.meter_name)
    last = (
        MeterReading.select()
        .where(MeterReading.meter == meter.id)
        .order_by(MeterReading.read_at.desc())
        .first()
    )
    new = int(last.value) + 7 if last else 7

    async def scenario():
        h = await open_detail(job, width)
        await h.click("section-procedure")
        if width == PHONE:  # the header's blocks are in "Fiche" on a phone: keep them too
            kept = KEPT[:2] + KEPT[-1:]
        else:
            kept = KEPT
        before = {i: h.find(i) for i in kept}
        meter_line = h.find("detail-meter-0") if width == TABLET else None
        old_button = before["action-work_done"]._i
        await h.fill(ident, str(new))
        await h.click(f"{ident}-save")
        reading = MeterReading.get(
            (MeterReading.intervention == job.id) & (MeterReading.meter == meter.id)
        )
        assert reading.value == new
        for i, control in before.items():
            assert h.find(i) is control, f"{i} was rebuilt by the reload"
        if meter_line is not None:  # the header's meter line shows the reading, in place
            assert h.find("detail-meter-0") is meter_line
            assert any(f"{new:,}".replace(",", "\u202f") in t for t in h.texts("detail-equipment"))
        # A tap the client sent to the button as it was before the reload reaches it: "Travaux
        # terminés" answers with what is still missing.
        await h.session.dispatch_event(old_button, "click", None)
        await h.settle()
        assert h.has("work-done-missing"), "the tap after the reading was lost"
        h.close()

    run(scenario())


def test_a_reading_in_mesures_keeps_the_other_meters_controls(job, tech):
    meters = list(Meter.select().where(Meter.equipment == job.equipment_id).order_by(Meter.name))

    async def scenario():
        h = await open_detail(job, TABLET)
        await h.click("section-meters")
        saves = [i for i in h.ids("meter-") if i.endswith("-save")]
        assert len(saves) == len(meters) >= 1, saves
        before = {i: h.find(i) for i in saves}
        first = saves[0].removesuffix("-save")
        last = h.text(f"{first}-last")
        await h.fill(first, "999999")
        await h.click(f"{first}-save")
        assert "999" in h.text(f"{first}-current")  # this visit's reading is shown
        assert h.text(f"{first}-last") == last
        for i, control in before.items():
            assert h.find(i) is control, f"{i} was rebuilt by the reload"
        h.close()

    run(scenario())
