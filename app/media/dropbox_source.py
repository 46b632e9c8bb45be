"""Dropbox as a media source, through the official ``dropbox`` SDK.

Sign-in is OAuth 2 with PKCE (``start_link`` / ``finish_link``): no app secret on the device;
the long-lived refresh token is kept in ``<data-dir>/dropbox.json`` (``TokenFile``) and can be
revoked from the settings (``unlink``). ``DropboxSource`` browses folders (every page of a
listing), fetches thumbnails, and downloads chosen files into a folder of the caller's, for
the ingest pipeline. An expired access token is refreshed by the SDK on its own. Failures
become typed errors that say what to do: no network (the selection is kept, try again), a
revoked or refused link (link Dropbox again in the settings), a file gone since it was listed.

Everything here blocks on the network: views call it off the UI loop. The tests reach a
local fake Dropbox server over HTTPS through the SDK's own ``DROPBOX_API_HOST`` /
``DROPBOX_API_CONTENT_HOST`` / ``DROPBOX_WEB_HOST`` variables and requests' standard
``REQUESTS_CA_BUNDLE`` (with requests >= 2.32 the SDK's ``ca_certs`` argument is replaced by
requests' default bundle when it verifies; a company proxy with its own CA needs the same).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.errors import ConfigError, NotFoundError, TerrainError, TransportError

TOKEN_FILE = "dropbox.json"
MEDIA_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".gif", ".tif", ".tiff",
                  ".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".3gp"}  # fmt: skip
THUMB_BATCH = 25  # the API's limit for get_thumbnail_batch


class DropboxError(TerrainError):
    hint = "Try again; your selection is kept."


class DropboxOfflineError(DropboxError, TransportError):
    hint = "Check the network, then try again: the files you chose are kept."


class DropboxLinkError(DropboxError):
    hint = "Link Dropbox again in Réglages (the previous link was revoked or has expired)."


class DropboxGoneError(DropboxError, NotFoundError):
    hint = "The file was moved or deleted in Dropbox since it was listed: refresh the folder."


@dataclass(frozen=True)
class Entry:
    name: str
    path: str  # path_lower: what the API takes
    is_folder: bool
    size: int = 0
    modified: datetime | None = None

    @property
    def is_media(self) -> bool:
        return not self.is_folder and Path(self.name).suffix.lower() in MEDIA_SUFFIXES


@dataclass(frozen=True)
class TokenFile:
    """Where the device keeps its Dropbox link (refresh token and account), and only that."""

    path: Path

    @classmethod
    def in_dir(cls, data_dir: Path | str) -> TokenFile:
        return cls(Path(data_dir) / TOKEN_FILE)

    def read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("refresh_token") else None

    def write(self, refresh_token: str, account_id: str) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"refresh_token": refresh_token, "account_id": account_id}))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


def _app_key(app_key: str | None) -> str:
    key = app_key or os.environ.get("TERRAIN_DROPBOX_APP_KEY", "")
    if not key:
        raise ConfigError(
            "No Dropbox app key is configured.",
            hint="Set TERRAIN_DROPBOX_APP_KEY to the company's Dropbox app key (no secret).",
        )
    return key


def start_link(app_key: str | None = None, *, ca_certs: str | None = None):
    """(flow, authorize URL): open the URL, the user allows Terrain and copies the code."""
    import dropbox

    flow = dropbox.DropboxOAuth2FlowNoRedirect(
        _app_key(app_key), use_pkce=True, token_access_type="offline", ca_certs=ca_certs
    )
    return flow, flow.start()


def finish_link(flow, code: str, tokens: TokenFile) -> str:
    """Exchange the code the user copied; keeps the refresh token; returns the account id."""
    import dropbox

    try:
        result = _call(flow.finish, (code or "").strip())
    except dropbox.oauth.NotApprovedException as exc:
        raise DropboxLinkError("Dropbox access was not allowed.") from exc
    tokens.write(result.refresh_token, result.account_id)
    return result.account_id


class DropboxSource:
    def __init__(
        self,
        tokens: TokenFile,
        app_key: str | None = None,
        *,
        ca_certs: str | None = None,
        timeout: float = 30,
    ) -> None:
        import dropbox

        link = tokens.read()
        if link is None:
            raise DropboxLinkError("Dropbox is not linked on this device.")
        self.tokens = tokens
        self.client = dropbox.Dropbox(
            oauth2_refresh_token=link["refresh_token"],
            app_key=_app_key(app_key),
            ca_certs=ca_certs,
            timeout=timeout,
            max_retries_on_error=1,
        )

    def list_folder(self, path: str = "") -> list[Entry]:
        """Folders first, then files, by name; every page of the listing."""
        from dropbox.files import FolderMetadata

        page = _call(self.client.files_list_folder, path)
        entries = list(page.entries)
        while page.has_more:
            page = _call(self.client.files_list_folder_continue, page.cursor)
            entries.extend(page.entries)
        found = [
            Entry(
                name=e.name,
                path=e.path_lower,
                is_folder=isinstance(e, FolderMetadata),
                size=getattr(e, "size", 0) or 0,
                modified=getattr(e, "client_modified", None),
            )
            for e in entries
        ]
        return sorted(found, key=lambda e: (not e.is_folder, e.name.lower()))

    def thumbnail(self, path: str) -> bytes | None:
        """A small JPEG of the file, or None when Dropbox has none (videos, odd formats)."""
        from dropbox.files import PathOrLink, ThumbnailFormat, ThumbnailSize

        try:
            _meta, response = _call(
                self.client.files_get_thumbnail_v2,
                PathOrLink.path(path),
                format=ThumbnailFormat.jpeg,
                size=ThumbnailSize.w256h256,
            )
        except (DropboxOfflineError, DropboxLinkError):
            raise
        except DropboxError:  # gone, or no thumbnail for this kind of file: an icon instead
            return None
        with response:
            return response.content

    def download(self, entry: Entry, folder: Path) -> Path:
        """The file, downloaded under its own name in ``folder``."""
        target = Path(folder) / Path(entry.name).name
        _call(self.client.files_download_to_file, str(target), entry.path)
        return target

    def unlink(self) -> None:
        """Revoke the link at Dropbox (if reachable) and forget it on this device."""
        try:
            _call(self.client.auth_token_revoke)
        except (DropboxOfflineError, DropboxLinkError):
            pass  # forgotten here anyway: a revoked or unreachable link is useless
        finally:
            self.tokens.delete()


def _call(fn, *args, **kwargs):
    """Run an SDK call; its failures as the typed errors above."""
    import dropbox
    import requests

    try:
        return fn(*args, **kwargs)
    except dropbox.exceptions.AuthError as exc:
        raise DropboxLinkError(f"Dropbox refused the link ({exc.error}).") from exc
    except dropbox.oauth.BadRequestException as exc:
        raise DropboxLinkError(f"Dropbox refused the code ({exc}).") from exc
    except dropbox.exceptions.ApiError as exc:
        error = exc.error
        gone = any(
            callable(getattr(error, f"is_{name}", None))
            and getattr(error, f"is_{name}")()
            and getattr(getattr(error, f"get_{name}")(), "is_not_found", lambda: False)()
            for name in ("path", "path_lookup")
        )
        if gone:
            raise DropboxGoneError(f"Not in Dropbox any more ({exc.error}).") from exc
        raise DropboxError(f"Dropbox refused the request ({exc.error}).") from exc
    except dropbox.exceptions.HttpError as exc:
        raise DropboxError(f"Dropbox answered {exc.status_code}.") from exc
    except requests.HTTPError as exc:  # the OAuth endpoints: a refused code or refresh token
        status = exc.response.status_code if exc.response is not None else 0
        if status in (400, 401):
            raise DropboxLinkError(f"Dropbox refused the link ({status}).") from exc
        raise DropboxError(f"Dropbox answered {status}.") from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise DropboxOfflineError("Dropbox cannot be reached (no network?).") from exc
