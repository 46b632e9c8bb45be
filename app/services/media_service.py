"""Photos and videos of an intervention: import files through the ingest pipeline, list, tag.

``import_files`` takes a selection (camera, gallery, Dropbox download, command line) and
returns one ``ImportResult`` per file, in order: a refused file stores nothing (no blob, no
row) and the rest of the selection goes on. An accepted file stores its blobs first (photo or
video, thumbnail, original when kept: content-addressed, so a crash between the two leaves at
worst an unreferenced file) and then its ``Attachment`` row, which the sync pushes; the blobs
follow it (sync rule 8, thumbnails first).

Media may be added until the intervention is cancelled: photos taken after the signature are
accepted (head office accepts new attachments while an intervention is signed, from the same
table policy); a media's phase and caption change only while the intervention is editable.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app import clock
from app.errors import NotFoundError, TerrainError, ValidationError
from app.media import annotation, dropbox_source
from app.media.blob_store import BlobStore, default_blob_dir
from app.media.ingest import Ingested, IngestSettings, MediaError, ingest
from app.media.render_cache import RenderCache
from app.models import Attachment, ChecklistAnswer, db
from app.models.enums import MediaKind, MediaPhase, MediaSource
from app.services import storage_service
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, intervention_for_media, load_intervention

log = logging.getLogger(__name__)

MAX_CAPTION = 500


@dataclass(frozen=True)
class ImportResult:
    name: str
    attachment: Attachment | None = None
    error: TerrainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def import_files(
    intervention_id: str,
    paths: Iterable[Path | str],
    who: CurrentUser,
    *,
    store: BlobStore,
    phase: str = MediaPhase.OTHER,
    source: str = MediaSource.GALLERY,
    settings: IngestSettings | None = None,
    on_file: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Ingest and attach each file of ``paths``; see the module docstring."""
    intervention = intervention_for_media(intervention_id, who)
    phase, source = _phase(phase), _source(source)
    results = []
    for path in paths:
        path = Path(path)
        try:
            media = ingest(path, settings or IngestSettings.from_env())
            row = _store(media, intervention.id, who, store, phase, source)
            result = ImportResult(path.name, attachment=row)
        except MediaError as err:
            log.info("media refused: %s", err)
            result = ImportResult(path.name, error=err)
        results.append(result)
        if on_file is not None:
            on_file(result)
    return results


def device_store() -> BlobStore:
    """The blob store next to the device's database (``<data-dir>/blobs``)."""
    root = default_blob_dir()
    if root is None:
        raise ValidationError("This database keeps no files.", key="error.media.no_store")
    return BlobStore(root)


def import_picked(
    intervention_id: str,
    picked: Sequence[tuple[str, bytes]],
    who: CurrentUser,
    *,
    store: BlobStore,
    **options,
) -> list[ImportResult]:
    """``import_files`` for files received as bytes (the browser's file picker): each is
    written under its own name in a private folder of the store, ingested, then removed."""
    intervention_for_media(intervention_id, who)  # refuse before writing anything
    folder = store.root / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        paths = []
        for index, (name, data) in enumerate(picked):
            path = Path(tmp) / str(index) / _safe_name(name)  # messages name the user's file
            path.parent.mkdir()
            path.write_bytes(data or b"")
            paths.append(path)
        results = import_files(intervention_id, paths, who, store=store, **options)
    return [
        ImportResult(name, r.attachment, r.error)
        for (name, _), r in zip(picked, results, strict=True)
    ]


def fetch(store: BlobStore, sha256: str | None, session, *, enforce: bool = True) -> bool:
    """Make sure this device holds the blob ``sha256``: downloaded from head office through
    the signed-in ``session`` when missing (checked against its hash). False when it cannot
    be had now (no session, no network, not at head office yet): the caller shows a
    placeholder and tries again later. A downloaded file joins the bounded download cache
    (``storage_service``), brought back under its limit unless ``enforce`` is False (the
    caller does it once for a batch)."""
    if not sha256:
        return False
    if store.has(sha256):
        return True
    if session is None:
        return False
    try:
        with store.temp_file() as tmp:
            session.get_blob(sha256, tmp)
            store.put_verified(tmp, sha256)
    except TerrainError as err:
        log.info("media %s… not downloaded: %s", sha256[:12], err)
        return False
    storage_service.downloaded(store, sha256, enforce=enforce)
    return True


