"""The device's media storage: what the files use, freeing the originals head office holds,
and the bounded cache of media downloaded from head office (no Flet here).

Nothing is ever lost: a file leaves this device only when head office confirmed it holds it
(recorded in the ledger when the blob step or a download heard so, ``app.sync.blob_ledger``,
or asked now), and never while a pending row still needs it sent.

- ``usage``: bytes (and files) of originals, stored photos and videos, thumbnails (the
  annotated renders with them), the download cache and other files (signatures, PDFs).
- ``free_originals``: delete the kept originals head office holds ("Libérer les originaux
  envoyés"); the photo shown and put in the reports is the stored one, which stays.
- The download cache: media of other devices fetched on demand (``media_service.fetch``)
  are recorded as cache; past the limit (``app.config.media_cache_bytes``, 300 MB) the
  least recently shown are deleted (downloaded again when needed). Own files are never in
  the cache.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.config import media_cache_bytes
from app.media.blob_store import SHA256_RE, BlobStore
from app.media.render_cache import RenderCache
from app.models import Attachment
from app.sync import blob_ledger
from app.sync.blobs import pending_blob_refs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Use:
    bytes: int = 0
    files: int = 0


@dataclass(frozen=True)
class StorageUse:
    originals: Use
    photos: Use  # the stored photos and videos (what the app shows and sends)
    thumbnails: Use  # thumbnails and annotated renders
    cache: Use  # downloaded from head office (other devices' media)
    other: Use  # signatures, PDFs, files no media references
    freeable: Use  # originals head office confirmed holding
    cache_limit: int

    @property
    def total(self) -> int:
        return sum(
            u.bytes for u in (self.originals, self.photos, self.thumbnails, self.cache, self.other)
        )


@dataclass(frozen=True)
class Freed:
    files: int = 0
    bytes: int = 0
    kept: int = 0  # candidates kept: head office did not confirm holding them
    kept_names: list[str] = field(default_factory=list, repr=False)


def _on_disk(store: BlobStore) -> dict[str, int]:
    """sha256 -> size of every blob in the store (the temporary folder left out)."""
    found: dict[str, int] = {}
    if not store.root.is_dir():
        return found
    for folder, dirs, files in os.walk(store.root):
        if Path(folder) == store.root:
            dirs[:] = [d for d in dirs if d != "tmp"]
        for name in files:
            if SHA256_RE.fullmatch(name):
                try:
                    found[name] = (Path(folder) / name).stat().st_size
                except OSError:
                    continue
    return found


def _references() -> tuple[set[str], set[str], set[str]]:
    """(originals, stored photos and videos, thumbnails) any media row references."""
    originals, photos, thumbs = set(), set(), set()
    query = Attachment.select(
        Attachment.original_sha256, Attachment.blob_sha256, Attachment.thumb_sha256
    ).tuples()
    for original, blob, thumb in query:
        originals.update([original] if original else [])
        photos.update([blob] if blob else [])
        thumbs.update([thumb] if thumb else [])
    return originals, photos, thumbs


def _sum(sizes: dict[str, int], shas: Iterable[str]) -> Use:
    picked = [sizes[s] for s in shas if s in sizes]
    return Use(sum(picked), len(picked))


def usage(store: BlobStore) -> StorageUse:
    """What the device's media files use, by kind (reads the disk: off the UI loop)."""
    sizes = _on_disk(store)
    cache = {m.sha256 for m in blob_ledger.cached()} & sizes.keys()
    originals, photos, thumbs = _references()
    own_originals = (originals - photos - thumbs - cache) & sizes.keys()
    own_photos = (photos - cache - own_originals) & sizes.keys()
    own_thumbs = (thumbs - cache - own_originals - own_photos) & sizes.keys()
    other = sizes.keys() - cache - own_originals - own_photos - own_thumbs
    renders = RenderCache.beside(store.root)
    thumb_use = _sum(sizes, own_thumbs)
    return StorageUse(
        originals=_sum(sizes, own_originals),
        photos=_sum(sizes, own_photos),
        thumbnails=Use(thumb_use.bytes + renders.size(), thumb_use.files),
        cache=_sum(sizes, cache),
        other=_sum(sizes, other),
        freeable=_sum(sizes, _freeable(own_originals)),
        cache_limit=media_cache_bytes(),
    )


