"""Media sync on screen, without a browser: the upload badges on the grid's tiles follow the
device's upload board (changed on another thread, as the sync does) with "Réessayer" on a
failed one; the camera dialog says when there is no camera or access is refused and its
picture goes through the ingest pipeline; the sync screen lists the files to send; the
settings show the media storage and free the originals head office holds."""

from __future__ import annotations

import threading

import flet as ft
import pytest
import test_views_sections as sections
import test_views_sync
from flet_harness import FletHarness, layout_faults, walk
from media_support import jpeg_with_orientation

from app.errors import TransportError
from app.i18n import Translator
from app.media.blob_store import BlobStore, default_blob_dir
from app.models import Attachment, Intervention, User
from app.services.registry import Services
from app.sync import blob_ledger
from app.sync.uploads import FileState, FileUpload, UploadBoard
from app.views.detail.camera_capture import problem
from app.views.detail.context import DetailContext
from app.views.detail.media import MediaSection
from app.views.settings import SettingsView
from app.views.state import AppState
from app.views.sync_view import SyncView

run = sections.run
tech, job = sections.tech, sections.job  # fixtures
device = test_views_sync.device  # a device database (fixture)
NOW = sections.NOW


class BoardSession:
    """What the media views use of ``SessionService``: its real upload board, retry."""

    def __init__(self) -> None:
        self.uploads = UploadBoard()
        self.retried: list[str] = []
        self.status = test_views_sync.FakeSession().status
        self.transport = None

    def refresh_uploads(self) -> None:  # the board is set by each test
        pass

    def refresh_pending(self) -> None:
        pass

    def retry_upload(self, sha256: str) -> None:
        self.retried.append(sha256)
        self.uploads.retry(sha256)

    def has_blob(self, sha256: str) -> bool:
        raise TransportError("offline (test)")

    def get_blob(self, sha256, dest) -> None:
        raise TransportError("offline (test)")


def on_sync_thread(change) -> None:
    thread = threading.Thread(target=change)
    thread.start()
    thread.join()


async def media_screen(job, who, session) -> sections.Screen:
    screen = sections.Screen(harness=None, section=None)

    async def changed() -> None:
        screen.changes[0] += 1

    ctx = DetailContext(
        services=Services(clock=lambda: NOW, session=session), who=who, tr=Translator("fr"),
        intervention_id=job.id, notify=lambda text, err: screen.notes.append((text, err)),
        on_changed=changed,
    )  # fmt: skip
    screen.section = MediaSection(ctx)

    async def main(page: ft.Page) -> None:
        page.add(screen.section.build())
        await screen.section.load()

    screen.harness = await FletHarness.start(main, width=390)
    return screen


def test_tile_badges_follow_each_file_and_retry_a_failed_one(job, tech, tmp_path):
    session = BoardSession()

    async def scenario():
        screen = await media_screen(job, tech, session)
        h = screen.harness
        photo = jpeg_with_orientation(tmp_path / "avant.jpg", 1).read_bytes()
        await screen.section.import_picked([("avant.jpg", photo)])
        await h.settle()
        row = Attachment.get(Attachment.intervention == job.id)
        assert h.has("media-0") and not h.has("media-upload-0")  # nothing planned: no badge
        board = session.uploads
        rows = (("attachments", row.id),)
        files = [FileUpload(row.thumb_sha256, "thumb_sha256", rows, 100),
                 FileUpload(row.blob_sha256, "blob_sha256", rows, 1000)]  # fmt: skip
        on_sync_thread(lambda: board.plan(files))
        await h.settle()
        assert "En attente" in h.text("media-upload-0")

        def halfway():
            board.uploading(row.thumb_sha256, 0, 100)
            board.sent(row.thumb_sha256)
            board.uploading(row.blob_sha256, 450, 1000)

        on_sync_thread(halfway)
        await h.settle()
        assert "Envoi 50 %" in h.text("media-upload-0")  # (100 + 450) of 1,100 bytes
        bars = [c for c in walk(h.find("media-upload-0")) if isinstance(c, ft.ProgressBar)]
        assert len(bars) == 1 and bars[0].value == pytest.approx(0.5)

        on_sync_thread(lambda: board.failed(row.blob_sha256, TransportError("cut (test)")))
        await h.settle()
        assert "Échec de l'envoi" in h.text("media-upload-0")
        await h.click("media-retry-0")
        assert session.retried == [row.blob_sha256]
        assert board.get(row.blob_sha256).state == FileState.WAITING
        assert "En attente" in h.text("media-upload-0") and not h.has("media-retry-0")

        on_sync_thread(lambda: board.sent(row.blob_sha256))
        await h.settle()
        assert "Envoyé" in h.text("media-upload-0")
        assert layout_faults(h.page) == []
        h.close()

    run(scenario())


def test_the_camera_says_when_there_is_none_or_it_is_refused_and_its_photo_is_imported(
    job, tech, tmp_path
):
    async def scenario():
        screen = await media_screen(job, tech, BoardSession())
        h = screen.harness
        await h.select_segment("media-phase", "after")
        await h.click("media-camera")
        capture = screen.section.camera
        assert capture is not None and capture.dialog.open
        # This client answers every camera call with nothing: no camera listed.
        status = capture.status.value
        assert "Aucun appareil photo" in status and "galerie" in status and "Dropbox" in status
        assert capture.error == "none" and capture.shoot.disabled
        assert not screen.section.add_button.content.disabled  # the other sources still work

        denied = RuntimeError("CameraException(CameraAccessDenied, permission not granted.)")
        assert problem(denied) == "denied"
        capture._failed(denied)
        assert "refusé" in capture.status.value and "Autorisez" in capture.status.value

        # The picture a camera returns goes through the ingest pipeline into the phase.
        photo = jpeg_with_orientation(tmp_path / "shot.jpg", 6).read_bytes()
        await capture.on_picture("photo-20260310.jpg", photo)
        await h.settle()
        [row] = Attachment.select().where(Attachment.intervention == job.id)
        upright = ("camera", "after", 120, 80)
        assert (row.source, row.phase, row.width, row.height) == upright
        assert h.has("media-group-after")
        h.close()

    run(scenario())


