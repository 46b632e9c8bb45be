"""The visit report draft: its content, ticks kept, texts going back to the records."""

from __future__ import annotations

import hashlib
import json

import pytest
from field_support import NOW, a_job, as_user
from report_support import INTERNAL, VISIBLE, filled_job

from app import clock
from app.errors import PermissionDeniedError, ValidationError
from app.models import Comment, Intervention, ReportVersion
from app.models.enums import InterventionStatus as S
from app.reports.canonical import canonical_bytes
from app.services import report_service
from app.services.report_service import LockedLineError, ReportLineError


@pytest.fixture
def filled(demo_db):
    with clock.frozen(NOW):
        yield filled_job()


def test_the_draft_holds_what_the_technician_entered(filled):
    job, tech, flagged = filled
    content = report_service.draft(job.id, tech).content
    assert content["schema"] == "terrain.report/1" and content["reference"] == job.reference
    assert content["company"]["siret"] and len(content["company"]["siret"]) == 14
    assert content["company"]["vat_number"].startswith("FR")
    assert content["customer"]["name"] == job.customer.name
    assert content["site"]["city"] == job.site.city
    assert content["equipment"]["serial_number"] == job.equipment.serial_number
    assert content["technician"]["name"] == tech.display_name
    steps = content["procedure"]["steps"]
    assert steps and all(s["explanation"] for s in steps)
    items = [i for s in steps for i in s["items"]]
    assert all(i["included"] for i in items)
    assert sum(i["answered"] for i in items) >= len(items) - 2  # photo items wait for media
    flagged_line = next(i for i in items if i["id"] == f"item:{flagged.id}")
    assert flagged_line["out_of_tolerance"] and flagged_line["answer"]["comment"]
    out = [m for m in content["measurements"] if m["out_of_tolerance"]]
    assert [m["status"] for m in out] == ["high"]
    assert all(m["status"] == "ok" for m in content["measurements"] if m not in out)
    assert content["meter_readings"] and all(
        r["value"] > (r["previous_value"] or 0) for r in content["meter_readings"]
    )
    work = {w["field"]: w["text"] for w in content["work"]}
    assert work["diagnosis"] == "Brûleur encrassé, électrodes usées."
    assert content["time"]["work_minutes"] == 95
    assert [p["quantity"] for p in content["parts"]] == [2]
    assert content["photos"] == []  # until the media issue
    assert [c["body"] for c in content["comments"]] == [VISIBLE]


def test_internal_comments_never_reach_the_draft_nor_its_stored_version(filled):
    job, tech, _ = filled
    result = report_service.draft(job.id, tech)
    for blob in (
        json.dumps(result.content, ensure_ascii=False),
        canonical_bytes(result.final).decode(),
        ReportVersion.get_by_id(result.version.id).content
        and json.dumps(ReportVersion.get_by_id(result.version.id).content, ensure_ascii=False),
    ):
        assert VISIBLE in blob
        assert INTERNAL not in blob and "SECRET-42" not in blob
    internal = Comment.get(Comment.body == INTERNAL)
    with pytest.raises(ReportLineError):
        report_service.set_included(job.id, f"comment:{internal.id}", True, tech)
    with pytest.raises(ReportLineError) as err:
        report_service.correct_text(job.id, f"comment:{internal.id}", "x", tech)
    assert err.value.key == "error.report.no_line"  # the same answer as for no comment at all
    assert Comment.get_by_id(internal.id).body == INTERNAL


def test_one_draft_version_is_reused_and_unticked_lines_stay_unticked(filled):
    job, tech, _ = filled
    first = report_service.draft(job.id, tech)
    assert (first.version.version, first.version.status) == (1, "draft")
    part_line = first.content["parts"][0]["id"]
    report_service.set_included(job.id, part_line, False, tech)
    again = report_service.draft(job.id, tech)
    assert again.version.id == first.version.id
    assert ReportVersion.select().where(ReportVersion.intervention == job.id).count() == 1
    assert report_service.find_line(again.content, part_line)["included"] is False
    assert again.final["parts"] == [] and again.final["totals"]["net_cents"] == 0
    report_service.set_included(job.id, part_line, True, tech)
    assert report_service.draft(job.id, tech).final["parts"][0]["quantity"] == 2


def test_unticked_checklist_items_leave_the_final_content(filled):
    job, tech, _ = filled
    content = report_service.draft(job.id, tech).content
    step = content["procedure"]["steps"][0]
    for item in step["items"]:
        if not item["out_of_tolerance"]:
            report_service.set_included(job.id, item["id"], False, tech)
    final = report_service.draft(job.id, tech).final
    kept = {i["id"] for s in final["procedure"]["steps"] for i in s["items"]}
    assert not kept & {i["id"] for i in step["items"] if not i["out_of_tolerance"]}
    assert all("included" not in i for s in final["procedure"]["steps"] for i in s["items"])