def _freeable(originals: set[str]) -> set[str]:
    unsent = {sha for _t, _i, sha in pending_blob_refs()}
    return blob_ledger.confirmed(originals - unsent)


def free_originals(store: BlobStore, session=None) -> Freed:
    """Delete the originals kept on this device that head office holds. An original not yet
    confirmed is asked about now through ``session`` (``has_blob``) when given; one still
    unconfirmed, or still needed by a pending row, is kept. Returns what was freed."""
    sizes = _on_disk(store)
    originals, photos, thumbs = _references()
    originals = (originals - photos - thumbs - _cached()) & sizes.keys()  # shown ones stay
    unsent = {sha for _t, _i, sha in pending_blob_refs()}
    candidates = originals - unsent
    confirmed = blob_ledger.confirmed(candidates)
    if session is not None:
        asked = set()
        for sha256 in sorted(candidates - confirmed):
            try:
                if session.has_blob(sha256):
                    asked.add(sha256)
            except Exception as err:  # offline: the rest stays until it can be checked
                log.info("cannot ask head office about %s…: %s", sha256[:12], err)
                break
        blob_ledger.confirm(asked)
        confirmed |= asked
    freed = _delete(store, sorted(confirmed), sizes)
    kept = len(originals) - freed.files
    log.info("freed %d original(s), %d bytes; %d kept", freed.files, freed.bytes, kept)
    return Freed(freed.files, freed.bytes, kept)


def _cached() -> set[str]:
    return {m.sha256 for m in blob_ledger.cached()}


def _delete(store: BlobStore, shas: Iterable[str], sizes: dict[str, int]) -> Freed:
    files = total = 0
    for sha256 in shas:
        path = store.locate(sha256)
        if path is None:
            continue
        try:
            path.unlink()
        except OSError:
            log.warning("could not delete %s", path, exc_info=True)
            continue
        files += 1
        total += sizes.get(sha256, 0)
    return Freed(files, total)


# --- the download cache ------------------------------------------------------------------------


def downloaded(
    store: BlobStore, sha256: str, *, limit: int | None = None, enforce: bool = True
) -> Freed:
    """``sha256`` was just downloaded from head office: it joins the cache, which is then
    brought back under its limit (unless ``enforce`` is False)."""
    blob_ledger.record_download(sha256)
    return enforce_cache(store, limit=limit, keep={sha256}) if enforce else Freed()


def shown(shas: Iterable[str | None]) -> None:
    """These files were shown now (the cache keeps the most recently shown)."""
    blob_ledger.touch(s for s in shas if s)


def enforce_cache(store: BlobStore, *, limit: int | None = None, keep: Iterable[str] = ()) -> Freed:
    """Delete the least recently shown cached files until the cache is at most ``limit``
    bytes (default: the configured limit). ``keep`` and files pending rows need are never
    deleted; every cached file is held by head office (it came from there)."""
    limit = media_cache_bytes() if limit is None else limit
    entries = blob_ledger.cached()
    sizes: dict[str, int] = {}
    for entry in entries:
        path = store.locate(entry.sha256)
        if path is not None:
            sizes[entry.sha256] = path.stat().st_size
    total = sum(sizes.values())
    if total <= limit:
        return Freed()
    protected = set(keep) | {sha for _t, _i, sha in pending_blob_refs()}
    evict = []
    for entry in entries:  # least recently shown first
        if total <= limit:
            break
        if entry.sha256 in protected or entry.sha256 not in sizes:
            continue
        evict.append(entry.sha256)
        total -= sizes[entry.sha256]
    freed = _delete(store, evict, sizes)
    blob_ledger.forget(evict)
    log.info("download cache: evicted %d file(s), %d bytes", freed.files, freed.bytes)
    return freed
