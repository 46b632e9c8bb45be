"""The report screen, client mode, the signature pad, the missing-signature record and the
follow-up, without a browser (``flet_harness``) on the demo database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import flet as ft
import pytest
from field_support import NOW
from flet_harness import FletHarness, layout_faults
from report_support import INTERNAL, VISIBLE, filled_job

from app import clock
from app.models import FollowUp, Intervention, ReportVersion, Signature
from app.models.enums import InterventionStatus as S
from app.services.registry import Services
from app.views import build_app

PHONE, TABLET = 390, 1024


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def job(demo_db):
    with clock.frozen(NOW):
        job, tech, flagged = filled_job()
        yield job, tech, flagged


def no_faults(h: FletHarness) -> None:
    """Nothing the browser would paint as a grey or red box (hidden semantics content)."""
    faults = [f for view in h.page.views for f in layout_faults(view)]
    assert faults == [], [getattr(f, "identifier", f) for f in faults]


def work_done(job) -> None:
    Intervention.update(status=S.WORK_DONE).where(Intervention.id == job.id).execute()


async def report_of(job, tech, width: int = PHONE) -> FletHarness:
    h = await FletHarness.start(
        build_app(Services(clock=lambda: NOW)), width=width, route=f"/interventions/{job.id}/report"
    )
    h.page.data.state.sign_in(tech)
    await h.settle()
    assert h.has("report-checklist") or h.has("report-record"), h.ids()
    return h


async def pan(h: FletHarness, strokes: list[list[tuple[float, float]]], step_ms: int = 20) -> None:
    """Drag on the pad as a finger would: pan start, updates, end, per stroke."""
    detector = h.find("signature-pad").content.content
    t = 0
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        data = {"k": "touch", "l": {"x": x, "y": y}, "g": {"x": x, "y": y}, "ts": t * 1000}
        await h.fire(detector, "pan_start", data)
        for x, y in rest:
            t += step_ms
            data = {"l": {"x": x, "y": y}, "g": {"x": x, "y": y}, "ts": t * 1000}
            await h.fire(detector, "pan_update", data)
        await h.fire(
            detector,
            "pan_end",
            {"l": {"x": x, "y": y}, "g": {"x": x, "y": y}, "v": {"x": 0, "y": 0}},
        )
        t += 200


def scribble(width: float, height: float) -> list[list[tuple[float, float]]]:
    """A signature-like path across most of the pad, and an underline."""
    loop = [
        (width * (0.1 + 0.7 * i / 30), height * (0.5 + 0.3 * ((-1) ** i) * (i % 5) / 5))
        for i in range(31)
    ]
    underline = [(width * (0.1 + 0.03 * i), height * 0.85) for i in range(20)]
    return [loop, underline]


def test_the_report_is_a_checklist_with_a_locked_line_a_photo_slot_and_a_preview(job):
    job, tech, flagged = job

    async def scenario():
        h = await report_of(job, tech)
        assert h.has(f"line-item:{flagged.id}") and h.has(f"locked-item:{flagged.id}")
        assert h.find(f"tick-item:{flagged.id}").disabled  # out of tolerance: stays in
        assert h.has("report-photos-empty")
        no_faults(h)
        preview = h.text("report-preview")
        assert VISIBLE in preview and INTERNAL not in h.text() and "SECRET-42" not in h.text()
        assert h.find("report-present").disabled and h.has("report-not-ready")
        # untick the summary: gone from the preview, kept unticked in the draft
        summary = "Chaudière remise en service, combustion conforme."
        assert summary in preview
        tick = h.find("tick-work:summary")
        tick.value = False
        await h.fire(tick, "change", False)
        assert summary not in h.text("report-preview")
        draft = ReportVersion.get(ReportVersion.intervention == job.id)
        line = next(w for w in draft.content["work"] if w["id"] == "work:summary")
        assert line["included"] is False
        # correct the diagnosis: it goes back to the intervention
        await h.click("edit-work:diagnosis")
        await h.fill("edit-field-work:diagnosis", "Brûleur encrassé, électrodes remplacées.")
        await h.click("edit-save-work:diagnosis")
        assert (
            Intervention.get_by_id(job.id).diagnosis == "Brûleur encrassé, électrodes remplacées."
        )
        assert "électrodes remplacées" in h.text("report-preview")
        # the PDF, made in a job, handed to the platform (a download in the browser)
        await h.click("report-pdf")
        for _ in range(100):
            saves = [args for name, args in h.connection.invoked if name == "save_file"]
            if saves:
                break
            await asyncio.sleep(0.1)
            await h.settle()
        assert saves and saves[0]["file_name"] == f"{job.reference}-rapport-v1.pdf"
        assert bytes(saves[0]["src_bytes"]).startswith(b"%PDF")
        h.close()

    run(scenario())


def test_client_mode_is_locked_signs_with_the_pad_and_needs_the_password_to_leave(job):
    job, tech, _ = job
    work_done(job)

    async def scenario():
        h = await report_of(job, tech, TABLET)
        assert not h.find("report-present").disabled
        await h.click("report-present")
        assert h.has("client-mode") and h.route == f"/interventions/{job.id}/client"
        assert not h.has("nav-bar") and not h.has("nav-rail") and not h.has("detail-back")
        assert not h.has("shell")
        no_faults(h)
        assert h.text("client-amount") == h.text("preview-totals")  # the price, by the pad
        text = h.text("client-preview")
        assert VISIBLE in text and INTERNAL not in h.text() and "SECRET-42" not in h.text()
        # the address bar cannot take the client anywhere
        await h.go("/")
        assert h.has("client-mode") and h.route == f"/interventions/{job.id}/client"
        h.page.data.state.go_home()
        h.page.data.state.close_intervention()
        await h.settle()
        assert h.has("client-mode")
        # a tap is not a signature: refused, nothing stored
        await h.fill("client-signer-name", "Mme Durand")
        await h.fill("client-signer-role", "Cliente")
        await pan(h, [[(100, 50), (101, 51)]])
        await h.click("client-sign")
        assert "Trop peu de tracé" in h.text("client-error")
        assert Signature.select().where(Signature.intervention == job.id).count() == 0
        await h.click("client-clear")
        pad = h.page.data.client_mode.pad
        assert pad.strokes == [] and pad.canvas.shapes == []
        # the client signs by dragging
        await pan(h, scribble(pad.width, pad.height))
        assert len(pad.strokes) == 2 and len(pad.canvas.shapes) == 2
        assert all(len(p) == 3 for s in pad.strokes for p in s)
        assert pad.strokes[0][-1][2] > pad.strokes[0][0][2]  # time goes on within a stroke
        await h.fill("client-signer-name", "")
        await h.click("client-sign")
        assert "nom du signataire" in h.text("client-error").lower()
        await h.fill("client-signer-name", "Mme Durand")
        await h.click("client-sign")
        for _ in range(100):  # the job renders the PDF in a worker thread
            if h.has("client-signed"):
                break
            await asyncio.sleep(0.1)
            await h.settle()
        assert h.has("client-signed"), h.text()
        signature = Signature.get(Signature.intervention == job.id)
        assert signature.signer_name == "Mme Durand" and len(signature.strokes) == 2
        assert Intervention.get_by_id(job.id).status == S.SIGNED
        # leaving needs the technician's password
        await h.click("client-hand-back")
        await h.fill("client-password", "wrong")
        await h.click("client-unlock")
        assert "Mot de passe incorrect" in h.text("client-password-error")
        assert h.has("client-mode")
        await h.fill("client-password", "demo")
        await h.click("client-unlock")
        assert not h.has("client-mode") and h.has("report-record")
        assert h.route == f"/interventions/{job.id}/report"
        assert "Mme Durand" in h.text("report-record")
        assert h.has("follow-up-form")
        h.close()

    run(scenario())


def test_the_follow_up_is_entered_and_the_slip_submitted(job):
    job, tech, _ = job
    work_done(job)
    from report_support import signature_strokes

    from app.services import signing_service

    signing_service.sign(
        job.id, tech, strokes=signature_strokes(), signer_name="M. Martin", signer_role="Client"
    )

    async def scenario():
        h = await report_of(job, tech)
        no_faults(h)
        check = h.find("follow-kind-new_visit")
        check.value = True
        await h.fire(check, "change", True)
        assert h.has("follow-new_visit-date")
        no_faults(h)
        await h.fill("follow-new_visit-date", "01/01/2020")
        await h.select_segment("follow-new_visit-urgency", "urgent")
        await h.click("follow-save")
        assert "passée" in h.text("detail-notice")
        assert FollowUp.select().where(FollowUp.intervention == job.id).count() == 0
        date = (NOW + timedelta(days=10)).strftime("%d/%m/%Y")
        await h.fill("follow-new_visit-date", date)
        await h.fill("follow-new_visit-text", "Remplacer le vase d'expansion")
        check = h.find("follow-kind-parts_order")
        check.value = True
        await h.fire(check, "change", True)
        await h.fill("follow-part", "zzz-no-such-part")
        await h.click("follow-add-part")
        assert "introuvable" in h.text("follow-detail-parts_order")
        from app.models import Part

        part = Part.get((Part.fractional == False) & (Part.deleted == False))
        await h.fill("follow-part", part.reference)
        await h.fill("follow-quantity", "3")
        await h.click("follow-add-part")
        assert h.has("follow-line-0")
        await h.click("follow-save")
        rows = {r.kind: r for r in FollowUp.select().where(FollowUp.intervention == job.id)}
        assert set(rows) == {"new_visit", "parts_order"}
        assert rows["new_visit"].urgency == "urgent"
        assert rows["parts_order"].lines[0]["quantity"] == 3
        assert Intervention.get_by_id(job.id).status == S.SUBMITTED
        assert h.has("follow-recorded") and not h.has("follow-up-form")
        h.close()

    run(scenario())


def test_a_refusing_client_is_recorded_with_a_reason_and_the_slip_goes_unsigned(job):
    job, tech, _ = job
    work_done(job)

    async def scenario():
        h = await report_of(job, tech)
        assert not h.has("missing-form")
        await h.click("report-missing")
        assert h.has("missing-form")
        await h.click("missing-record")  # no reason
        assert "motif est obligatoire" in h.text("detail-notice").lower()
        assert Signature.select().where(Signature.intervention == job.id).count() == 0
        group = h.find("missing-outcome")
        group.value = "absent"
        await h.fire(group, "change", "absent")
        await h.fill("missing-reason", "Personne sur place à la fin des travaux")
        await h.click("missing-record")
        record = Signature.get(Signature.intervention == job.id)
        assert record.outcome == "absent" and record.strokes is None
        assert Intervention.get_by_id(job.id).status == S.SUBMITTED
        assert "Client absent" in h.text("report-record")
        assert h.has("follow-up-form")
        h.close()

    run(scenario())


def test_client_mode_by_its_address_and_for_a_job_not_done(job):
    job, tech, _ = job

    async def scenario():
        h = await FletHarness.start(
            build_app(Services(clock=lambda: NOW)),
            width=PHONE,
            route=f"/interventions/{job.id}/client",
        )
        h.page.data.state.sign_in(tech)
        await h.settle()
        assert h.has("client-mode") and not h.has("nav-bar")
        assert "pas déclarés terminés" in h.text("client-error")
        await h.click("client-leave")
        await h.fill("client-password", "demo")
        await h.click("client-unlock")
        assert not h.has("client-mode") and h.has("report-checklist")
        assert isinstance(h.find("report-present"), ft.FilledButton)
        h.close()

    run(scenario())


def test_client_mode_route_and_state_without_ui():
    from app.services.auth_service import CurrentUser
    from app.views import routes
    from app.views.state import AppState, Change

    location = routes.parse("/interventions/abc/client")
    assert location.place == routes.Place.CLIENT_MODE and location.intervention_id == "abc"
    assert routes.parse(location.path) == location
    assert routes.parse("/interventions/abc/clients").place == routes.Place.NOT_FOUND
    state, changes = AppState(), []
    state.subscribe(changes.append)
    state.sign_in(CurrentUser("u", "tech1", "Tech", "technician", "t"))
    state.open_intervention("abc")
    state.enter_client_mode()
    assert state.locked and state.location() == location and changes[-1] == Change.CLIENT_MODE
    seen = len(changes)
    for move in (
        lambda: state.navigate("/"),
        lambda: state.navigate("/interventions/other"),
        state.go_home,
        state.close_intervention,
        lambda: state.open_intervention("other"),
        lambda: state.select_detail_section("work"),
        lambda: state.go_to_index(1),
    ):
        move()
        assert state.locked and state.location() == location
    assert len(changes) == seen  # nothing moved
    state.leave_client_mode()
    assert not state.locked
    assert state.location() == routes.Location(
        routes.Place.INTERVENTION, intervention_id="abc", section="report"
    )


def test_the_report_lists_the_jobs_photos_and_says_which_are_annotated(job, tmp_path):
    from media_support import jpeg_with_orientation

    from app.media.blob_store import BlobStore
    from app.services import media_service

    job, tech, _flagged = job
    store = BlobStore(tmp_path / "blobs")
    [before] = media_service.import_files(
        job.id, [jpeg_with_orientation(tmp_path / "a.jpg", 1)], tech, store=store, phase="before"
    )
    media_service.update(before.attachment.id, tech, caption="Brûleur encrassé")
    arrow = {"kind": "arrow", "from": [0, 0], "to": [1, 1]}
    media_service.annotate(before.attachment.id, tech, {"shapes": [arrow]})

    async def scenario():
        h = await report_of(job, tech)
        assert not h.has("report-photos-empty")
        line = h.text(f"line-photo:{before.attachment.id}")
        assert "Brûleur encrassé" in line and "Avant" in line and "annotée" in line
        no_faults(h)
        h.close()

    with clock.frozen(NOW):
        run(scenario())
