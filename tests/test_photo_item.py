"""Photo items of the procedure: a photo (camera or picked file) is their answer. It is an
attachment of the intervention, captioned with the item's label, in the phase the label
implies; the answer names it (``value_text``); removing it clears the answer and keeps the
media; a required photo item is unanswered until its photo is there; the report shows it."""

from __future__ import annotations

import io
import re

import pytest
import report_support
from field_support import NOW, a_job, as_user
from media_support import jpeg_with_orientation, video

from app.errors import ValidationError
from app.media.blob_store import BlobStore
from app.media.ingest import NotMediaError
from app.models import Attachment, ChecklistAnswer, ChecklistItem, Intervention, ProcedureStep
from app.models.enums import InterventionStatus as S
from app.models.enums import MediaPhase
from app.services import checklist_service, media_service, photo_item_service, report_service


def photo_item(job) -> ChecklistItem:
    return (
        ChecklistItem.select()
        .join(ProcedureStep)
        .where((ProcedureStep.procedure == job.procedure_id) & (ChecklistItem.kind == "photo"))
        .order_by(ProcedureStep.position, ChecklistItem.position)
        .first()
    )


def job_with_photo_item(username: str = "tech1") -> Intervention:
    """One of the user's jobs whose procedure has a photo item, in progress, unanswered."""
    who = as_user(username)
    job = a_job(who, S.IN_PROGRESS)
    if photo_item(job) is None:  # the first job's procedure has none: take one that has
        with_photo = (
            Intervention.select()
            .join(ProcedureStep, on=(ProcedureStep.procedure == Intervention.procedure))
            .join(ChecklistItem, on=(ChecklistItem.step == ProcedureStep.id))
            .where((Intervention.technician == who.technician_id) & (ChecklistItem.kind == "photo"))
            .first()
        )  # fmt: skip
        Intervention.update(status=S.IN_PROGRESS).where(Intervention.id == with_photo.id).execute()
        job = Intervention.get_by_id(with_photo.id)
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == job.id).execute()
    return job


def jpeg_bytes(tmp_path, name: str = "p.jpg") -> bytes:
    return jpeg_with_orientation(tmp_path / name, 1).read_bytes()


@pytest.fixture
def setup(demo_db, tmp_path):
    job = job_with_photo_item()
    return job, photo_item(job), as_user("tech1"), BlobStore(tmp_path / "blobs")


def _blocks(job, item, who) -> bool:
    """The item is among what blocks "work done"."""
    missing = checklist_service.checklist(job.id, who).missing()
    return any(m.endswith(f"— {item.label}") for m in missing)


def _state(job, item, who):
    states = checklist_service.checklist(job.id, who).steps
    return next(s for step in states for s in step.items if s.item.id == item.id)


def test_a_picked_photo_answers_the_item_as_an_attachment_captioned_with_its_label(setup, tmp_path):
    job, item, who, store = setup
    answer = photo_item_service.attach(
        job.id, item.id, ("IMG_0001.jpg", jpeg_bytes(tmp_path)), who, NOW, store=store
    )
    photo = Attachment.get_by_id(answer.value_text)
    assert photo.intervention_id == job.id and photo.kind == "photo"
    assert photo.caption == item.label and photo.source == "gallery"
    assert photo.phase == photo_item_service.implied_phase(item.label)
    assert answer.value_number is None
    state = _state(job, item, who)
    assert state.answered and state.photo.id == photo.id
    thumbs = photo_item_service.thumbnails(job.id, who, store)
    assert thumbs[item.id] == store.open(photo.thumb_sha256).read()
    # the photo is one of the intervention's media (the Médias section lists it)
    assert photo.id in {a.id for a in media_service.for_intervention(job.id, who)}


def test_replacing_and_removing_keep_the_media_and_clear_the_answer(setup, tmp_path):
    job, item, who, store = setup
    first = photo_item_service.attach(
        job.id, item.id, ("a.jpg", jpeg_bytes(tmp_path, "a.jpg")), who, NOW, store=store,
        source="camera",
    ).value_text  # fmt: skip
    second = photo_item_service.attach(
        job.id, item.id, ("b.jpg", jpeg_bytes(tmp_path, "b.jpg")), who, NOW, store=store
    ).value_text
    assert first != second
    assert Attachment.get_by_id(first).source == "camera"
    assert _state(job, item, who).photo.id == second
    photo_item_service.remove(job.id, item.id, who, NOW)
    state = _state(job, item, who)
    assert not state.answered and state.photo is None
    live = {a.id for a in media_service.for_intervention(job.id, who)}
    assert {first, second} <= live  # both stay in Médias
    assert photo_item_service.thumbnails(job.id, who, store) == {}


