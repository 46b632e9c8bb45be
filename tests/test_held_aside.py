"""Signed PDFs held aside, shown to the office: head office's list and "resolved" over its
office API (a real server), the device's service over a transport, and the office screens
(client-less): the count on the office home, "Documents mis de côté", the slip's warning."""

from __future__ import annotations

import asyncio
import hashlib
import types
from datetime import datetime

import pytest
from field_support import NOW
from flet_harness import FletHarness, layout_faults
from test_server_documents import _signed_on_device, server
from test_views_shell import sign_in

from app import clock
from app.errors import PermissionDeniedError, RemoteError, SyncError
from app.models import ReportVersion
from app.reports import pdf as report_pdf
from app.services import held_aside_service, validation_service
from app.services.auth_service import CurrentUser
from app.services.registry import Services
from app.sync.transport import HttpTransport
from app.views import build_app

__all__ = ["server"]  # fixture used here

OFFICE = CurrentUser(id="u-office", username="office", display_name="Bureau", role="office",
                     technician_id=None)  # fmt: skip
TECH = CurrentUser(id="u-tech", username="tech1", display_name="Tech", role="technician",
                   technician_id="t1")  # fmt: skip


def wire_item(**change) -> dict:
    return {"id": 7, "report_version_id": "v-1", "intervention_id": "job-1",
            "reference": "INT-0042", "technician": "Julien Morel", "kind": "visit_report",
            "version": 1, "expected_sha256": "a" * 64, "blob_sha256": "b" * 64,
            "reason": "the PDF received embeds content cccc, not the version's aaaa",
            "detected_at": "2026-03-10T09:15:00", "resolved": False, **change}  # fmt: skip


class FakeTransport:
    def __init__(self, items=None, fail: Exception | None = None) -> None:
        self.items = list(items or [])
        self.fail = fail
        self.resolved: list[int] = []

    def office_held_aside(self, *, include_resolved: bool = False) -> list[dict]:
        if self.fail:
            raise self.fail
        return [i for i in self.items if include_resolved or not i["resolved"]]

    def resolve_held_aside(self, held_id: int) -> dict:
        if self.fail:
            raise self.fail
        self.resolved.append(held_id)
        for item in self.items:
            if item["id"] == held_id:
                item["resolved"] = True
        return {"id": held_id, "resolved": True}


# --- the service --------------------------------------------------------------------------


def test_the_service_reads_head_offices_list_into_items_with_short_hashes():
    items = held_aside_service.held_aside(OFFICE, FakeTransport([wire_item()]))
    (item,) = items
    assert (item.id, item.reference, item.technician, item.version) == (
        7, "INT-0042", "Julien Morel", 1,
    )  # fmt: skip
    assert item.detected_at == datetime(2026, 3, 10, 9, 15)
    assert item.expected_short == "a" * 12 + "…" and item.received_short == "b" * 12 + "…"
    assert "embeds content" in item.reason
    assert held_aside_service.for_intervention(items, "job-1") == [item]
    assert held_aside_service.for_intervention(items, "job-2") == []
    assert held_aside_service.count(OFFICE, FakeTransport([wire_item()])) == 1


def test_without_head_office_the_list_is_not_available_never_empty():
    assert held_aside_service.held_aside(OFFICE, None) is None
    offline = FakeTransport(fail=SyncError("no network"))
    assert held_aside_service.held_aside(OFFICE, offline) is None
    assert held_aside_service.count(OFFICE, offline) is None
    with pytest.raises(SyncError) as err:
        held_aside_service.resolve(7, OFFICE, None)
    assert err.value.key == "error.held_aside.offline"


def test_a_technician_is_refused_the_list_and_resolving():
    with pytest.raises(PermissionDeniedError):
        held_aside_service.held_aside(TECH, FakeTransport([wire_item()]))
    transport = FakeTransport([wire_item()])
    with pytest.raises(PermissionDeniedError):
        held_aside_service.resolve(7, TECH, transport)
    assert transport.resolved == []


def test_resolving_asks_head_office():
    transport = FakeTransport([wire_item()])
    held_aside_service.resolve(7, OFFICE, transport)
    assert transport.resolved == [7]
    assert held_aside_service.held_aside(OFFICE, transport) == []


# --- head office's office API, through the device's transport -------------------------------


def _forged(version) -> bytes:
    customer = {**version.content["customer"], "name": "Un autre client"}
    with clock.frozen(NOW):
        forged = report_pdf.visit_report_pdf(dict(version.content, customer=customer))
    sha = hashlib.sha256(forged).hexdigest()
    ReportVersion.update(pdf_blob_sha256=sha).where(ReportVersion.id == version.id).execute()
    return forged