def test_a_value_out_of_tolerance_cannot_be_left_out(filled):
    job, tech, flagged = filled
    with pytest.raises(LockedLineError) as err:
        report_service.set_included(job.id, f"item:{flagged.id}", False, tech)
    assert err.value.key == "error.report.line_locked"
    content = report_service.draft(job.id, tech).content
    measurement = next(m for m in content["measurements"] if m["out_of_tolerance"])
    with pytest.raises(LockedLineError):
        report_service.set_included(job.id, measurement["id"], False, tech)
    with pytest.raises(ReportLineError):
        report_service.set_included(job.id, "part:nope", False, tech)


def test_text_corrections_go_back_to_the_records(filled):
    job, tech, flagged = filled
    result = report_service.correct_text(job.id, "work:diagnosis", "Électrodes usées.", tech)
    assert Intervention.get_by_id(job.id).diagnosis == "Électrodes usées."
    assert report_service.find_line(result.content, "work:diagnosis")["text"] == "Électrodes usées."
    report_service.correct_text(job.id, f"item:{flagged.id}", "Pression basse, regonflé.", tech)
    content = report_service.draft(job.id, tech).content
    measurement = next(m for m in content["measurements"] if m["out_of_tolerance"])
    assert measurement["comment"] == "Pression basse, regonflé."
    report_service.correct_text(job.id, measurement["id"], "Regonflé à 1,5 bar.", tech)
    visible = content["comments"][0]
    result = report_service.correct_text(job.id, visible["id"], "Purger les radiateurs.", tech)
    assert [c["body"] for c in result.content["comments"]] == ["Purger les radiateurs."]
    assert report_service.find_line(result.content, measurement["id"])["comment"] == (
        "Regonflé à 1,5 bar."
    )
    with pytest.raises(ReportLineError) as err:
        report_service.correct_text(job.id, "time", "3 h", tech)
    assert err.value.key == "error.report.not_editable"


def test_the_draft_follows_the_intervention_rules(filled):
    job, tech, _ = filled
    with pytest.raises(PermissionDeniedError):
        report_service.draft(job.id, as_user("tech2"))
    Intervention.update(status=S.SIGNED).where(Intervention.id == job.id).execute()
    with pytest.raises(ValidationError, match="can no longer change"):
        report_service.draft(job.id, tech)


def test_a_new_draft_after_a_signed_version_gets_the_next_number(filled):
    job, tech, _ = filled
    first = report_service.draft(job.id, tech).version
    first.status = "signed"
    first.save()
    assert report_service.draft(job.id, tech).version.version == 2


def test_totals_of_chargeable_parts_in_cents(demo_db):
    lines = [
        {"covered_by_contract": False, "vat_rate_bp": 2000, "total_cents": 1999},
        {"covered_by_contract": False, "vat_rate_bp": 1000, "total_cents": 1005},
        {"covered_by_contract": False, "vat_rate_bp": 2000, "total_cents": 1},
        {"covered_by_contract": True, "vat_rate_bp": 2000, "total_cents": 5000},
    ]
    assert report_service.parts_totals(lines) == {
        "net_cents": 3005,
        "vat": [
            {"rate_bp": 1000, "base_cents": 1005, "vat_cents": 101},  # 100.5 -> half up
            {"rate_bp": 2000, "base_cents": 2000, "vat_cents": 400},
        ],
        "gross_cents": 3506,
    }


def test_an_empty_job_gives_a_draft_with_empty_sections(demo_db):
    tech = as_user("tech1")
    with clock.frozen(NOW):
        job = a_job(tech, S.IN_PROGRESS)
        content = report_service.draft(job.id, tech).final
    assert content["comments"] == [] and content["photos"] == []
    assert content["totals"] == {"net_cents": 0, "vat": [], "gross_cents": 0}


def test_photos_come_before_then_after_and_follow_ups_are_listed(filled):
    from datetime import date

    from app.models import Attachment, FollowUp

    job, tech, _ = filled
    for phase, caption in (("after", "Brûleur propre"), ("before", "Brûleur encrassé")):
        Attachment.create(
            intervention=job.id, kind="photo", phase=phase, source="camera",
            blob_sha256=hashlib.sha256(caption.encode()).hexdigest(), mime_type="image/jpeg",
            size_bytes=1000, caption=caption, taken_at=NOW,
        )  # fmt: skip
    FollowUp.create(
        intervention=job.id, kind="quote", description="Remplacement du vase d'expansion",
        due_date=date(2026, 4, 15),
    )  # fmt: skip
    content = report_service.draft(job.id, tech).content
    assert [(p["phase"], p["caption"]) for p in content["photos"]] == [
        ("before", "Brûleur encrassé"),
        ("after", "Brûleur propre"),
    ]
    [follow_up] = content["follow_ups"]
    assert follow_up == {
        "kind": "quote",
        "description": "Remplacement du vase d'expansion",
        "due_date": "2026-04-15",
    }
    report_service.set_included(job.id, content["photos"][1]["id"], False, tech)
    final = report_service.draft(job.id, tech).final
    assert [p["caption"] for p in final["photos"]] == ["Brûleur encrassé"]