def grid_pictures(
    store: BlobStore, rows: Sequence[Attachment], session, *, fetch_limit: int = 40
) -> list[bytes | None]:
    """The thumbnails of ``rows`` for the grid, drawings included (rendered once per
    annotation version): missing ones of other devices are downloaded first (at most
    ``fetch_limit`` per call, the rest next time); the cached ones count as shown now."""
    missing = [r for r in rows if r.thumb_sha256 and not store.has(r.thumb_sha256)]
    fetched = [fetch(store, r.thumb_sha256, session, enforce=False) for r in missing[:fetch_limit]]
    storage_service.shown(r.thumb_sha256 for r in rows)
    if any(fetched):  # the cache grew: back under its limit, keeping what this grid shows
        storage_service.enforce_cache(store, keep={r.thumb_sha256 for r in rows})
    return [picture(store, row) for row in rows]


def read_blob(store: BlobStore, sha256: str | None) -> bytes | None:
    """A blob's bytes if this device holds it (media of other devices download on demand)."""
    path = store.locate(sha256) if sha256 else None
    return path.read_bytes() if path is not None else None


def picture(store: BlobStore, row: Attachment, *, full: bool = False) -> bytes | None:
    """What to show of a media: its thumbnail (or, ``full``, the stored photo) with its
    annotations drawn over; None when this device does not hold it. An annotated thumbnail
    is rendered once per annotation version (``render_cache``)."""
    data = read_blob(store, row.blob_sha256 if full else row.thumb_sha256)
    if data is None or not row.annotations:
        return data
    try:
        if full:
            return annotation.render(data, row.annotations)
        cache = renders(store)
        version = cache.version(row.thumb_sha256, row.annotations, annotation.VERSION)
        return cache.get_or_render(
            row.id, version, lambda: annotation.render(data, row.annotations)
        )
    except Exception:  # a damaged file: shown without its drawings rather than not at all
        log.warning("media %s: annotations not drawn", row.id, exc_info=True)
        return data


def renders(store: BlobStore) -> RenderCache:
    """The annotated thumbnails kept next to the blob store (``<data-dir>/renders``)."""
    return RenderCache.beside(store.root)


# --- Dropbox ----------------------------------------------------------------------------------


def dropbox_tokens() -> dropbox_source.TokenFile:
    """Where this device keeps its Dropbox link: next to its database."""
    return dropbox_source.TokenFile.in_dir(device_store().root.parent)


def dropbox_linked() -> bool:
    return dropbox_tokens().read() is not None


def dropbox_start():
    """(flow, URL to open): the user allows Terrain there and copies the code shown."""
    return dropbox_source.start_link()


def dropbox_finish(flow, code: str) -> str:
    return dropbox_source.finish_link(flow, code, dropbox_tokens())


def dropbox_unlink() -> None:
    tokens = dropbox_tokens()
    if tokens.read() is None:
        return
    try:
        dropbox_source.DropboxSource(tokens).unlink()
    except dropbox_source.DropboxError:
        tokens.delete()


def dropbox_list(path: str = "") -> list[dropbox_source.Entry]:
    """Folders and media files of ``path`` (other files are not offered)."""
    entries = dropbox_source.DropboxSource(dropbox_tokens()).list_folder(path)
    return [e for e in entries if e.is_folder or e.is_media]


def dropbox_thumbnail(path: str) -> bytes | None:
    return dropbox_source.DropboxSource(dropbox_tokens()).thumbnail(path)