def test_head_office_lists_and_resolves_what_it_held_aside_for_the_office_only(server):
    version, _pdf = _signed_on_device("tech1")
    forged = _forged(version)
    sha = hashlib.sha256(forged).hexdigest()
    tech1, office = server.login("tech1"), server.login("office")
    assert tech1.put(f"/blobs/{sha}", forged).status_code == 201  # held aside on arrival

    assert tech1.get("/office/held-aside").status_code == 403
    assert tech1.post("/office/held-aside/1/resolve").status_code == 403
    assert office.get("/office/held-aside", params={"include_resolved": "x"}).status_code == 400

    transport = HttpTransport(server.base, office.token, retries=0)
    try:
        (item,) = held_aside_service.held_aside(OFFICE, transport)
        assert item.report_version_id == version.id
        assert item.intervention_id == version.intervention_id
        assert item.reference == version.content["reference"]
        assert item.technician  # the intervention's technician, by name
        assert item.expected_sha256 == version.content_sha256 and item.received_sha256 == sha
        assert "embeds content" in item.reason and item.detected_at is not None
        assert item.code == "held_aside.content_mismatch"  # what the office screen translates
        assert item.params["expected"] == version.content_sha256

        held_aside_service.resolve(item.id, OFFICE, transport)
        assert held_aside_service.held_aside(OFFICE, transport) == []
        everything = held_aside_service.held_aside(OFFICE, transport, include_resolved=True)
        assert [i.resolved for i in everything] == [True]
        with pytest.raises(RemoteError) as err:
            held_aside_service.resolve(987654, OFFICE, transport)
        assert err.value.status == 404
    finally:
        transport.close()
    assert office.post("/office/held-aside/abc/resolve").status_code == 404
    assert office.post("/office/held-aside/¹/resolve").status_code == 404


# --- the office screens (client-less) -------------------------------------------------------


def run(coro):
    return asyncio.run(coro)


def services_with(transport: FakeTransport | None) -> Services:
    """The real service, handed the fake transport (what the session would give it)."""
    service = types.SimpleNamespace(
        held_aside=lambda who, _t, **kw: held_aside_service.held_aside(who, transport, **kw),
        count=lambda who, _t: held_aside_service.count(who, transport),
        resolve=lambda held_id, who, _t: held_aside_service.resolve(held_id, who, transport),
        for_intervention=held_aside_service.for_intervention,
    )
    return Services(held_aside=service)


async def office_at(services: Services, route: str, width=1024, height=768) -> FletHarness:
    h = await FletHarness.start(build_app(services), width=width, height=height, route=route)
    await sign_in(h, "office", "demo")
    await h.settle()
    return h


def test_the_office_home_counts_the_documents_held_aside_and_opens_the_list(demo_db):
    coded = wire_item(code="held_aside.content_mismatch", params={"received": "cccc"})
    transport = FakeTransport([coded, wire_item(id=8, reference="INT-0043")])

    async def scenario():
        h = await office_at(services_with(transport), "/")
        assert "Documents mis de côté (2)" in h.text("office-open-held-aside")
        await h.click("office-open-held-aside")
        await h.settle()
        assert h.route == "/office/held-aside" and h.has("held-aside")
        assert h.ids("held-aside-item-") == ["held-aside-item-7", "held-aside-item-8"]
        text = h.text("held-aside-item-7")
        for words in ("INT-0042 — version 1", "Julien Morel", "10/03/2026 09:15",
                      "aaaaaaaaaaaa…", "bbbbbbbbbbbb…"):  # fmt: skip
            assert words in text, words
        assert h.text("held-aside-reason-7") == (
            "Motif : le PDF reçu contient un autre contenu que celui de la version signée"
        )
        assert "embeds content" in h.text("held-aside-reason-8")  # no code: head office's words
        assert "2 document(s)" in h.text("held-aside-count")
        assert not layout_faults(h.page)

        await h.click("held-aside-resolve-7")
        await h.settle()
        assert transport.resolved == [7]
        assert h.ids("held-aside-item-") == ["held-aside-item-8"]
        assert "INT-0042 : marqué comme traité" in h.text("held-aside-message")
        h.close()

    run(scenario())


def test_without_head_office_the_list_says_it_is_not_available(demo_db):
    async def scenario():
        h = await office_at(services_with(FakeTransport(fail=SyncError("down"))), "/")
        assert h.text("office-open-held-aside") == "Documents mis de côté"  # no count
        h.close()
        h = await office_at(services_with(None), "/office/held-aside", width=390, height=844)
        assert "non disponible" in h.text("held-aside-count")
        assert h.ids("held-aside-item-") == []
        assert not layout_faults(h.page)
        h.close()

    run(scenario())


def test_a_failed_resolve_says_why_and_keeps_the_item(demo_db):
    transport = FakeTransport([wire_item()])

    async def scenario():
        h = await office_at(services_with(transport), "/office/held-aside")
        transport.fail = SyncError("down", key="error.held_aside.offline")
        await h.click("held-aside-resolve-7")
        await h.settle()
        assert "injoignable" in h.text("held-aside-message")
        assert h.ids("held-aside-item-") == ["held-aside-item-7"]
        h.close()

    run(scenario())


def test_the_slip_says_its_signed_pdf_was_held_aside(demo_db):
    from test_office_validation import user

    item = next(i for i in validation_service.queue(user("office")) if i.signed)
    transport = FakeTransport([wire_item(intervention_id=item.intervention_id,
                                         code="held_aside.not_pdf", params={})])  # fmt: skip

    async def scenario():
        h = await office_at(services_with(transport), f"/office/validation/{item.intervention_id}")
        assert h.has("slip-held-aside")
        text = h.text("slip-held-aside")
        assert "mis de côté le 10/03/2026 09:15" in text
        assert "Motif : le fichier reçu n'est pas un PDF" in text
        await h.click("slip-held-aside-list")
        await h.settle()
        assert h.route == "/office/held-aside"
        h.close()
        other = FakeTransport([wire_item(intervention_id="another-job")])
        h = await office_at(services_with(other), f"/office/validation/{item.intervention_id}")
        assert h.has("slip-validation") and not h.has("slip-held-aside")
        h.close()

    run(scenario())
