"""Short-lived links to a video on this device, for a player that needs a URL.

In web mode the player runs in the browser (flet-video's web backend is an HTML ``<video>``):
it can only load a URL. The app's own web server (``app.web_server``) answers
``GET /media-files/<token>/<name>`` from this registry, with HTTP ranges (the browser seeks
with them). A token is 32 random bytes, names one file, and expires (``TTL_S``): the blob
store itself is never served, so a link cannot be guessed nor reused for another file.
Native builds (phones, tablets, desktop) play the file's path directly: no link. No Flet.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "/media-files"
TTL_S = 6 * 3600  # a viewer left open over a working day's half
MAX_LINKS = 256  # the oldest go first


@dataclass(frozen=True)
class Link:
    path: Path
    mime_type: str
    expires: float


class VideoLinks:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._links: dict[str, Link] = {}
        self._guard = threading.Lock()

    def publish(self, path: Path | str, mime_type: str, name: str = "video") -> str:
        """The URL path (``/media-files/<token>/<name>``) the browser loads ``path`` from."""
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._guard:
            for old in [t for t, link in self._links.items() if link.expires <= now]:
                del self._links[old]
            while len(self._links) >= MAX_LINKS:
                del self._links[next(iter(self._links))]
            self._links[token] = Link(Path(path), mime_type, now + self.ttl_s)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:60] or "video"
        return f"{PREFIX}/{token}/{safe}"

    def resolve(self, token: str) -> Link | None:
        """The live link of ``token`` whose file still exists; None otherwise."""
        with self._guard:
            link = self._links.get(token)
        if link is None or link.expires <= time.monotonic() or not link.path.is_file():
            return None
        return link


LINKS = VideoLinks()  # one per app process: the web server and the viewers share it