def import_dropbox(
    intervention_id: str,
    entries: Sequence[dropbox_source.Entry],
    who: CurrentUser,
    *,
    store: BlobStore,
    phase: str = MediaPhase.OTHER,
    on_file: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Download the chosen files and import them (source "dropbox"), one after the other. A
    file gone since it was listed is refused like a bad file. When the network goes, that
    file and the ones not reached yet are answered with the ``DropboxOfflineError`` (nothing
    stored for them): the caller keeps them selected and offers to try again."""
    intervention_for_media(intervention_id, who)
    source = dropbox_source.DropboxSource(dropbox_tokens())
    folder = store.root / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    results: list[ImportResult] = []
    offline: dropbox_source.DropboxOfflineError | None = None
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        for index, entry in enumerate(entries):
            target = Path(tmp) / str(index)
            target.mkdir()
            if offline is not None:
                results.append(ImportResult(entry.name, error=offline))
                continue
            try:
                path = source.download(entry, target)
            except dropbox_source.DropboxGoneError as err:
                result = ImportResult(entry.name, error=err)
            except dropbox_source.DropboxOfflineError as err:
                offline = err
                result = ImportResult(entry.name, error=err)
            else:
                [result] = import_files(intervention_id, [path], who, store=store, phase=phase,
                                        source=MediaSource.DROPBOX)  # fmt: skip
            results.append(result)
            if on_file is not None:
                on_file(result)
    return results


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", Path(name or "file").name)[:80] or "file"


def _store(
    media: Ingested, intervention_id: str, who: CurrentUser, store: BlobStore, phase, source
) -> Attachment:
    thumb = store.put_bytes(media.thumbnail)
    main = store.put_bytes(media.data) if media.data is not None else store.put_file(media.source)
    original = store.put_bytes(media.original) if media.original is not None else None
    with db.atomic():
        return Attachment.create(
            intervention=intervention_id,
            kind=media.kind,
            phase=phase,
            source=source,
            blob_sha256=main,
            thumb_sha256=thumb,
            original_sha256=original,
            mime_type=media.mime_type,
            size_bytes=media.size_bytes,
            width=media.width,
            height=media.height,
            duration_s=media.duration_s,
            taken_at=media.taken_at or clock.now().replace(microsecond=0),
            created_by=who.id,
        )


def for_intervention(intervention_id: str, who: CurrentUser) -> list[Attachment]:
    """The intervention's live media, before, after, then other; oldest first in each."""
    load_intervention(intervention_id, who)
    order = {MediaPhase.BEFORE: 0, MediaPhase.AFTER: 1, MediaPhase.OTHER: 2}
    rows = Attachment.live().where(Attachment.intervention == intervention_id)
    return sorted(rows, key=lambda a: (order.get(a.phase, 3), a.taken_at or a.created_at, a.id))


def update(
    attachment_id: str, who: CurrentUser, *, phase: str | None = None, caption: str | None = None
) -> Attachment:
    """Change a media's phase (before / after / other) or caption."""
    row = _attachment(attachment_id)
    editable_intervention(row.intervention_id, who)
    if phase is not None:
        row.phase = _phase(phase)
    if caption is not None:
        text = caption.strip()
        if len(text) > MAX_CAPTION:
            raise ValidationError(
                f"A caption has at most {MAX_CAPTION} characters.",
                field="caption", key="error.media.caption_too_long", limit=MAX_CAPTION,
            )  # fmt: skip
        row.caption = text
    row.save()
    return row


def annotate(attachment_id: str, who: CurrentUser, layer: object) -> Attachment:
    """Save the photo's annotation layer (the photo itself never changes); an empty layer
    removes the annotations."""
    row = _attachment(attachment_id)
    editable_intervention(row.intervention_id, who)
    if row.kind != MediaKind.PHOTO:
        raise ValidationError(
            "Only photos are annotated; for a video, annotate a still of it.",
            key="error.annotation.not_photo",
        )
    clean = annotation.validate_layer(layer)
    row.annotations = clean if clean["shapes"] else None
    row.save()
    return row


def delete(attachment_id: str, who: CurrentUser) -> None:
    """Remove a media (a tombstone: the deletion syncs like any change). A photo item
    answered with it is unanswered again (its answer cleared, synced too)."""
    row = _attachment(attachment_id)
    editable_intervention(row.intervention_id, who)
    with db.atomic():
        row.deleted = True
        row.save()
        for answer in ChecklistAnswer.live().where(
            (ChecklistAnswer.intervention == row.intervention_id)
            & (ChecklistAnswer.value_text == row.id)
        ):
            answer.value_text = None
            answer.save()


def _attachment(attachment_id: str) -> Attachment:
    row = Attachment.live().where(Attachment.id == attachment_id).first()
    if row is None or row.intervention_id is None:
        raise NotFoundError(f"Media {attachment_id} not found.", key="error.NotFoundError")
    return row


def _phase(value: str) -> MediaPhase:
    try:
        return MediaPhase(value)
    except ValueError:
        raise ValidationError(
            f"Unknown phase {value!r}: before, after or other.",
            field="phase", key="error.media.phase", value=str(value)[:40],
        ) from None  # fmt: skip


def _source(value: str) -> MediaSource:
    try:
        return MediaSource(value)
    except ValueError:
        raise ValidationError(
            f"Unknown media source {value!r}.", field="source", key="error.media.source",
            value=str(value)[:40],
        ) from None  # fmt: skip
