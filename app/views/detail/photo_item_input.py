"""The input of a photo checklist item: a photo is its answer.

"Prendre une photo" (the camera dialog of the Médias section, ``camera_capture``; offered
where the camera is: the browser, phones, tablets) and "Choisir une photo" (the file
picker, images only, the bytes sent by the browser). The picture goes to ``on_answer`` as a
``PickedPhoto``; the procedure imports it through the photo item service, off the UI loop.
Once answered the item shows the photo's thumbnail, "Choisir une autre photo" and "Retirer la
photo" (``RemovePhoto``: the answer is cleared, the photo stays in Médias).

Test ids (``<ident>`` is ``item-<s>-<i>``): <ident> the input, <ident>-photo the thumbnail,
<ident>-camera, <ident>-pick, <ident>-remove, <ident>-status (what is happening, refusals).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import big_button, refresh
from app.views.detail.camera_capture import CameraCapture, offers_camera, page_of
from app.views.semantic_ids import tagged

THUMB = (160, 120)  # logical px: the ingest's thumbnail is 320 px on its longer side


@dataclass(frozen=True)
class PickedPhoto:
    """A picture for the item: (file name, bytes) from the camera or the file picker."""

    name: str
    data: bytes
    source: str = "gallery"


@dataclass(frozen=True)
class RemovePhoto:
    """Take the photo off the item (the media stays in Médias)."""


class PhotoItemInput:
    def __init__(
        self, tr: Translator, item, ident: str, on_answer: Callable[[object], Awaitable[None]]
    ) -> None:
        self.tr, self.item, self.ident, self.on_answer = tr, item, ident, on_answer
        self.answered = False
        self.camera: CameraCapture | None = None
        self.image = ft.Image(src=b"", width=THUMB[0], height=THUMB[1], fit=ft.BoxFit.COVER,
                              border_radius=8)  # fmt: skip
        self.placeholder = ft.Container(
            ft.Column(
                [ft.Icon(ft.Icons.CLOUD_DOWNLOAD_OUTLINED, size=28),
                 ft.Text(tr("photo_item.not_here"), size=13, text_align=ft.TextAlign.CENTER)],
                alignment=ft.MainAxisAlignment.CENTER,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=4,
            ),
            width=THUMB[0], height=THUMB[1], border_radius=8, padding=6,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST, alignment=ft.Alignment.CENTER,
        )  # fmt: skip
        self.thumb = tagged(f"{ident}-photo", ft.Container(self.image), visible=False)
        self.camera_button = big_button(
            f"{ident}-camera", tr("photo_item.camera"), self._camera,
            icon=ft.Icons.PHOTO_CAMERA_OUTLINED,
        )  # fmt: skip
        self.camera_button.visible = offers_camera(None, unknown=True)
        self.pick_button = big_button(
            f"{ident}-pick", tr("photo_item.pick"), self._pick,
            icon=ft.Icons.PHOTO_LIBRARY_OUTLINED, filled=False,
        )  # fmt: skip
        self.remove_button = big_button(
            f"{ident}-remove", tr("photo_item.remove"), self._remove, icon=ft.Icons.DELETE_OUTLINE,
            filled=False,
        )  # fmt: skip
        self.remove_button.visible = False
        self.status = tagged(
            f"{ident}-status", ft.Text("", size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            visible=False, live_region=True,
        )  # fmt: skip
        buttons = ft.Row(
            [self.camera_button, self.pick_button, self.remove_button], wrap=True, spacing=8,
            run_spacing=8,
        )  # fmt: skip
        self.control = tagged(
            ident,
            ft.Column([self.thumb, buttons, self.status], spacing=8,
                      horizontal_alignment=ft.CrossAxisAlignment.START),
        )  # fmt: skip

    # -- showing -----------------------------------------------------------------------------

    def show(self, answered: bool, picture: bytes | None = None) -> None:
        """The item with its photo (``picture``: its thumbnail, None while this device does not
        hold it) or without one."""
        self.answered = answered
        self.thumb.visible = answered
        if answered:
            self.image.src = picture or b""
            self.thumb.content = self.image if picture else self.placeholder
        self.pick_button.content.content = self.tr(
            "photo_item.replace" if answered else "photo_item.pick"
        )
        self.remove_button.visible = answered
        self.camera_button.visible = offers_camera(page_of(self.control), unknown=True)
        self.camera_button.content.content = self.tr(
            "photo_item.camera_again" if answered else "photo_item.camera"
        )

    def busy(self, text: str | None) -> None:
        """Say what is happening (importing) with the buttons off, or end it (None)."""
        for button in (self.camera_button, self.pick_button, self.remove_button):
            button.content.disabled = text is not None
        self.show_error(text, error=False)

    def show_error(self, text: str | None, *, error: bool = True) -> None:
        self.status.visible = bool(text)
        self.status.content.value = text or ""
        self.status.content.color = ft.Colors.ERROR if error else ft.Colors.ON_SURFACE_VARIANT
        refresh(self.control)

    # -- events ------------------------------------------------------------------------------

    async def _pick(self, e: ft.Event) -> None:
        picked = await ft.FilePicker().pick_files(
            dialog_title=self.item.label,
            file_type=ft.FilePickerFileType.IMAGE,
            allow_multiple=False,
            with_data=True,
        )
        if picked:
            await self.answer(PickedPhoto(picked[0].name, picked[0].bytes or b""))

    async def _camera(self, e: ft.Event) -> None:
        async def taken(name: str, data: bytes) -> None:
            await self.answer(PickedPhoto(name, data, "camera"))

        ready = self.tr("photo_item.camera_ready", label=self.item.label)
        self.camera = CameraCapture(self.tr, self.item.label, taken, ready_text=ready)
        await self.camera.open(e.page)

    async def _remove(self, e: ft.Event) -> None:
        await self.answer(RemovePhoto())

    async def answer(self, raw: object) -> None:
        await self.on_answer(raw)
