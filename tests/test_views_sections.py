"""The intervention's sections without a browser: procedure, meters, parts, history.

Each test builds a ``DetailContext`` by hand (notifications recorded, ``changed()`` counted),
shows one section on a client-less page, acts through its test ids and checks the database.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import flet as ft
import pytest
from field_support import NOW, as_user
from flet_harness import FletHarness, layout_faults, walk

from app.i18n import Translator
from app.models import (
    ChecklistAnswer,
    ChecklistItem,
    Intervention,
    Measurement,
    Meter,
    MeterReading,
    Part,
    PartUsage,
    PlannedPart,
    ProcedureStep,
    VanStockLine,
)
from app.models.enums import InterventionStatus, StockSource
from app.services import checklist_service, history_service, stock_service
from app.services.registry import Services
from app.views.detail import part_search
from app.views.detail.context import DetailContext
from app.views.detail.history import HistorySection
from app.views.detail.meters import MetersSection
from app.views.detail.parts import PartsSection
from app.views.detail.procedure import ProcedureSection


@dataclass
class Screen:
    harness: FletHarness
    section: object
    notes: list[tuple[str, bool]] = field(default_factory=list)
    changes: list[int] = field(default_factory=lambda: [0])

    def errors(self) -> list[str]:
        return [text for text, is_error in self.notes if is_error]

    async def click_in_dialog(self, ident: str, dialog: ft.AlertDialog | None = None) -> None:
        dialog = dialog or self.section.dialog
        assert dialog is not None and dialog.open, "no dialog open"
        for control in walk(dialog):
            if isinstance(control, ft.Semantics) and control.identifier == ident:
                await self.harness.fire(control.content, "click")
                return
        raise AssertionError(f"{ident!r} not in the dialog")


async def show(section_class, job: Intervention, who) -> Screen:
    screen = Screen(harness=None, section=None)

    async def changed() -> None:
        screen.changes[0] += 1

    ctx = DetailContext(
        services=Services(clock=lambda: NOW),
        who=who,
        tr=Translator("fr"),
        intervention_id=job.id,
        notify=lambda text, is_error: screen.notes.append((text, is_error)),
        on_changed=changed,
    )
    screen.section = section_class(ctx)

    async def main(page: ft.Page) -> None:
        page.add(screen.section.build())
        await screen.section.load()

    screen.harness = await FletHarness.start(main, width=390)
    return screen


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def tech(demo_db):
    return as_user("tech1")


@pytest.fixture
def job(tech) -> Intervention:
    """tech1's first job whose procedure reads a meter of its equipment and has planned parts,
    in progress, with nothing answered yet."""
    for row in (
        Intervention.select()
        .where(Intervention.technician == tech.technician_id)
        .where(Intervention.procedure.is_null(False))
        .order_by(Intervention.scheduled_start.desc())
    ):
        meters = {m.name for m in Meter.select().where(Meter.equipment == row.equipment_id)}
        names = {i.meter_name for i in _items(row, "meter")}
        planned = PlannedPart.select().where(PlannedPart.intervention == row.id).exists()
        if names & meters and planned:
            break
    row.status = InterventionStatus.IN_PROGRESS
    row.save()
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == row.id).execute()
    Measurement.delete().where(Measurement.intervention == row.id).execute()
    MeterReading.delete().where(MeterReading.intervention == row.id).execute()
    return row


def _items(job, kind):
    return list(
        ChecklistItem.select(ChecklistItem, ProcedureStep)
        .join(ProcedureStep)
        .where((ProcedureStep.procedure == job.procedure_id) & (ChecklistItem.kind == kind))
        .order_by(ProcedureStep.position, ChecklistItem.position)
    )


def _ident(item) -> str:
    return f"item-{item.step.position}-{item.position}"


def _answer(job, item):
    return ChecklistAnswer.get_or_none(
        (ChecklistAnswer.intervention == job.id) & (ChecklistAnswer.item == item.id)
    )


# -- procedure -----------------------------------------------------------------------------


def test_procedure_shows_steps_in_order_with_explanations_and_progress(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        total = checklist_service.checklist(job.id, tech).total
        assert f"0 / {total}" in h.text("procedure-progress")
        steps = list(ProcedureStep.select().where(ProcedureStep.procedure == job.procedure_id))
        assert sorted(h.ids("step-")) == sorted(f"step-{s.position}" for s in steps)
        first = min(steps, key=lambda s: s.position)
        assert first.explanation in h.text(f"step-{first.position}")
        photo = _items(job, "photo")[0]
        assert "Choisir une photo" in h.text(_ident(photo))  # test_views_photo_item.py
        numeric = next(i for i in _items(job, "numeric") if i.min_value is not None)
        assert "Tolérance : " in h.text(f"{_ident(numeric)}-hint")
        h.close()

    run(scenario())


def test_answering_each_kind_of_item_saves_it(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        check, yes_no = _items(job, "check")[0], _items(job, "yes_no_na")[0]
        choice, text = _items(job, "choice")[0], _items(job, "text")[0]
        numeric = next(i for i in _items(job, "numeric") if i.min_value is not None)

        box = h.find(_ident(check))
        box.value = True
        await h.fire(box, "change", True)
        await h.select_segment(_ident(yes_no), "no")
        chip = h.find(f"{_ident(choice)}-opt-2")
        chip.selected = True
        await h.fire(chip, "select", True)
        await h.fill(_ident(text), "Joint de trappe à prévoir")
        await h.click(f"{_ident(text)}-save")
        inside = (numeric.min_value + numeric.max_value) / 2
        await h.fill(_ident(numeric), f"{inside:g}".replace(".", ","))
        await h.submit(_ident(numeric))  # Enter saves too

        segments = h.find(_ident(yes_no))  # a second tap on "no" (gloves) empties the selection
        segments.selected = []
        await h.fire(segments, "change", [])
        assert segments.selected == ["no"]  # ... and the answer stays

        assert _answer(job, check).value_text == "done"
        assert _answer(job, yes_no).value_text == "no"
        assert _answer(job, choice).value_text == choice.choices[1]
        assert _answer(job, text).value_text == "Joint de trappe à prévoir"
        assert _answer(job, numeric).value_number == pytest.approx(inside)
        assert not _answer(job, numeric).out_of_tolerance
        for item in (check, yes_no, choice, text, numeric):
            assert h.has(f"{_ident(item)}-saved"), item.label
        total = checklist_service.checklist(job.id, tech).total
        assert f"5 / {total}" in h.text("procedure-progress")
        # answers do not reload the rest of the screen (only meter readings do: the header
        # shows the meters), so the focus never moves under the technician's fingers
        assert not screen.errors() and screen.changes[0] == 0

        box.value = False  # unticking clears the answer
        await h.fire(box, "change", False)
        assert _answer(job, check).value_text is None
        h.close()

    run(scenario())


def test_a_text_answer_has_the_whole_width_and_save_only_while_unsaved(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        ident = _ident(_items(job, "text")[0])
        field, save = h.find_tagged(ident), h.find(f"{ident}-save")
        beside = [
            row for row in walk(screen.section.build())
            if isinstance(row, ft.Row) and field in row.controls
        ]  # fmt: skip
        assert beside == []  # not squeezed next to the button (a phone is 390 px wide)
        assert save.disabled  # nothing typed yet
        await h.fill(ident, "Joint de trappe à prévoir")
        assert not save.disabled
        await h.click(f"{ident}-save")
        assert h.has(f"{ident}-saved") and save.disabled  # saved: nothing more to save
        await h.fill(ident, "Joint de trappe à prévoir ")  # the same once trimmed
        assert save.disabled
        await h.fill(ident, "Joint de trappe changé")
        assert not save.disabled
        h.close()

    run(scenario())


def test_out_of_tolerance_value_is_flagged_and_needs_a_comment(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        item = next(i for i in _items(job, "numeric") if i.max_value is not None)
        ident = _ident(item)
        assert not h.has(f"{ident}-flag") and not h.has(f"{ident}-comment")
        too_high = item.max_value + 0.5
        await h.fill(ident, f"{too_high:g}".replace(".", ","))
        await h.click(f"{ident}-save")
        assert _answer(job, item).out_of_tolerance
        assert "Hors tolérance" in h.text(f"{ident}-flag")
        assert h.find(f"{ident}-comment").error  # required: shown in red until written
        missing = checklist_service.checklist(job.id, tech).missing()
        assert any(item.label in m and "comment" in m for m in missing)

        await h.fill(f"{ident}-comment", "Vase d'expansion à regonfler")
        await h.click(f"{ident}-comment-save")
        assert _answer(job, item).comment == "Vase d'expansion à regonfler"
        assert not h.find(f"{ident}-comment").error
        missing = checklist_service.checklist(job.id, tech).missing()
        assert not any(item.label in m for m in missing)
        h.close()

    run(scenario())


def test_a_bad_number_shows_the_french_error_and_saves_nothing(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        item = _items(job, "numeric")[0]
        await h.fill(_ident(item), "1,5 bar")
        await h.click(f"{_ident(item)}-save")
        assert _answer(job, item) is None
        assert "n'est pas un nombre" in h.find(_ident(item)).error
        assert any("virgule" in e for e in screen.errors())  # with what to do
        assert h.find(_ident(item)).value == "1,5 bar"  # the input stays for correction
        assert not h.has(f"{_ident(item)}-saved")
        h.close()

    run(scenario())


def test_a_lower_meter_reading_asks_if_the_counter_was_replaced(job, tech):
    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        item = _items(job, "meter")[0]
        meter = Meter.get(Meter.equipment == job.equipment_id, Meter.name == item.meter_name)
        last = (
            MeterReading.select()
            .where(MeterReading.meter == meter.id)
            .order_by(MeterReading.read_at.desc())
            .first()
        )
        assert "Dernier relevé" in h.text(f"{_ident(item)}-hint")
        await h.fill(_ident(item), "12")
        await h.click(f"{_ident(item)}-save")
        assert _answer(job, item) is None and screen.section.dialog.open
        assert "Compteur remplacé ?" in screen.section.dialog.title.value
        await screen.click_in_dialog("meter-confirm-replaced")
        reading = MeterReading.get(
            (MeterReading.intervention == job.id) & (MeterReading.meter == meter.id)
        )
        assert reading.value == 12 and reading.counter_replaced and last.value > 12
        assert _answer(job, item).value_number == 12
        assert h.has(f"{_ident(item)}-saved") and not screen.section.dialog.open
        h.close()

    run(scenario())


# -- meters and measurements -----------------------------------------------------------------


def test_meters_show_last_value_and_record_readings_with_confirmation(job, tech):
    async def scenario():
        numeric = next(i for i in _items(job, "numeric") if i.max_value is not None)
        checklist_service.answer(job.id, numeric.id, numeric.max_value + 1, tech, NOW)
        screen = await show(MetersSection, job, tech)
        h = screen.harness
        meters = list(Meter.select().where(Meter.equipment == job.equipment_id))
        meter = meters[0]
        ident = "meter-" + meter.name.lower().replace(" ", "-").replace("é", "e").replace("É", "e")
        assert h.has(ident) and h.has(f"{ident}-save")
        assert "Dernier relevé" in h.text(f"{ident}-last")
        assert numeric.label in h.text("measurement-1")
        assert "Hors tolérance" in h.text("measurement-1")

        last = MeterReading.select().where(MeterReading.meter == meter.id)
        higher = max(r.value for r in last) + 100
        await h.fill(ident, f"{higher:g}")
        await h.click(f"{ident}-save")
        reading = MeterReading.get(
            MeterReading.intervention == job.id, MeterReading.meter == meter.id
        )
        assert reading.value == higher and not reading.counter_replaced
        assert h.has(f"{ident}-current") and screen.changes[0] == 1

        await h.fill(ident, "3")  # lower than the last one before this visit
        await h.click(f"{ident}-save")
        assert MeterReading.get_by_id(reading.id).value == higher
        await screen.click_in_dialog("meter-confirm-replaced")
        reading = MeterReading.get_by_id(reading.id)
        assert reading.value == 3 and reading.counter_replaced
        assert "compteur remplacé" in h.text(f"{ident}-current")
        h.close()

    run(scenario())


# -- parts ---------------------------------------------------------------------------------


def _stock(tech, part_id) -> float:
    return VanStockLine.get(
        (VanStockLine.technician == tech.technician_id) & (VanStockLine.part == part_id)
    ).quantity


def test_using_a_part_takes_it_from_the_van_and_returning_puts_it_back(job, tech):
    async def scenario():
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        planned = stock_service.planned(job.id, tech)
        assert planned[0][0].name in h.text("parts-planned")
        line = next(
            s for s in stock_service.van_stock(tech)
            if s.quantity >= 2 and not s.part.has_serial and not s.part.fractional
        )  # fmt: skip
        ref, before = line.part.reference, line.quantity
        await h.fill("parts-search", ref)
        assert h.ids("part-") and all(ref in i for i in h.ids("part-use-"))
        await h.fill(f"part-qty-{ref}", "2")
        await h.click(f"part-use-{ref}")
        assert _stock(tech, line.part.id) == before - 2
        assert f"En stock : {before - 2:g}" in h.text(f"part-{ref}")  # the list shows it
        assert line.part.name in h.text("usage-1") and screen.changes[0] == 1

        await h.click("usage-return-1")
        assert screen.section.dialog.open
        await screen.click_in_dialog("usage-return-confirm")  # all of it, by default
        assert _stock(tech, line.part.id) == before
        assert not h.has("usage-return-1")  # nothing left to return
        h.close()

    run(scenario())


def test_a_double_tap_on_use_records_one_usage(job, tech, monkeypatch):
    async def scenario():
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        line = next(
            s for s in stock_service.van_stock(tech) if s.quantity >= 3 and not s.part.has_serial
        )
        ref, before = line.part.reference, line.quantity
        await h.fill("parts-search", ref)
        button = h.find(f"part-use-{ref}")
        for _tap in range(2):  # two taps before the first one is answered
            await h.session.dispatch_event(button._i, "click", None)
        await h.settle()
        await h.click(f"part-use-{ref}")  # and a third right after it
        usages = PartUsage.select().where(PartUsage.intervention == job.id)
        assert usages.count() == 1 and _stock(tech, line.part.id) == before - 1
        assert h.has("usage-1") and not h.has("usage-2")

        monkeypatch.setattr(part_search, "DOUBLE_TAP", 0.0)  # a deliberate tap, later on
        await h.click(f"part-use-{ref}")
        assert usages.count() == 2 and _stock(tech, line.part.id) == before - 2
        h.close()

    run(scenario())


def test_more_than_the_van_holds_can_be_taken_elsewhere(job, tech):
    async def scenario():
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        plain = [s for s in stock_service.van_stock(tech) if not s.part.has_serial]
        line = next(s for s in plain if not s.part.fractional and not s.empty)  # 0: see below
        ref, before = line.part.reference, line.quantity
        await h.fill("parts-search", ref)
        await h.fill(f"part-qty-{ref}", f"{before + 3:g}")
        await h.click(f"part-use-{ref}")
        assert not PartUsage.select().where(PartUsage.intervention == job.id).exists()
        dialog = screen.section.search.dialog
        assert dialog.open and "Seulement" in dialog.content.value  # what the van holds
        await screen.click_in_dialog("part-elsewhere-confirm", dialog)
        usage = PartUsage.get(PartUsage.intervention == job.id)
        assert usage.source == StockSource.ELSEWHERE and usage.quantity == before + 3
        assert _stock(tech, line.part.id) == before  # the van is untouched
        assert "pris ailleurs" in h.text("usage-1")
        h.close()

    run(scenario())


def test_a_serial_numbered_part_needs_its_serial(job, tech):
    async def scenario():
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        line = next(
            s for s in stock_service.van_stock(tech) if s.part.has_serial and s.quantity >= 1
        )
        ref = line.part.reference
        await h.fill("parts-search", ref)
        await h.click(f"part-use-{ref}")
        assert "numéro de série" in h.find(f"part-serial-{ref}").error
        await h.fill(f"part-serial-{ref}", "SN-0042")
        await h.click(f"part-use-{ref}")
        assert PartUsage.get(PartUsage.intervention == job.id).serial_number == "SN-0042"
        h.close()

    run(scenario())


def test_a_serial_numbered_part_card_can_be_laid_out(job, tech):
    async def scenario():
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        ref = "CIR-001"  # Circulateur Grundfos Alpha2 25-40, tracked by serial number
        if not any(s.part.reference == ref for s in stock_service.van_stock(tech)):
            ref = next(s.part.reference for s in stock_service.van_stock(tech) if s.part.has_serial)
        await h.fill("parts-search", ref)
        assert layout_faults(h.find(f"part-{ref}")) == []
        assert h.has(f"part-serial-{ref}") and h.has(f"part-use-{ref}")
        h.close()

    run(scenario())


def test_a_part_at_zero_says_what_use_does_and_records_it_from_elsewhere(job, tech):
    async def scenario():
        line = VanStockLine.get(
            (VanStockLine.technician == tech.technician_id)
            & (VanStockLine.part.in_(Part.select(Part.id).where(~Part.has_serial)))
        )
        line.quantity, line.minimum = 0, 1
        line.save()
        ref = line.part.reference
        screen = await show(PartsSection, job, tech)
        h = screen.harness
        await h.fill("parts-search", ref)
        assert "reste à 0" in h.text(f"part-empty-{ref}")
        assert "à commander" in h.text(f"part-empty-{ref}")
        await h.click(f"part-use-{ref}")
        dialog = screen.section.search.dialog
        assert dialog is None or not dialog.open  # it was said before the tap
        usage = PartUsage.get(PartUsage.intervention == job.id)
        assert usage.source == StockSource.ELSEWHERE and _stock(tech, line.part_id) == 0
        assert "pris ailleurs" in h.text("usage-1")
        h.close()

    run(scenario())


# -- history -------------------------------------------------------------------------------


def test_history_lists_site_and_equipment_visits_and_draws_the_trend(job, tech):
    async def scenario():
        screen = await show(HistorySection, job, tech)
        h = screen.harness
        site = history_service.site_history(job.id, tech)
        assert site and sorted(h.ids("history-visit-")) == sorted(
            f"history-visit-{v.reference}" for v in site
        )
        first = site[0]
        card = h.text(f"history-visit-{first.reference}")
        assert first.date.strftime("%d/%m/%Y") in card and first.type_label in card
        with_parts = next((v for v in site if v.parts), None)
        if with_parts:
            assert with_parts.parts[0][0] in h.text(f"history-visit-{with_parts.reference}")

        await h.select_segment("history-switch", "equipment")
        equipment = history_service.equipment_history(job.id, tech)
        assert len(h.ids("history-visit-")) == len(equipment)

        labels = history_service.measured_labels(job.id, tech)
        points = history_service.trend(job.id, labels[0], tech)
        assert len(h.ids("trend-point-")) == len(points) > 1
        dropdown = h.find("history-trend-label")
        dropdown.value = labels[-1]
        await h.fire(dropdown, "select", labels[-1])
        points = history_service.trend(job.id, labels[-1], tech)
        assert len(h.ids("trend-point-")) == len(points)
        assert "min" in h.text("history-trend")
        h.close()

    run(scenario())
