"""The office's queue "Bons à valider" and the slip validation screen, without a browser, on
the demo database (the office user signs in locally)."""

from __future__ import annotations

import asyncio

import flet as ft
from flet_harness import FletHarness, layout_faults
from test_views_shell import sign_in

from app.models import Intervention, ReportVersion
from app.services import validation_service
from app.services.registry import Services
from app.views import build_app

DEMO_PASSWORD = "demo"


def run(coro):
    return asyncio.run(coro)


async def office_at(route: str, width: float = 1024, height: float = 768) -> FletHarness:
    h = await FletHarness.start(build_app(Services()), width=width, height=height, route=route)
    await sign_in(h, "office", DEMO_PASSWORD)
    await h.settle()
    return h


def queue_items(h: FletHarness) -> list[str]:
    return [i for i in h.ids("validation-item-")]


def test_the_office_home_opens_the_queue_of_submitted_slips(demo_db):
    submitted = Intervention.live().where(Intervention.status == "submitted")

    async def scenario():
        h = await office_at("/")
        assert h.has("office-open-validation")
        assert f"({submitted.count()})" in h.text("office-open-validation")
        await h.click("office-open-validation")
        await h.settle()
        assert h.has("validation-queue") and h.route == "/office/validation"
        items = queue_items(h)
        assert len(items) == submitted.count()
        texts = " ".join(h.texts("validation-queue"))
        assert "Signé" in texts and "Non signé" in texts
        assert not layout_faults(h.page)
        h.close()

    run(scenario())


def test_a_slip_is_corrected_with_a_reason_then_validated(demo_db):
    office = validation_service.queue(_office())
    item = next(i for i in office if i.signed)

    async def scenario():
        h = await office_at(f"/office/validation/{item.intervention_id}")
        assert h.has("slip-validation")
        assert item.reference in h.text("slip-validation")
        assert h.has("evidence-image") and h.has("evidence-check")
        assert "correspond" in h.text("evidence-check")
        assert h.has("pdf-page-1") and h.has("pdf-open")  # pages rendered by pdftoppm
        assert "recomposé" in h.text("pdf-source")  # the demo's signed PDF is not on the device
        assert not layout_faults(h.page)

        await h.click("field-work-diagnosis-correct")
        await h.fill("correct-value", "Électrodes usées, remplacées")
        await h.click("correct-save")  # no reason: refused, the value stays typed
        await h.settle()
        assert "motif" in h.text("validation-message")
        assert h.find("correct-value").value == "Électrodes usées, remplacées"
        assert (
            ReportVersion.select().where(ReportVersion.intervention == item.intervention_id).count()
            == 1
        )

        await h.fill("correct-reason", "Le technicien a inversé deux pièces")
        await h.click("correct-save")
        await h.settle()
        assert "version 2" in h.text("validation-message")
        assert "Électrodes usées, remplacées" in h.text("field-work-diagnosis")
        assert "inversé deux pièces" in h.text("validation-corrections")

        await h.click("validation-validate")
        await h.settle()
        assert h.has("slip-validated") and "Bon validé" in h.text("validation-message")
        assert "siège" in h.text("validation-delivery")  # no head office here: not reachable
        assert Intervention.get_by_id(item.intervention_id).status == "validated"
        assert not h.has("validation-validate")
        h.close()

    run(scenario())


def test_an_unsigned_slip_says_so_and_the_phone_layout_has_no_fault(demo_db):
    item = next(i for i in validation_service.queue(_office()) if not i.signed)

    async def scenario():
        h = await office_at(f"/office/validation/{item.intervention_id}", width=390, height=844)
        assert "non signé" in h.text("validation-evidence").lower()
        slip = validation_service.slip(item.intervention_id, _office())
        outcome, reason = slip.missing  # the demo's unsigned slip has its record
        said = {
            "absent": "Non signé — client absent",
            "refused": "Non signé — le client a refusé de signer",
        }
        assert said[outcome] in h.text("slip-signed")  # which, on the first screen
        assert reason in h.text("slip-unsigned-reason")
        assert "absent ou a refusé" not in h.text("validation-evidence")  # not vague
        assert not layout_faults(h.page)
        h.close()

    run(scenario())


def test_a_technician_gets_no_validation_screen(demo_db):
    async def scenario():
        h = await FletHarness.start(build_app(Services()), route="/office/validation")
        await sign_in(h, "tech1", DEMO_PASSWORD)
        await h.settle()
        assert h.has("blocked-forbidden") and not h.has("validation-queue")
        h.close()

    run(scenario())


def _office():
    from test_office_validation import user

    return user("office")


def test_the_delivery_card_shows_each_state_with_the_smtp_error():
    from types import SimpleNamespace

    from flet_harness import walk

    from app.i18n import Translator
    from app.views.slip_panels import delivery_panel

    tr = Translator("fr")
    validated = SimpleNamespace(validated=True)

    def text(slip, deliveries):
        card = delivery_panel(tr, slip, deliveries, on_refresh=None)
        return " ".join(c.value for c in walk(card) if isinstance(c, ft.Text))

    error = "Recipient refused — a@b.fr: 550 5.1.1 mailbox unavailable"
    failed = {"state": "failed", "recipient": "a@b.fr", "attempts": 2, "last_error": error}
    assert "550 5.1.1 mailbox unavailable" in text(validated, [failed])
    assert "2 tentative(s)" in text(validated, [failed])
    sent = {"state": "sent", "recipient": "a@b.fr", "sent_at": "2026-03-11T10:05:00"}
    assert "Envoyé à a@b.fr le 11/03/2026 10:05" in text(validated, [sent])
    assert "Aucune adresse e-mail" in text(validated, [{"state": "no_recipient"}])
    assert "En attente" in text(validated, [{"state": "pending", "recipient": "a@b.fr"}])
    assert "pas joignable" in text(validated, None)  # offline: said, not guessed
    assert "Une fois validé" in text(SimpleNamespace(validated=False), None)