def test_the_camera_is_offered_in_the_browser_and_on_phones_not_on_desktops():
    from types import SimpleNamespace

    from app.views.detail.camera_capture import offers_camera

    desktop = SimpleNamespace(web=False, platform=ft.PagePlatform.LINUX)
    phone = SimpleNamespace(web=False, platform=ft.PagePlatform.ANDROID)
    browser = SimpleNamespace(web=True, platform=ft.PagePlatform.MACOS)
    assert not offers_camera(desktop)
    assert offers_camera(phone) and offers_camera(browser)
    assert offers_camera(None, unknown=True) and not offers_camera(None)


def _device_media(tmp_path):
    """An intervention of the device with one photo whose files are in its blob store."""
    store = BlobStore(default_blob_dir())
    job = Intervention.get(Intervention.reference == "INT-0001")
    user = User.get(User.username == "tech1")
    row = Attachment.create(
        intervention=job.id, kind="photo", phase="before", source="camera",
        thumb_sha256=store.put_bytes(b"t" * 2_000), blob_sha256=store.put_bytes(b"p" * 300_000),
        original_sha256=store.put_bytes(b"o" * 3_000_000), mime_type="image/jpeg",
        size_bytes=300_000, created_by=user.id, caption="Compteur",
    )  # fmt: skip
    return store, row


def test_the_sync_screen_lists_the_files_to_send_with_retry(device, tmp_path):
    _store, row = _device_media(tmp_path)
    session = BoardSession()
    rows = (("attachments", row.id),)
    session.uploads.plan([
        FileUpload(row.thumb_sha256, "thumb_sha256", rows, 2_000, FileState.SENT, 2_000),
        FileUpload(row.blob_sha256, "blob_sha256", rows, 300_000, FileState.UPLOADING, 90_000),
        FileUpload(row.original_sha256, "original_sha256", rows, 3_000_000),
    ])  # fmt: skip

    async def scenario():
        state = AppState()
        view = SyncView(state, Services(clock=lambda: NOW, session=session), on_update=lambda: 0)

        async def main(page: ft.Page) -> None:
            page.add(view.build())
            await view.load()

        h = await FletHarness.start(main, width=390)
        lines = [h.text(f"sync-upload-{n}") for n in range(3)]
        assert "Miniature · INT-0001 · Compteur · 2 Ko" in lines[0] and "Envoyé" in lines[0]
        assert "Photo ou vidéo" in lines[1] and "Envoi 30 %" in lines[1]
        assert "Original" in lines[2] and "2,9 Mo" in lines[2] and "En attente" in lines[2]
        assert not h.has("sync-upload-retry-2")

        def cut():
            session.uploads.failed(row.blob_sha256, TransportError("gone", key="sync.unreachable"))

        on_sync_thread(cut)
        await h.settle()
        assert "Échec de l'envoi" in h.text("sync-upload-1")
        assert "Pas de réseau" in h.text("sync-upload-1")  # the reason, translated
        await h.click("sync-upload-retry-1")
        assert session.retried == [row.blob_sha256]
        assert "En attente" in h.text("sync-upload-1")
        view.uploads.stop()
        assert session.uploads.listener_count() == 0
        assert layout_faults(h.page) == []
        h.close()

    run(scenario())


def test_the_settings_show_the_storage_and_free_only_confirmed_originals(device, tmp_path):
    store, row = _device_media(tmp_path)
    session = BoardSession()
    blob_ledger.confirm([row.original_sha256])  # head office said it holds the original

    async def scenario():
        state = AppState()
        state.user = None
        view = SettingsView(state, Services(clock=lambda: NOW, session=session))

        async def main(page: ft.Page) -> None:
            page.add(view.build())
            await view.load()

        h = await FletHarness.start(main, width=390)
        assert "2,9 Mo" in h.text("settings-storage-originals")
        assert "293 Ko" in h.text("settings-storage-photos")
        assert "300 Mo au plus" in h.text("settings-storage-cache")
        assert "3,1 Mo" in h.text("settings-storage-total")  # 3,302,000 bytes
        assert "2,9 Mo d'originaux sont au siège" in h.text("settings-storage")
        await h.click("settings-storage-free")
        dialog = view.storage.dialog
        assert dialog is not None and dialog.open and "environ 2,9 Mo" in dialog.content.value
        assert store.has(row.original_sha256)  # nothing deleted before the answer
        confirm = next(
            c for c in walk(dialog)
            if isinstance(c, ft.Semantics) and c.identifier == "storage-free-confirm"
        )  # fmt: skip
        await h.fire(confirm.content, "click")
        await h.settle()
        assert "1 original(aux) effacé(s) : 2,9 Mo libérés." in h.text("settings-storage-result")
        assert not store.has(row.original_sha256)
        assert store.has(row.blob_sha256) and store.has(row.thumb_sha256)
        assert "0 o" in h.text("settings-storage-originals")
        assert "Aucun original confirmé" in h.text("settings-storage")
        assert layout_faults(h.page) == []
        h.close()

    run(scenario())
