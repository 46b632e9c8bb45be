"""``python main.py import-media``: the ingest pipeline from the command line.

For office staff importing a folder and for support reproducing a problem: the files go
through ``media_service.import_files`` exactly as from the app, into the device store of
``--data-dir``, tracked for the next sync. One line per file; exit 1 if any was refused.
"""

from __future__ import annotations

import argparse

from app.errors import NotFoundError
from app.models import Intervention, Technician, User
from app.models.enums import MediaSource, Role


def import_media(args: argparse.Namespace) -> int:
    from app.config import Settings
    from app.media.blob_store import BlobStore
    from app.services import media_service
    from app.services.auth_service import current_user
    from app.sync import tracking
    from app.sync.store import open_device_db

    settings = Settings.for_dir(args.data_dir)
    database = open_device_db(settings.db_path)
    tracking.install()
    try:
        intervention = Intervention.live().where(Intervention.reference == args.intervention)
        intervention = intervention.first()
        if intervention is None:
            raise NotFoundError(
                f"No intervention {args.intervention} in {settings.db_path}.",
                hint="Check the reference (e.g. INT-2026-00042) and the --data-dir.",
            )
        who = current_user(_author(args.user, intervention))
        results = media_service.import_files(
            intervention.id,
            args.files,
            who,
            store=BlobStore(settings.blob_dir),
            phase=args.phase,
            source=MediaSource.GALLERY,
            on_file=_print,
        )
    finally:
        database.close()
    refused = sum(not r.ok for r in results)
    print(f"{len(results) - refused} added, {refused} refused, to {intervention.reference}")
    return 1 if refused else 0


def _print(result) -> None:
    if result.ok:
        row = result.attachment
        size = f"{row.width}x{row.height}" if row.width else ""
        print(f"ok       {result.name}: {row.kind} {size} {row.size_bytes} bytes ({row.id})")
    else:
        print(f"refused  {result.name}: {result.error.message} {result.error.hint}")


def _author(username: str | None, intervention: Intervention) -> User:
    if username:
        user = User.live().where(User.username == username).first()
        if user is None:
            raise NotFoundError(f"No user {username} in this store.", hint="Check --user.")
        return user
    if intervention.technician_id:
        technician = Technician.get_or_none(Technician.id == intervention.technician_id)
        if technician is not None and technician.user_id:
            return User.get_by_id(technician.user_id)
    office = User.live().where(User.role.in_((Role.OFFICE, Role.ADMIN))).first()
    if office is None:
        raise NotFoundError("This store has no user to author the media.", hint="Use --user.")
    return office
