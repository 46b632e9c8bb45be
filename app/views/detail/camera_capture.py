""" "Prendre une photo": the camera's preview in a dialog and a shutter (``flet-camera``).

Offered on phones, tablets and in the browser (``offers_camera``); ``flet-camera`` has no
desktop implementation. The dialog lists the cameras, opens the back one (else the first),
and "Déclencher" takes a JPEG that goes, as bytes, to ``on_picture`` (the Médias section
imports it through the same ingest pipeline as the gallery, off the UI loop, into the
chosen phase). No camera, or access refused (by the user or the browser): the dialog says
so and what to do, and the other sources stay usable.

Test ids: camera-dialog, camera-status, camera-shoot, camera-switch, camera-close.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import flet as ft
import flet_camera as fc

from app import clock
from app.i18n import Translator
from app.views.detail.blocks import refresh
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET

log = logging.getLogger(__name__)

PREVIEW = (320, 240)  # logical px: fits a phone's dialog; the picture itself is larger


def offers_camera(page: ft.Page | None, *, unknown: bool = False) -> bool:
    """The camera is offered in the browser and on Android / iOS (not on desktops);
    ``unknown``: the answer while the page is not known yet."""
    if page is None:
        return unknown
    return bool(page.web) or page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)


def page_of(control: ft.Control | None) -> ft.Page | None:
    """The page ``control`` is on, None if it is not on one (yet)."""
    try:
        return control.page if control is not None else None
    except RuntimeError:
        return None


def problem(error: BaseException | None) -> str:
    """What kind of camera failure ``error`` is: "denied", "none" or "failed"."""
    text = str(error or "").lower()
    if any(w in text for w in ("denied", "notallowed", "permission", "not granted")):
        return "denied"
    if error is None or any(w in text for w in ("notfound", "not found", "no camera")):
        return "none"
    return "failed"


class CameraCapture:
    def __init__(
        self,
        tr: Translator,
        phase_label: str,
        on_picture: Callable[[str, bytes], Awaitable[None]],
        *,
        ready_text: str | None = None,
    ) -> None:
        self.tr = tr
        self.phase_label = phase_label
        self.ready_text = ready_text  # what "ready" says (default: the phase it goes into)
        self.on_picture = on_picture
        self.camera: fc.Camera | None = None
        self.cameras: list[fc.CameraDescription] = []
        self.current = 0
        self.dialog: ft.AlertDialog | None = None
        self.status = ft.Text(tr("camera.starting"), size=15)
        self.shoot = ft.FilledButton(
            content=tr("camera.shoot"), icon=ft.Icons.CAMERA, on_click=self._shoot,
            disabled=True, height=TOUCH_TARGET,
        )  # fmt: skip
        self.switch = ft.IconButton(
            ft.Icons.CAMERASWITCH_OUTLINED, tooltip=tr("camera.switch"), on_click=self._switch
        )
        self.switch_box = tagged("camera-switch", self.switch, button=True, visible=False)
        self.error: str | None = None  # "denied", "none", "failed" once it failed

    async def open(self, page: ft.Page) -> None:
        tr = self.tr
        self.camera = fc.Camera(width=PREVIEW[0], height=PREVIEW[1], preview_enabled=True)
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(tr("camera.title")),
            content=tagged(
                "camera-dialog",
                ft.Column(
                    [
                        tagged("camera-status", self.status, live_region=True),
                        ft.Container(self.camera, width=PREVIEW[0], height=PREVIEW[1],
                                     bgcolor=ft.Colors.BLACK, border_radius=8),
                    ],
                    tight=True, spacing=10, width=PREVIEW[0],
                ),
            ),
            actions=[
                self.switch_box,
                tagged("camera-close", ft.TextButton(tr("action.close"), on_click=self._close),
                       button=True),
                tagged("camera-shoot", self.shoot, button=True),
            ],
        )  # fmt: skip
        page.show_dialog(self.dialog)
        await self._start()

    async def _start(self) -> None:
        camera = self.camera
        try:
            self.cameras = await camera.get_available_cameras()
            if not self.cameras:
                self._failed(None)
                return
            back = [
                i for i, c in enumerate(self.cameras)
                if c.lens_direction == fc.CameraLensDirection.BACK
            ]  # fmt: skip
            self.current = back[0] if back else 0
            await self._initialize()
        except Exception as err:  # the browser or the phone refused, or has no camera
            self._failed(err)

    async def _initialize(self) -> None:
        await self.camera.initialize(
            self.cameras[self.current], fc.ResolutionPreset.VERY_HIGH, enable_audio=False
        )
        self.status.value = self.ready_text or self.tr("camera.ready", phase=self.phase_label)
        self.shoot.disabled = False
        self.switch_box.visible = len(self.cameras) > 1
        self._update()

    def _failed(self, err: BaseException | None) -> None:
        tr = self.tr
        self.error = problem(err)
        log.info("camera unavailable (%s): %s", self.error, err)
        if self.error == "denied":
            text = f"{tr('camera.denied')}\n{tr('camera.denied_help')}"
        elif self.error == "none":
            text = tr("camera.none")
        else:
            text = tr("camera.failed", reason=str(err)[:120])
        self.status.value = f"{text}\n{tr('camera.other_sources')}"
        self.status.color = ft.Colors.ERROR
        self.shoot.disabled = True
        self._update()

    async def _shoot(self, e: ft.Event | None = None) -> None:
        if self.camera is None or self.shoot.disabled:
            return
        self.shoot.disabled = True
        self.status.value = self.tr("camera.saving")
        self._update()
        try:
            data = await self.camera.take_picture()
        except Exception as err:
            self._failed(err)
            return
        self._close_dialog()
        name = f"photo-{clock.now():%Y%m%d-%H%M%S}.jpg"
        await self.on_picture(name, bytes(data or b""))

    async def _switch(self, e: ft.Event | None = None) -> None:
        if len(self.cameras) < 2:
            return
        self.current = (self.current + 1) % len(self.cameras)
        self.shoot.disabled = True
        self._update()
        try:
            await self._initialize()
        except Exception as err:
            self._failed(err)

    async def _close(self, e: ft.Event | None = None) -> None:
        self._close_dialog()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.open = False
            refresh(self.dialog)

    def _update(self) -> None:
        if self.dialog is not None:
            refresh(self.dialog)
