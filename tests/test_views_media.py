"""Section "Médias" without a browser: import a selection, see it by phase, view, tag, delete."""

from __future__ import annotations

import io

import flet as ft
import test_views_sections as sections
from flet_harness import layout_faults, walk
from media_support import jpeg_with_orientation, video
from PIL import Image

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
            [
                "media-phase",
                "media-camera",  # the harness's page is a browser's: the camera is offered
                "media-add",
                "media-dropbox",
                "media-groups",
                "media-group-after",
                "media-0",
                "media-1",
            ]
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


def _pan(points):
    """The pan events a finger dragging through ``points`` (x, y) sends."""
    (x, y), *rest = points
    yield "pan_start", {"k": "touch", "l": {"x": x, "y": y}, "g": {"x": x, "y": y}}
    for x, y in rest:
        yield "pan_update", {"l": {"x": x, "y": y}, "g": {"x": x, "y": y}, "ld": {"x": 1, "y": 0}}
    yield "pan_end", {"l": {"x": x, "y": y}, "g": {"x": x, "y": y}, "v": {"x": 0, "y": 0}}


def test_the_editor_draws_an_arrow_undoes_redoes_and_saves_the_layer(job, tech, tmp_path):
    async def scenario():
        screen = await show(MediaSection, job, tech)
        h = screen.harness
        await screen.section.import_picked(_picked(tmp_path)[:1])  # a 120 x 80 photo
        await h.click("media-0")
        await h.fire(_in_dialog(screen.section.viewer, "media-viewer-annotate"), "click")
        editor = screen.section.editor
        assert editor is not None and editor.w / editor.h == 1.5  # the photo's aspect
        pad = _in_dialog(screen.section.viewer, "annotate-pad")
        w, h_ = editor.w, editor.h
        for event, data in _pan([(0.1 * w, 0.5 * h_), (0.5 * w, 0.5 * h_), (0.9 * w, 0.5 * h_)]):
            await h.fire(pad, event, data)
        assert [s["kind"] for s in editor.shapes] == ["arrow"]
        assert editor.shapes[0]["from"] == [0.1, 0.5] and editor.shapes[0]["to"] == [0.9, 0.5]
        assert len(editor.canvas.shapes) == 2  # the shaft and the head
        await h.fire(_in_dialog(screen.section.viewer, "annotate-undo"), "click")
        assert editor.shapes == [] and editor.canvas.shapes == []
        await h.fire(_in_dialog(screen.section.viewer, "annotate-redo"), "click")
        # a second shape: freehand, in yellow
        editor.tools.selected = ["free"]  # as the client does, then "change"
        await h.fire(_in_dialog(screen.section.viewer, "annotate-tools"), "change", ["free"])
        await h.fire(_in_dialog(screen.section.viewer, "annotate-color-fdd835"), "click")
        for event, data in _pan([(10, 10), (20, 12), (30, 20), (40, 30)]):
            await h.fire(pad, event, data)
        assert [s["kind"] for s in editor.shapes] == ["arrow", "free"]
        assert editor.shapes[1]["color"] == "#fdd835" and len(editor.shapes[1]["points"]) == 4
        await h.fire(_in_dialog(screen.section.viewer, "annotate-save"), "click")

        row = Attachment.get(Attachment.intervention == job.id)
        assert [s["kind"] for s in row.annotations["shapes"]] == ["arrow", "free"]
        assert not screen.section.viewer  # closed after saving
        # the grid's thumbnail now shows the drawing: red pixels along the arrow
        [image] = [c for c in walk(h.find("media-groups")) if isinstance(c, ft.Image)]
        thumb = Image.open(io.BytesIO(image.src)).convert("RGB")
        line = [thumb.getpixel((x, thumb.height // 2)) for x in range(thumb.width)]
        reddish = [x for x, (r, g, b) in enumerate(line) if r > 150 and g < 130 and b < 130]
        assert len(reddish) > thumb.width * 0.6  # the photo's middle row was all white
        h.close()

    run(scenario())


class _Dropbox:
    """The Dropbox half of the media service, over local files (the SDK itself is tested
    against a fake Dropbox server in test_media_dropbox.py)."""

    def __init__(self, tmp_path):
        from app.media.dropbox_source import Entry

        self.Entry = Entry
        self.linked = False
        self.offline_after = None  # downloads allowed before the network goes
        self.folder = tmp_path / "dropbox"
        (self.folder / "chantiers").mkdir(parents=True)
        for name in ("avant.jpg", "apres.jpg"):
            jpeg_with_orientation(self.folder / "chantiers" / name, 1)

    def module(self):
        import types

        from app.services import media_service

        fake = types.SimpleNamespace(**vars(media_service))
        fake.dropbox_linked = lambda: self.linked
        fake.dropbox_start = lambda: ("flow", "https://www.dropbox.com/oauth2/authorize?x=1")
        fake.dropbox_finish = self._finish
        fake.dropbox_list = self._list
        fake.dropbox_thumbnail = lambda path: None
        fake.dropbox_unlink = lambda: setattr(self, "linked", False)
        fake.import_dropbox = self._import
        return fake

    def _finish(self, flow, code):
        assert flow == "flow" and code == "CODE-123"
        self.linked = True
        return "dbid:1"

    def _list(self, path):
        root = self.folder / path.strip("/")
        return [self.Entry(p.name, f"{path}/{p.name}".lower(), p.is_dir(), p.stat().st_size)
                for p in sorted(root.iterdir())]  # fmt: skip

    def _import(self, intervention_id, entries, who, *, store, phase):
        from app.media.dropbox_source import DropboxOfflineError
        from app.services import media_service

        results = []
        for i, entry in enumerate(entries):
            if self.offline_after is not None and i >= self.offline_after:
                err = DropboxOfflineError("no network")
                results.append(media_service.ImportResult(entry.name, error=err))
                continue
            path = self.folder / entry.path.strip("/")
            results += media_service.import_files(
                intervention_id, [path], who, store=store, phase=phase, source="dropbox"
            )
        return results


def test_dropbox_is_linked_browsed_and_a_selection_survives_a_lost_network(job, tech, tmp_path):
    from app.i18n import Translator
    from app.services.registry import Services
    from app.views.detail.context import DetailContext

    box = _Dropbox(tmp_path)

    async def scenario():
        screen = sections.Screen(harness=None, section=None)

        async def changed():
            screen.changes[0] += 1

        ctx = DetailContext(
            services=Services(clock=lambda: sections.NOW, media=box.module()), who=tech,
            tr=Translator("fr"), intervention_id=job.id,
            notify=lambda text, is_error: screen.notes.append((text, is_error)),
            on_changed=changed,
        )  # fmt: skip
        screen.section = MediaSection(ctx)

        async def main(page):
            page.add(screen.section.build())
            await screen.section.load()

        h = screen.harness = await sections.FletHarness.start(main, width=1024)
        await h.click("media-dropbox")
        picker = screen.section.dropbox
        dialog = picker.dialog

        async def tap(ident):
            await h.fire(_in_dialog(dialog, ident), "click")

        await tap("dropbox-open")
        assert "dropbox.com/oauth2/authorize" in picker.message.content.value
        _in_dialog(dialog, "dropbox-code").value = "CODE-123"
        await tap("dropbox-finish")
        assert box.linked and [e.name for e in picker.entries] == ["chantiers"]
        await tap("dropbox-folder-0")
        assert [e.name for e in picker.entries] == ["apres.jpg", "avant.jpg"]
        for index in (0, 1):
            tick = _in_dialog(dialog, f"dropbox-file-{index}").controls[0]
            tick.value = True
            await h.fire(tick, "change", "true")
        assert len(picker.chosen) == 2

        box.offline_after = 1  # the network goes after the first download
        await tap("dropbox-import")
        assert dialog.open and "injoignable" in picker.message.content.value
        assert [e.name for e in picker.chosen.values()] == ["avant.jpg"]  # still ticked
        assert Attachment.select().where(Attachment.intervention == job.id).count() == 1

        box.offline_after = None
        await tap("dropbox-import")
        assert not dialog.open and not picker.chosen
        rows = Attachment.select().where(Attachment.intervention == job.id)
        assert sorted(a.source for a in rows) == ["dropbox", "dropbox"]
        assert h.has("media-group-before")
        h.close()

    run(scenario())