def test_a_required_photo_item_blocks_work_done_until_its_photo_is_there(setup, tmp_path):
    job, item, who, store = setup
    ChecklistItem.update(required=True).where(ChecklistItem.id == item.id).execute()
    assert _blocks(job, item, who)
    answer = photo_item_service.attach(
        job.id, item.id, ("p.jpg", jpeg_bytes(tmp_path)), who, NOW, store=store
    )
    assert not _blocks(job, item, who)
    # the photo deleted in Médias: the item is unanswered again, its answer cleared
    media_service.delete(answer.value_text, who)
    assert ChecklistAnswer.get_by_id(answer.id).value_text is None
    assert _blocks(job, item, who)


def test_a_refused_file_or_a_video_is_no_answer(setup, tmp_path):
    job, item, who, store = setup
    with pytest.raises(NotMediaError):
        photo_item_service.attach(job.id, item.id, ("x.jpg", b"pas une photo"), who, NOW,
                                  store=store)  # fmt: skip
    clip = video(tmp_path / "clip.avi").read_bytes()
    with pytest.raises(ValidationError) as caught:
        photo_item_service.attach(job.id, item.id, ("clip.avi", clip), who, NOW, store=store)
    assert caught.value.key == "error.photo_item.video"
    assert not _state(job, item, who).answered
    assert ChecklistAnswer.get_or_none(ChecklistAnswer.item == item.id) is None


def test_an_answer_naming_a_foreign_video_or_deleted_media_is_refused_on_the_device(
    setup, tmp_path
):
    job, item, who, store = setup
    other = Intervention.select().where(Intervention.id != job.id).order_by(Intervention.id).first()
    [elsewhere] = media_service.import_picked(
        job.id, [("e.jpg", jpeg_bytes(tmp_path))], who, store=store
    )
    Attachment.update(intervention=other.id).where(
        Attachment.id == elsewhere.attachment.id
    ).execute()
    [clip] = media_service.import_picked(
        job.id, [("c.avi", video(tmp_path / "c.avi").read_bytes())], who, store=store
    )
    [gone] = media_service.import_picked(job.id, [("g.jpg", jpeg_bytes(tmp_path))], who,
                                         store=store)  # fmt: skip
    media_service.delete(gone.attachment.id, who)
    reasons = {}
    for what, ref in {"foreign": elsewhere.attachment.id, "video": clip.attachment.id,
                      "deleted": gone.attachment.id, "nothing": "no-such-id"}.items():  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            checklist_service.answer(job.id, item.id, ref, who, NOW)
        assert caught.value.key == "error.photo_item.refused"
        reasons[what] = str(caught.value)
    assert "this intervention" in reasons["foreign"] and "this intervention" in reasons["nothing"]
    assert "not a video" in reasons["video"] and "deleted" in reasons["deleted"]
    assert ChecklistAnswer.get_or_none(ChecklistAnswer.item == item.id) is None


def test_the_phase_follows_the_label():
    assert photo_item_service.implied_phase("Échangeur après nettoyage") == MediaPhase.AFTER
    assert photo_item_service.implied_phase("Conduit avant ramonage") == MediaPhase.BEFORE
    assert photo_item_service.implied_phase("Plaque signalétique") == MediaPhase.OTHER


def test_the_report_shows_the_item_with_its_photo(setup, tmp_path):
    job, item, who, store = setup
    answer = photo_item_service.attach(
        job.id, item.id, ("p.jpg", jpeg_bytes(tmp_path)), who, NOW, store=store
    )
    content = report_service.draft(job.id, who).content
    line = next(
        i for s in content["procedure"]["steps"] for i in s["items"] if i["id"] == f"item:{item.id}"
    )
    assert line["answered"] and line["answer"]["photo"] == f"photo:{answer.value_text}"
    photo = next(p for p in content["photos"] if p["id"] == f"photo:{answer.value_text}")
    assert photo["caption"] == item.label and photo["item_id"] == item.id


def test_the_pdf_prints_the_item_and_its_photo_captioned_with_its_label(setup, tmp_path):
    from pypdf import PdfReader

    from app import clock
    from app.reports import pdf as report_pdf

    job, item, who, store = setup
    with clock.frozen(NOW):
        answer = photo_item_service.attach(
            job.id, item.id, ("p.jpg", report_support.jpeg(800, 600)), who, NOW, store=store
        )
        content = report_service.draft(job.id, who).final
    data = report_pdf.visit_report_pdf(
        content, photos=lambda sha: media_service.read_blob(store, sha)
    )
    (tmp_path / "photo-item.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages)
    assert f"{item.label} Photo jointe (voir Photos)" in text
    phase = {"before": "Avant", "after": "Après", "other": "Photo"}
    photo = Attachment.get_by_id(answer.value_text)
    assert "Photos" in text
    caption_text = text.split("Photos")[-1]
    assert f"{phase[photo.phase]} — {item.label}" in caption_text, caption_text[:400]
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 1  # the photo itself (no signature on a draft)
