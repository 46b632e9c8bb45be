"""The signing flow on the device: sign, record a missing signature, follow-up, leave client
mode. Each rule and each bad input: a typed error, nothing half-stored."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from field_support import NOW, as_user
from pypdf import PdfReader
from report_support import INTERNAL, filled_job, signature_strokes

from app import clock
from app.domain import lifecycle
from app.errors import AuthError, TerrainError, TransitionError, ValidationError
from app.media.blob_store import BlobStore
from app.models import FollowUp, Intervention, Part, ReportVersion, Signature
from app.models.enums import DocumentStatus, FollowUpKind, SignatureOutcome
from app.models.enums import InterventionStatus as S
from app.reports.canonical import content_sha256
from app.reports.signature import (
    EmptySignatureError,
    MalformedSignatureError,
    SignatureTooSmallError,
    SignerError,
)
from app.services import follow_up_service, lifecycle_service, report_service, signing_service
from app.services.follow_up_service import FollowUpError, FollowUpInput, PartLine
from app.services.signing_service import (
    AlreadySignedError,
    ContentChangedError,
    MissingReasonError,
    NotReadyError,
    SigningError,
)


@pytest.fixture
def done(demo_db, tmp_path):
    """tech1's job, filled in, work declared done; the device's blob store next to the db."""
    with clock.frozen(NOW):
        job, tech, _ = filled_job()
        Intervention.update(status=S.WORK_DONE).where(Intervention.id == job.id).execute()
        yield job, tech, BlobStore(tmp_path / "blobs")


def counts(job) -> tuple:
    return (
        Signature.select().where(Signature.intervention == job.id).count(),
        ReportVersion.select()
        .where(
            (ReportVersion.intervention == job.id) & (ReportVersion.status != DocumentStatus.DRAFT)
        )
        .count(),
        Intervention.get_by_id(job.id).status,
    )


def sign(job, tech, **kw):
    args = {"strokes": signature_strokes(), "signer_name": "Mme Durand", "signer_role": "Cliente"}
    return signing_service.sign(job.id, tech, **{**args, **kw})


def test_signing_stores_the_evidence_the_frozen_version_the_pdf_and_the_status(done):
    job, tech, blobs = done
    shown = signing_service.present(job.id, tech)
    result = sign(job, tech, shown_sha256=shown.sha256)
    signature = Signature.get_by_id(result.signature.id)
    version = ReportVersion.get_by_id(result.version.id)
    assert Intervention.get_by_id(job.id).status == S.SIGNED == result.intervention_status
    assert signature.outcome == SignatureOutcome.SIGNED and signature.reason == ""
    assert signature.signer_name == "Mme Durand" and signature.strokes
    assert signature.content_sha256 == shown.sha256 == version.content_sha256
    assert version.status == DocumentStatus.SIGNED
    assert version.content == shown.content and content_sha256(version.content) == shown.sha256
    assert "included" not in str(version.content)  # the final content, not the draft
    png = blobs.open(signature.image_blob_sha256).read()
    assert png.startswith(b"\x89PNG") and hashlib.sha256(png).hexdigest() == (
        signature.image_blob_sha256
    )
    pdf = blobs.open(version.pdf_blob_sha256).read()
    assert hashlib.sha256(pdf).hexdigest() == version.pdf_blob_sha256 == result.pdf_sha256
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Mme Durand" in text and "Bon pour accord" in text and shown.sha256 in text
    assert INTERNAL not in text and "SECRET-42" not in text


def test_signing_twice_or_after_a_refusal_is_refused(done):
    job, tech, _ = done
    sign(job, tech)
    before = counts(job)
    with pytest.raises(AlreadySignedError) as err:
        sign(job, tech)
    assert err.value.key == "error.signing.already"
    with pytest.raises(AlreadySignedError):
        signing_service.record_missing(job.id, tech, outcome="refused", reason="Refus")
    assert counts(job) == before == (1, 1, S.SIGNED)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"strokes": []}, EmptySignatureError),
        ({"strokes": [[[100, 100, 0]]]}, SignatureTooSmallError),  # a dot
        ({"strokes": [[[100, 100, 0], [101, 101, 20], [100, 101, 40]]]}, SignatureTooSmallError),
        ({"signer_name": "  "}, SignerError),
        ({"signer_role": ""}, SignerError),
        ({"shown_sha256": "0" * 64}, ContentChangedError),
    ],
    ids=["empty", "dot", "tap", "no-name", "no-role", "changed"],
)
def test_a_bad_signature_stores_nothing(done, change, error):
    job, tech, blobs = done
    with pytest.raises(error) as err:
        sign(job, tech, **change)
    assert isinstance(err.value, ValidationError) and err.value.hint
    assert counts(job) == (0, 0, S.WORK_DONE)
    assert not (blobs.root.exists() and any(blobs.root.rglob("*.*")))


@pytest.mark.parametrize("pad", [(20, 8), (600, 10), (10_000, 200)], ids=["tiny", "flat", "huge"])
def test_a_pad_size_no_screen_shows_is_refused_so_a_dot_cannot_look_big(done, pad):
    """A 20-pixel pad would make a dot a quarter of its width: the rule bounds the pad."""
    job, tech, _ = done
    strokes = [[[1, 1, 0], [1.5, 1.2, 100], [2, 1.5, 200]] * 4]
    with pytest.raises(MalformedSignatureError, match="signature box of 200 to 2400"):
        sign(job, tech, strokes=strokes, pad=pad)
    assert counts(job) == (0, 0, S.WORK_DONE)


def test_the_device_and_head_office_judge_a_signature_with_one_rule(done):
    """What the service refuses, the row rule head office applies refuses too (a dot), and
    the record the service stores passes it."""
    job, tech, _ = done
    with pytest.raises(SignatureTooSmallError) as err:
        sign(job, tech, strokes=[[[100, 100, 0]]])
    dot = {"outcome": "signed", "signer_name": "Mme Durand", "strokes": [[[100, 100, 0]]]}
    assert lifecycle.signature_record_refusal(dot) == (
        f"This signature cannot be accepted: {err.value.message}"
    )
    closed = sign(job, tech)
    row = Signature.select().where(Signature.id == closed.signature.id).dicts().get()
    assert lifecycle.signature_record_refusal(row) is None


def test_signing_needs_the_work_done(done):
    job, tech, _ = done
    Intervention.update(status=S.IN_PROGRESS).where(Intervention.id == job.id).execute()
    with pytest.raises(NotReadyError):
        sign(job, tech)
    with pytest.raises(NotReadyError):
        signing_service.present(job.id, tech)
    assert counts(job) == (0, 0, S.IN_PROGRESS)


def test_another_technician_cannot_sign(done):
    job, _, _ = done
    with pytest.raises(TerrainError) as err:
        sign(job, as_user("tech2"))
    assert err.value.key == "error.intervention.not_yours"
    assert counts(job) == (0, 0, S.WORK_DONE)


def test_a_failure_inside_the_transaction_leaves_nothing(done, monkeypatch):
    job, tech, _ = done

    def broken(*_a, **_k):
        raise TransitionError("boom", key="error.transition.refused")

    monkeypatch.setattr(lifecycle_service, "by_record", broken)
    with pytest.raises(TransitionError):
        sign(job, tech)
    assert counts(job) == (0, 0, S.WORK_DONE)
    assert ReportVersion.get(ReportVersion.intervention == job.id).status == DocumentStatus.DRAFT


def test_after_signing_the_report_and_the_records_are_frozen(done):
    job, tech, _ = done
    sign(job, tech)
    with pytest.raises(ValidationError) as err:
        report_service.draft(job.id, tech)
    assert err.value.key == "error.intervention.locked"
    for edit in (
        lambda: report_service.set_included(job.id, "work:summary", False, tech),
        lambda: report_service.correct_text(job.id, "work:summary", "Autre chose", tech),
    ):
        with pytest.raises(ValidationError):
            edit()
    state = signing_service.report_state(job.id, tech)
    assert state.frozen and not state.can_present and state.version.status == "signed"
    assert state.signature.signer_name == "Mme Durand"
    with pytest.raises(TransitionError):  # signed is made by the signature only, never by hand
        lifecycle_service.transition(job.id, S.IN_PROGRESS, tech, NOW)


@pytest.mark.parametrize("outcome", ["refused", "absent"])
def test_a_missing_signature_is_recorded_and_the_slip_goes_unsigned(done, outcome):
    job, tech, _ = done
    shown = signing_service.present(job.id, tech)
    result = signing_service.record_missing(
        job.id, tech, outcome=outcome, reason="Client parti avant la fin", shown_sha256=shown.sha256
    )
    record = Signature.get_by_id(result.signature.id)
    assert record.outcome == outcome and record.reason == "Client parti avant la fin"
    assert record.strokes is None and record.image_blob_sha256 is None
    assert record.content_sha256 == shown.sha256
    version = ReportVersion.get_by_id(result.version.id)
    assert version.status == DocumentStatus.SUBMITTED and version.content_sha256 == shown.sha256
    assert Intervention.get_by_id(job.id).status == S.SUBMITTED


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"outcome": "refused", "reason": " "}, MissingReasonError),
        ({"outcome": "refused", "reason": "x" * 501}, MissingReasonError),
        ({"outcome": "signed", "reason": "Refus"}, SigningError),
        ({"outcome": "bof", "reason": "Refus"}, SigningError),
    ],
)
def test_a_missing_signature_needs_its_outcome_and_reason(done, kw, error):
    job, tech, _ = done
    with pytest.raises(error):
        signing_service.record_missing(job.id, tech, **kw)
    assert counts(job) == (0, 0, S.WORK_DONE)


def test_the_unsigned_submission_is_never_made_by_hand(done):
    job, tech, _ = done
    assert S.SUBMITTED not in lifecycle_service.next_actions(Intervention.get_by_id(job.id), tech)
    with pytest.raises(TransitionError):
        lifecycle_service.transition(job.id, S.SUBMITTED, tech, NOW)
    with pytest.raises(TransitionError):  # and the record-made move needs its record
        lifecycle_service.by_record(job.id, S.SUBMITTED, tech, NOW)


def test_leaving_client_mode_needs_the_technicians_password(done):
    _, tech, _ = done
    signing_service.confirm_technician(tech, "demo")
    for wrong in ("", "Demo", "demo ", "tech1"):
        with pytest.raises(AuthError) as err:
            signing_service.confirm_technician(tech, wrong)
        assert err.value.key == "error.client_mode.password"


# --- follow-up --------------------------------------------------------------------------------


def test_follow_ups_are_stored_complete_and_the_slip_is_submitted(done):
    job, tech, _ = done
    sign(job, tech)
    part = Part.get((Part.fractional == False) & (Part.deleted == False))
    rows = follow_up_service.record(
        job.id,
        tech,
        [
            FollowUpInput("new_visit", "Remplacer le vase", NOW.date() + timedelta(days=7), "high"),
            FollowUpInput("quote", "Devis pour un désembouage"),
            FollowUpInput("parts_order", lines=[PartLine(part.id, "2")]),
            FollowUpInput("next_preventive", proposed_date=NOW.date() + timedelta(days=365)),
            FollowUpInput("other", "Client à rappeler"),
        ],
    )
    assert [r.kind for r in rows] == [
        "new_visit", "quote", "parts_order", "next_preventive", "other",
    ]  # fmt: skip
    stored = {r.kind: r for r in FollowUp.select().where(FollowUp.intervention == job.id)}
    assert stored["new_visit"].urgency == "high"
    assert stored["new_visit"].due_date == NOW.date() + timedelta(days=7)
    assert stored["parts_order"].lines == [
        {"part_id": part.id, "reference": part.reference, "name": part.name,
         "unit": part.unit, "quantity": 2},
    ]  # fmt: skip
    assert stored["next_preventive"].due_date == NOW.date() + timedelta(days=365)
    assert all(r.created_by_id == tech.id for r in stored.values())
    assert Intervention.get_by_id(job.id).status == S.SUBMITTED


def test_after_a_refusal_the_follow_up_is_recorded_too(done):
    job, tech, _ = done
    signing_service.record_missing(job.id, tech, outcome="absent", reason="Personne sur place")
    follow_up_service.record(job.id, tech, [FollowUpInput("none")])
    assert FollowUp.get(FollowUp.intervention == job.id).kind == FollowUpKind.NONE
    assert Intervention.get_by_id(job.id).status == S.SUBMITTED


@pytest.mark.parametrize(
    ("items", "key"),
    [
        ([], "error.follow_up.empty"),
        ([FollowUpInput("none"), FollowUpInput("quote", "x")], "error.follow_up.none_alone"),
        ([FollowUpInput("bof")], "error.follow_up.kind"),
        ([FollowUpInput("quote", "  ")], "error.follow_up.text"),
        ([FollowUpInput("new_visit", urgency="high")], "error.follow_up.date"),
        ([FollowUpInput("new_visit", proposed_date="2026-03-01", urgency="high")],
         "error.follow_up.past"),
        ([FollowUpInput("new_visit", proposed_date="2026-04-01", urgency="soon")],
         "error.follow_up.urgency"),
        ([FollowUpInput("parts_order")], "error.follow_up.no_lines"),
        ([FollowUpInput("parts_order", lines=[PartLine("nope", 1)])], "error.follow_up.part"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", "0")])], "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", "1,5")])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", "abc")])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", "-2")])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", "NaN")])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", 10_001)])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", {"n": 1})])],
         "error.follow_up.quantity"),
        ([FollowUpInput("parts_order", lines=[PartLine("PART", 1)] * 51)],
         "error.follow_up.lines"),
        ([FollowUpInput("next_preventive", proposed_date="31/02/2027")], "error.follow_up.date"),
    ],
)  # fmt: skip
def test_a_bad_follow_up_stores_nothing(done, items, key):
    job, tech, _ = done
    sign(job, tech)
    part = Part.get((Part.fractional == False) & (Part.deleted == False))
    items = [
        FollowUpInput(
            i.kind, i.description, i.proposed_date, i.urgency,
            [PartLine(part.id if line.part_id == "PART" else line.part_id, line.quantity)
             for line in i.lines],
        )
        for i in items
    ]  # fmt: skip
    with pytest.raises(FollowUpError) as err:
        follow_up_service.record(job.id, tech, items)
    assert err.value.key == key
    assert FollowUp.select().where(FollowUp.intervention == job.id).count() == 0
    assert Intervention.get_by_id(job.id).status == S.SIGNED


def test_no_follow_up_before_the_signature(done):
    job, tech, _ = done
    with pytest.raises(FollowUpError) as err:
        follow_up_service.record(job.id, tech, [FollowUpInput("none")])
    assert err.value.key == "error.follow_up.not_signed"


def test_the_report_pdf_is_the_signed_one_once_signed(done):
    job, tech, _ = done
    name, draft_pdf = signing_service.report_pdf(job.id, tech)
    assert name == f"{job.reference}-rapport-v1.pdf" and draft_pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(draft_pdf)).pages)
    assert "Brouillon" in text
    result = sign(job, tech)
    _, signed_pdf = signing_service.report_pdf(job.id, tech)
    assert hashlib.sha256(signed_pdf).hexdigest() == result.pdf_sha256
