"""Section "Médias" without a browser: import a selection, see it by phase, view, tag, delete."""

from __future__ import annotations

import flet as ft
import test_views_sections as sections
from flet_harness import layout_faults, walk
from media_support import jpeg_with_orientation, video

from app.models import Attachment, Intervention
from app.models.enums import InterventionStatus
from app.views.detail.media import MediaSection

run, show = sections.run, sections.show
tech, job = sections.tech, sections.job  # the fixtures of the other sections' tests


def _picked(tmp_path):
    photo = jpeg_with_orientation(tmp_path / "avant.jpg", 6)
    clip = video(tmp_path / "clip.avi")
    return [
        ("compteur.jpg", photo.read_bytes()),
        ("notes.jpg", b"pas une photo"),
        ("clip.avi", clip.read_bytes()),
    ]


def _in_dialog(dialog: ft.AlertDialog, ident: str):
    for control in walk(dialog):
        if isinstance(control, ft.Semantics) and control.identifier == ident:
            return control.content
    raise AssertionError(f"{ident!r} not in the viewer")


def test_a_selection_is_imported_into_the_chosen_phase_and_refusals_are_named(job, tech, tmp_path):

    async def scenario():
        screen = await show(MediaSection, job, tech)
        h = screen.harness
        assert h.has("media-empty")
        await h.select_segment("media-phase", "after")
        await screen.section.import_picked(_picked(tmp_path))
        await h.settle()

        rows = list(Attachment.select().where(Attachment.intervention == job.id))
        assert sorted(a.kind for a in rows) == ["photo", "video"]
        assert {a.phase for a in rows} == {"after"}
        [(note, is_error)] = screen.notes
        assert is_error and "2 ajouté(s), 1 refusé(s)" in note and "notes.jpg" in note
        assert not h.has("media-empty") and h.has("media-group-after")
        assert "Après (2)" in h.text("media-group-after")
        assert sorted(h.ids("media-")) == sorted(
            ["media-phase", "media-add", "media-groups", "media-group-after", "media-0", "media-1"]
        )
        images = [c for c in walk(h.find("media-groups")) if isinstance(c, ft.Image)]
        assert len(images) == 2 and all(isinstance(i.src, bytes) for i in images)  # thumbnails
        assert "0:03" in h.text("media-group-after")  # the video's duration on its tile
        assert screen.changes[0] == 1  # the report's photos reload
        assert layout_faults(h.page) == []
        h.close()

    run(scenario())


def test_the_viewer_retags_captions_and_deletes(job, tech, tmp_path):

    async def scenario():
        screen = await show(MediaSection, job, tech)
        h = screen.harness
        await screen.section.import_picked(_picked(tmp_path)[:1])
        await h.settle()
        await h.click("media-0")
        viewer = screen.section.viewer
        assert viewer is not None and viewer.open
        shown = [c for c in walk(viewer) if isinstance(c, ft.Image)]
        assert shown and len(shown[0].src) > 1000  # the stored photo, not a placeholder

        phase = _in_dialog(viewer, "media-viewer-phase")
        phase.selected = ["before"]
        caption = _in_dialog(viewer, "media-viewer-caption")
        caption.value = "Compteur avant intervention"
        await h.fire(_in_dialog(viewer, "media-viewer-save"), "click")
        assert not viewer.open  # closed once saved
        row = Attachment.get(Attachment.intervention == job.id)
        assert (row.phase, row.caption) == ("before", "Compteur avant intervention")
        assert h.has("media-group-before") and "Compteur avant" in h.text("media-group-before")

        await h.click("media-0")
        await h.fire(_in_dialog(screen.section.viewer, "media-viewer-delete"), "click")
        assert Attachment.get_by_id(row.id).deleted
        assert h.has("media-empty")
        h.close()

    run(scenario())


def test_a_cancelled_job_offers_no_import_and_a_signed_one_no_retagging(job, tech, tmp_path):

    async def scenario():
        screen = await show(MediaSection, job, tech)
        await screen.section.import_picked(_picked(tmp_path)[:1])
        screen.harness.close()
        Intervention.update(status=InterventionStatus.SIGNED).where(
            Intervention.id == job.id
        ).execute()
        screen = await show(MediaSection, job, tech)
        h = screen.harness
        assert h.has("media-add")  # photos after the signature are still accepted
        await h.click("media-0")
        viewer = screen.section.viewer
        assert _in_dialog(viewer, "media-viewer-caption").disabled
        ids = [c.identifier for c in walk(viewer) if isinstance(c, ft.Semantics)]
        assert "media-viewer-save" not in ids and "media-viewer-delete" not in ids
        h.close()

        Intervention.update(status=InterventionStatus.CANCELLED).where(
            Intervention.id == job.id
        ).execute()
        screen = await show(MediaSection, job, tech)
        assert not screen.harness.has("media-add")
        screen.harness.close()

    run(scenario())
