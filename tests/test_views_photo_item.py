"""A photo item of the procedure without a browser: "Prendre une photo" and "Choisir une
photo", the photo imported off the UI loop as the item's answer, its thumbnail, replace,
remove (the media stays), a refused file named on the item."""

from __future__ import annotations

import flet as ft
import test_views_sections as sections
from flet_harness import layout_faults, walk
from media_support import jpeg_with_orientation, video
from test_photo_item import job_with_photo_item, photo_item

from app.models import Attachment, ChecklistAnswer
from app.views.detail.photo_item_input import PickedPhoto, RemovePhoto
from app.views.detail.procedure import ProcedureSection

run, show = sections.run, sections.show
tech = sections.tech


def _ident(item) -> str:
    return f"item-{item.step.position}-{item.position}"


def _answer(job, item):
    return ChecklistAnswer.get_or_none(
        (ChecklistAnswer.intervention == job.id) & (ChecklistAnswer.item == item.id)
    )


def _thumbnail(h, ident: str) -> bytes | None:
    if not h.has(f"{ident}-photo"):
        return None
    images = [c for c in walk(h.find_tagged(f"{ident}-photo")) if isinstance(c, ft.Image)]
    return images[0].src if images else None


def test_a_picked_photo_answers_the_item_and_shows_its_thumbnail(tech, tmp_path):
    job = job_with_photo_item()
    item = photo_item(job)
    ident = _ident(item)

    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        progress = h.text("procedure-progress")
        assert h.has(f"{ident}-camera") and h.has(f"{ident}-pick")  # a browser's page
        assert not h.has(f"{ident}-remove") and not h.has(f"{ident}-photo")
        assert "Choisir une photo" in h.text(f"{ident}-pick")
        assert "à venir" not in h.text("procedure")

        row = screen.section.rows[item.id]
        photo = jpeg_with_orientation(tmp_path / "plaque.jpg", 6).read_bytes()
        await row.input.photo.answer(PickedPhoto("plaque.jpg", photo))
        await h.settle()
        answer = _answer(job, item)
        media = Attachment.get_by_id(answer.value_text)
        assert media.caption == item.label and media.kind == "photo"
        thumb = _thumbnail(h, ident)
        assert isinstance(thumb, bytes) and len(thumb) > 500  # the real thumbnail
        assert h.has(f"{ident}-remove") and h.has(f"{ident}-saved")
        assert "Choisir une autre photo" in h.text(f"{ident}-pick")
        assert h.text("procedure-progress") != progress  # one more answered
        assert any("Photo enregistrée" in n for n, err in screen.notes if not err)
        assert layout_faults(h.page) == []

        # replace: a second photo; the first stays in Médias
        other = jpeg_with_orientation(tmp_path / "autre.jpg", 1).read_bytes()
        await row.input.photo.answer(PickedPhoto("autre.jpg", other, "camera"))
        await h.settle()
        second = _answer(job, item).value_text
        assert second != media.id and Attachment.get_by_id(second).source == "camera"
        # remove: the answer cleared, both media kept
        await row.input.photo.answer(RemovePhoto())
        await h.settle()
        assert _answer(job, item).value_text is None
        assert not h.has(f"{ident}-photo") and not h.has(f"{ident}-remove")
        assert not h.has(f"{ident}-saved")
        live = Attachment.live().where(Attachment.intervention == job.id)
        assert {media.id, second} <= {a.id for a in live}
        h.close()

    run(scenario())


def test_the_camera_opens_for_the_item_and_its_picture_answers_it(tech, tmp_path):
    job = job_with_photo_item()
    item = photo_item(job)
    ident = _ident(item)

    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        await h.click(f"{ident}-camera")
        capture = screen.section.rows[item.id].input.photo.camera
        assert capture is not None and capture.dialog.open
        assert capture.error == "none"  # this client lists no camera: it says so
        photo = jpeg_with_orientation(tmp_path / "shot.jpg", 1).read_bytes()
        await capture.on_picture("photo-20260310.jpg", photo)
        await h.settle()
        media = Attachment.get_by_id(_answer(job, item).value_text)
        assert media.source == "camera" and media.caption == item.label
        assert isinstance(_thumbnail(h, ident), bytes)
        h.close()

    run(scenario())


def test_a_video_or_a_bad_file_is_refused_on_the_item(tech, tmp_path):
    job = job_with_photo_item()
    item = photo_item(job)
    ident = _ident(item)

    async def scenario():
        screen = await show(ProcedureSection, job, tech)
        h = screen.harness
        row = screen.section.rows[item.id]
        await row.input.photo.answer(PickedPhoto("notes.jpg", b"pas une photo"))
        await h.settle()
        assert h.has(f"{ident}-status") and "notes.jpg" in h.text(f"{ident}-status")
        clip = video(tmp_path / "clip.avi").read_bytes()
        await row.input.photo.answer(PickedPhoto("clip.avi", clip))
        await h.settle()
        assert "pas une vidéo" in h.text(f"{ident}-status")
        assert _answer(job, item) is None and not h.has(f"{ident}-photo")
        assert not row.input.photo.pick_button.content.disabled  # usable again
        h.close()

    run(scenario())


def test_the_report_draft_shows_the_item_with_its_photo(tech, tmp_path):
    from test_views_report import no_faults, report_of

    from app import clock
    from app.services import media_service, photo_item_service

    job = job_with_photo_item()
    item = photo_item(job)
    photo = jpeg_with_orientation(tmp_path / "p.jpg", 1).read_bytes()
    answer = photo_item_service.attach(
        job.id, item.id, ("p.jpg", photo), tech, sections.NOW,
        store=media_service.device_store(),
    )  # fmt: skip
    line, photo_line = f"item:{item.id}", f"photo:{answer.value_text}"

    async def scenario():
        h = await report_of(job, tech)
        assert "Photo jointe (voir Photos)" in h.text(f"line-{line}")
        thumbs = {}
        for ident in (line, photo_line):
            [image] = [c for c in walk(h.find_tagged(f"picture-{ident}"))
                       if isinstance(c, ft.Image)]  # fmt: skip
            thumbs[ident] = image.src
        assert isinstance(thumbs[line], bytes) and thumbs[line] == thumbs[photo_line]
        assert item.label in h.text(f"line-{photo_line}")  # captioned with the label
        no_faults(h)
        h.close()

    with clock.frozen(sections.NOW):
        run(scenario())
