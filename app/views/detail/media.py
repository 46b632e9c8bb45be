"""Section "Médias": the intervention's photos and videos, by phase, with a viewer.

Thumbnails in a grid per phase (Avant / Après / Autres). "Ajouter des photos ou vidéos" opens
the file picker (several at once; in the browser the files come as bytes) and imports the
selection through the ingest pipeline in a worker thread: accepted files appear, each refused
one is named with its reason, the rest of the selection goes on. A tap on a thumbnail opens
the viewer: the photo (pinch or wheel to zoom), previous / next (buttons or a horizontal
swipe), its phase and caption, delete. A media not yet on this device shows a placeholder.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import flet as ft

from app.domain.lifecycle import S
from app.services.guards import CLOSED
from app.views.detail.blocks import big_button, muted, refresh, section_title, subtitle
from app.views.detail.camera_capture import CameraCapture, offers_camera, page_of
from app.views.detail.context import DetailContext
from app.views.detail.dropbox_picker import DropboxPicker
from app.views.detail.photo_editor import PhotoEditor
from app.views.detail.upload_badge import UploadBadges
from app.views.detail.video_viewer import VideoViewer
from app.views.semantic_ids import tagged

log = logging.getLogger(__name__)

PHASES = ("before", "after", "other")
TILE = 148  # px: three tiles across a phone, five on a tablet
SWIPE_VELOCITY = 300  # px/s: a horizontal fling in the viewer moves to the next media
FETCH_PER_LOAD = 40  # thumbnails downloaded per opening of the section (the rest next time)


@dataclass
class Shown:
    """One media on screen: its row and the bytes this device holds (None: not here)."""

    row: object
    thumbnail: bytes | None


class MediaSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        tr = ctx.tr
        self.phase = "before"
        self.items: list[Shown] = []
        self.status = None
        self.phase_picker = ft.SegmentedButton(
            segments=[ft.Segment(value=p, label=tr(f"media.phase.{p}")) for p in PHASES],
            selected=[self.phase],
            on_change=self._phase_chosen,
            style=ft.ButtonStyle(padding=ft.Padding.symmetric(vertical=14, horizontal=12)),
        )
        self.add_button = big_button(
            "media-add", tr("media.add"), self._pick, icon=ft.Icons.ADD_PHOTO_ALTERNATE_OUTLINED
        )
        self.dropbox_button = big_button(
            "media-dropbox", tr("media.dropbox"), self._dropbox, icon=ft.Icons.CLOUD_OUTLINED,
            filled=False,
        )  # fmt: skip
        self.dropbox: DropboxPicker | None = None
        self.camera_button = big_button(
            "media-camera", tr("media.camera"), self._camera, icon=ft.Icons.PHOTO_CAMERA_OUTLINED,
        )  # fmt: skip
        self.camera_box = ft.Container(self.camera_button, visible=False)  # shown by load()
        self.camera: CameraCapture | None = None
        self.uploads = UploadBadges(tr, ctx.services.session)
        self.progress = tagged("media-progress", ft.Text("", size=15), visible=False)
        self.add_box = ft.Column(
            [
                muted(tr("media.add_phase")),
                tagged("media-phase", self.phase_picker),
                ft.Row(
                    [self.camera_box, self.add_button, self.dropbox_button], wrap=True, spacing=10
                ),
                self.progress,
            ],
            spacing=10,
        )
        self.groups = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.root: ft.Control | None = None
        self.viewer: ft.AlertDialog | None = None
        self.editor: PhotoEditor | None = None
        self.video: VideoViewer | None = None  # the viewer's player, when it shows a video
        self.viewer_index = 0

    def build(self) -> ft.Control:
        self.root = ft.Column(
            [
                section_title(self.ctx.tr("detail.section.media"), ft.Icons.PHOTO_LIBRARY_OUTLINED),
                self.add_box,
                tagged("media-groups", self.groups),
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return self.root

    # --- reading ------------------------------------------------------------------------------

    def _read(self):
        ctx = self.ctx
        media = ctx.services.media
        detail = ctx.services.detail.load_detail(ctx.intervention_id, history_limit=0)
        store = media.device_store()
        rows = media.for_intervention(ctx.intervention_id, ctx.who)
        session = ctx.services.session
        if hasattr(session, "refresh_uploads"):
            session.refresh_uploads()  # the files waiting to go show before the next sync
        pictures = media.grid_pictures(store, rows, session, fetch_limit=FETCH_PER_LOAD)
        shown = [Shown(row, data) for row, data in zip(rows, pictures, strict=True)]
        return detail.intervention.status, shown

    async def load(self) -> None:
        read = await self.ctx.call(self._read)
        if read is None:
            return
        self.status, self.items = read
        self.add_box.visible = self.status != S.CANCELLED
        self.camera_box.visible = offers_camera(page_of(self.root), unknown=True)
        self.uploads.reset()
        self.groups.controls = self._groups()
        self.uploads.follow()

    async def _reload(self) -> None:
        await self.load()
        if self.root is not None:
            refresh(self.root)

    def _groups(self) -> list[ft.Control]:
        tr = self.ctx.tr
        groups = []
        for phase in PHASES:
            indexed = [(i, s) for i, s in enumerate(self.items) if s.row.phase == phase]
            if not indexed:
                continue
            tiles = [self._tile(i, s) for i, s in indexed]
            groups.append(
                tagged(
                    f"media-group-{phase}",
                    ft.Column(
                        [
                            subtitle(tr(f"media.group.{phase}", count=len(indexed))),
                            ft.Row(tiles, wrap=True, spacing=8, run_spacing=8),
                        ],
                        spacing=8,
                    ),
                )
            )
        return groups or [muted(tr("media.empty"), "media-empty")]

    def _picture(self, data: bytes | None, *, fit=ft.BoxFit.COVER, **size) -> ft.Control:
        if data is None:
            return ft.Container(
                ft.Column(
                    [ft.Icon(ft.Icons.CLOUD_DOWNLOAD_OUTLINED, size=32),
                     ft.Text(self.ctx.tr("media.not_here"), size=13, text_align="center")],
                    alignment=ft.MainAxisAlignment.CENTER,
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                ),
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST, alignment=ft.Alignment.CENTER,
                **size,
            )  # fmt: skip
        return ft.Image(src=data, fit=fit, **size)

    def _tile(self, index: int, shown: Shown) -> ft.Control:
        row = shown.row
        layers = [self._picture(shown.thumbnail, width=TILE, height=TILE)]
        if row.kind == "video":
            layers.append(
                ft.Container(
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.PLAY_CIRCLE_FILL, color=ft.Colors.WHITE, size=22),
                            ft.Text(_duration(row.duration_s), color=ft.Colors.WHITE, size=13),
                        ],
                        spacing=4,
                    ),
                    bgcolor=ft.Colors.with_opacity(0.55, ft.Colors.BLACK),
                    padding=ft.Padding.symmetric(horizontal=6, vertical=2),
                    left=4,
                    bottom=4,
                    border_radius=6,
                )
            )
        layers.append(self.uploads.slot(index, row.id))
        caption = row.caption or ""
        return tagged(
            f"media-{index}",
            ft.Container(
                ft.Column(
                    [ft.Stack(layers, width=TILE, height=TILE),
                     ft.Text(caption, size=13, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS,
                             width=TILE)],
                    spacing=4,
                ),
                on_click=self._tapped,
                data=index,
                border_radius=8,
                ink=True,
            ),
            button=True,
        )  # fmt: skip

    # --- adding -------------------------------------------------------------------------------

    async def _phase_chosen(self, e: ft.Event[ft.SegmentedButton]) -> None:
        self.phase = e.control.selected[0] if e.control.selected else "other"

    async def _pick(self, e: ft.Event) -> None:
        picked = await ft.FilePicker().pick_files(
            dialog_title=self.ctx.tr("media.add"),
            file_type=ft.FilePickerFileType.MEDIA,
            allow_multiple=True,
            with_data=True,
        )
        if picked:
            await self.import_picked([(f.name, f.bytes or b"") for f in picked])

    async def _camera(self, e: ft.Event) -> None:
        tr = self.ctx.tr

        async def taken(name: str, data: bytes) -> None:
            await self.import_picked([(name, data)], source="camera")

        self.camera = CameraCapture(tr, tr(f"media.phase.{self.phase}"), taken)
        await self.camera.open(e.page)

    async def import_picked(self, picked: list[tuple[str, bytes]], source: str = "gallery") -> None:
        """Import the files (name, bytes) into the chosen phase, off the UI loop."""
        ctx, tr = self.ctx, self.ctx.tr
        self.progress.value = tr("media.importing", count=len(picked))
        self.progress.visible = True
        self.add_button.disabled = True
        refresh(self.add_box)

        def run():
            media = ctx.services.media
            return media.import_picked(
                ctx.intervention_id, picked, ctx.who, store=media.device_store(),
                phase=self.phase, source=source,
            )  # fmt: skip

        results = await ctx.call(run)
        self.add_button.disabled = False
        self.progress.visible = False
        if results is not None:
            refused = [r for r in results if not r.ok]
            summary = tr("media.imported", added=len(results) - len(refused), refused=len(refused))
            lines = [summary, *(tr.error(r.error).split("\n")[0] for r in refused)]
            ctx.notify("\n".join(lines), bool(refused))
            await self._reload()
            await ctx.changed()  # the report's photos
        else:
            refresh(self.add_box)

    async def _dropbox(self, e: ft.Event) -> None:
        self.dropbox = DropboxPicker(self.ctx, on_import=self.import_dropbox)
        await self.dropbox.open(e.page)

    async def import_dropbox(self, entries: list) -> list | None:
        """Download and import the Dropbox files ``entries`` into the chosen phase."""
        ctx, tr = self.ctx, self.ctx.tr

        def run():
            media = ctx.services.media
            return media.import_dropbox(
                ctx.intervention_id, entries, ctx.who, store=media.device_store(), phase=self.phase
            )

        results = await ctx.call(run)
        if results is not None:
            refused = [r for r in results if not r.ok]
            if len(refused) < len(results):
                ctx.notify(tr("media.imported", added=len(results) - len(refused),
                              refused=len(refused)), bool(refused))  # fmt: skip
                await self._reload()
                await ctx.changed()
        return results

    # --- viewer -------------------------------------------------------------------------------

    def _viewer_content(self, index: int, data: bytes | None) -> ft.Control:
        """The viewer for media ``index``; ``data``: the photo to show (``_full``, read off
        the UI loop), None for a video or a photo not on this device."""
        tr = self.ctx.tr
        shown = self.items[index]
        row = shown.row
        editable = self.status not in CLOSED
        picture = ft.InteractiveViewer(
            content=self._picture(data or shown.thumbnail, fit=ft.BoxFit.CONTAIN, height=420),
            min_scale=1, max_scale=5,
        )  # fmt: skip
        phase = ft.SegmentedButton(
            segments=[ft.Segment(value=p, label=tr(f"media.phase.{p}")) for p in PHASES],
            selected=[row.phase], disabled=not editable, show_selected_icon=False,
        )  # fmt: skip
        caption = ft.TextField(
            label=tr("media.caption"), value=row.caption, disabled=not editable, text_size=16
        )

        async def save(e):
            await self._save(row.id, phase.selected[0], caption.value or "")

        async def delete(e):
            await self._delete(row.id)

        async def annotate(e):
            await self._annotate(index)

        shown_media = ft.GestureDetector(content=picture, on_horizontal_drag_end=self._swiped)
        if row.kind == "video":  # its own module: player, frame to annotate, notes, clip
            self.video = VideoViewer(
                self.ctx, row, editable=editable, width=self._box_width(16 / 9),
                on_still=self._annotate_row, on_changed=self._after_change,
            )  # fmt: skip
            shown_media = self.video.build()
        controls = [
            shown_media,
            muted(self._meta(row)),
            tagged("media-viewer-phase", phase),
            tagged("media-viewer-caption", caption),
        ]
        if editable:
            controls.append(
                ft.Row(
                    [
                        big_button("media-viewer-save", tr("action.save"), save),
                        *(
                            [
                                big_button(
                                    "media-viewer-annotate",
                                    tr("media.annotate"),
                                    annotate,
                                    icon=ft.Icons.DRAW_OUTLINED,
                                    filled=False,
                                )
                            ]
                            if row.kind == "photo" and data is not None
                            else []
                        ),
                        big_button(
                            "media-viewer-delete",
                            tr("media.delete"),
                            delete,
                            icon=ft.Icons.DELETE_OUTLINE,
                            filled=False,
                        ),
                    ],
                    wrap=True,
                    spacing=10,
                )
            )
        return tagged("media-viewer", ft.Column(controls, spacing=10, tight=True, width=640))

    async def _full_async(self, index: int) -> bytes | None:
        try:
            return await asyncio.to_thread(self._full, self.items[index].row)
        except Exception:  # a damaged file: the viewer shows the thumbnail instead
            log.warning("media %s not readable", self.items[index].row.id, exc_info=True)
            return None

    def _full(self, row, *, drawn: bool = True) -> bytes | None:
        """The stored photo (downloaded first if this device lacks it), with its drawings
        unless ``drawn`` is False. Blocking: call it in a worker thread."""
        if row.kind != "photo":
            return None
        media = self.ctx.services.media
        store = media.device_store()
        media.fetch(store, row.blob_sha256, self.ctx.services.session)  # on demand
        return (
            media.picture(store, row, full=True)
            if drawn
            else media.read_blob(store, row.blob_sha256)
        )

    def _meta(self, row) -> str:
        tr = self.ctx.tr
        when = row.taken_at or row.created_at
        text = tr("media.meta", date=tr.long_date(when.date()), time=tr.time(when))
        if row.kind == "video":
            text += " · " + tr("media.video", duration=_duration(row.duration_s))
        return text

    async def _tapped(self, e: ft.Event) -> None:
        await self._open(e, e.control.data)

    async def _open(self, e: ft.Event, index: int) -> None:
        tr = self.ctx.tr
        self.viewer_index = index

        async def close(ev):
            ev.page.pop_dialog()

        async def previous(ev):
            await self._show(self.viewer_index - 1)

        async def following(ev):
            await self._show(self.viewer_index + 1)

        self.viewer_actions = [
            tagged("media-viewer-previous", ft.IconButton(ft.Icons.CHEVRON_LEFT,
                   on_click=previous, tooltip=tr("media.previous")), button=True),
            tagged("media-viewer-next", ft.IconButton(ft.Icons.CHEVRON_RIGHT,
                   on_click=following, tooltip=tr("media.next")), button=True),
            tagged("media-viewer-close", ft.TextButton(tr("action.close"), on_click=close),
                   button=True),
        ]  # fmt: skip
        self.editor = None
        self._stop_video()  # a viewer closed without its dismiss event
        self.viewer = ft.AlertDialog(
            content=self._viewer_content(index, await self._full_async(index)),
            actions=self.viewer_actions,
            on_dismiss=self._viewer_closed,
            scrollable=self.video is not None,  # a video's tools are taller than a phone
        )
        e.page.show_dialog(self.viewer)
        await self._load_video(e.page)

    async def _show(self, index: int) -> None:
        if self.viewer is None or not self.items:
            return
        self.viewer_index = index % len(self.items)
        data = await self._full_async(self.viewer_index)
        self._stop_video()
        self.viewer.content = self._viewer_content(self.viewer_index, data)
        self.viewer.actions = self.viewer_actions
        self.viewer.scrollable = self.video is not None
        self.editor = None
        refresh(self.viewer)
        await self._load_video(self.root.page if self.root is not None else None)

    async def _load_video(self, page) -> None:
        if self.video is not None:
            await self.video.load(page)

    def _stop_video(self) -> None:
        if self.video is not None:
            self.video.stop()
        self.video = None

    async def _viewer_closed(self, e=None) -> None:
        self._stop_video()

    async def _swiped(self, e: ft.DragEndEvent) -> None:
        velocity = getattr(e, "primary_velocity", None) or 0
        if abs(velocity) >= SWIPE_VELOCITY:
            await self._show(self.viewer_index + (1 if velocity < 0 else -1))

    async def _save(self, attachment_id: str, phase: str, caption: str) -> None:
        ctx = self.ctx
        done = await ctx.call(
            ctx.services.media.update, attachment_id, ctx.who, phase=phase, caption=caption,
            saved="media.saved",
        )  # fmt: skip
        if done is not None:
            await self._after_change()

    async def _delete(self, attachment_id: str) -> None:
        ctx = self.ctx

        def run():
            ctx.services.media.delete(attachment_id, ctx.who)
            return True

        if await ctx.call(run, saved="media.deleted"):
            await self._after_change()

    async def _annotate(self, index: int) -> None:
        await self._annotate_row(self.items[index].row, index)

    async def _annotate_row(self, row, index: int | None = None) -> None:
        """Swap the viewer's content for the photo editor (the same dialog); ``row``: a photo
        (a still just taken from a video: ``index`` None, "Annuler" closes the viewer)."""
        photo = await asyncio.to_thread(self._full, row, drawn=False)
        if photo is None or self.viewer is None:
            return
        ctx = self.ctx

        async def saved(layer: dict) -> None:
            done = await ctx.call(
                ctx.services.media.annotate, row.id, ctx.who, layer, saved="media.annotated"
            )
            if done is not None:
                await self._after_change()

        async def cancelled() -> None:
            if index is None:
                await self._after_change()  # the still is kept, without drawings
            else:
                await self._show(index)

        self.editor = PhotoEditor(
            ctx.tr, photo, (row.width or 4, row.height or 3), row.annotations,
            on_save=saved, on_cancel=cancelled,
            box_width=self._box_width((row.width or 4) / (row.height or 3)),
        )  # fmt: skip
        self._stop_video()
        self.viewer.content = self.editor.build()
        self.viewer.actions = []
        self.viewer.scrollable = False  # a scrolling parent would take the pen's drags
        refresh(self.viewer)

    def _box_width(self, aspect: float) -> float:
        """The editor's photo box: the dialog's width, and short enough that the tools and
        "Enregistrer" stay on screen (about 330 px below the photo)."""
        page = self.root.page if self.root is not None else None
        width = getattr(page, "width", None) or 1024
        height = getattr(page, "height", None) or 768
        return max(200, min(640, width - 120, (height - 360) * aspect))

    async def _after_change(self) -> None:
        self._stop_video()
        if self.viewer is not None:  # closed by itself: a snack bar may be above it
            self.viewer.open = False
            refresh(self.viewer)
        self.viewer = None
        await self._reload()
        await self.ctx.changed()


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "–"
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"
