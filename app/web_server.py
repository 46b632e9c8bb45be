"""The app's web server in web mode: Flet's own FastAPI app, plus the video links.

``ft.run(view=WEB_BROWSER)`` serves only Flet (the client, the assets, the WebSocket); a
browser-side video player needs a URL for a file of this device. So web mode mounts Flet's
app (``flet_web.fastapi.app``, the documented way to host a Flet app in FastAPI) under an
outer app that also answers ``GET /media-files/<token>/<name>`` from
``app.media.video_links.LINKS`` (a file response: HTTP ranges, so the browser can seek),
and runs it with uvicorn as ``ft.run`` does (same WebSocket implementation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.media.video_links import LINKS, PREFIX, VideoLinks

log = logging.getLogger(__name__)


def web_app(main: Callable, *, assets_dir: str, links: VideoLinks = LINKS):
    """The ASGI app: video links first, then everything Flet serves."""
    import flet_web.fastapi as flet_fastapi
    from starlette.responses import FileResponse, Response

    from app import flet_sessions

    flet_sessions.install()
    outer = flet_fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @outer.get(PREFIX + "/{token}/{name}")
    async def video_file(token: str, name: str):
        link = links.resolve(token)
        if link is None:
            return Response(status_code=404)
        return FileResponse(
            link.path, media_type=link.mime_type, headers={"Cache-Control": "private, max-age=0"}
        )

    outer.mount("/", flet_fastapi.app(main, assets_dir=assets_dir, no_cdn=True))
    return outer


def serve(main: Callable, *, host: str, port: int, assets_dir: str) -> None:
    """Serve the app until interrupted (SIGINT / SIGTERM)."""
    import uvicorn

    uvicorn.run(
        web_app(main, assets_dir=assets_dir), host=host, port=port, log_level="warning",
        ws="websockets-sansio",
    )  # fmt: skip
