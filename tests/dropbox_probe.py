"""Runs the app's Dropbox source in a process of its own, so that the real SDK reads the
fake server's hosts from its environment at import (tests/test_media_dropbox.py).

    python tests/dropbox_probe.py DATA_DIR CA ACTION [ARG...]

Prints one JSON line: {"ok": ...} or {"error": "<class>", "message": ..., "hint": ...}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.errors import TerrainError
from app.media import dropbox_source as dbx


def main(data_dir: str, ca: str, action: str, *args: str):
    tokens = dbx.TokenFile.in_dir(data_dir)
    if action == "link":  # what the user does: open the URL, allow, paste the code
        import requests

        flow, url = dbx.start_link(ca_certs=ca)
        code = requests.get(url, verify=ca, timeout=10).text
        return dbx.finish_link(flow, code, tokens)
    source = dbx.DropboxSource(tokens, ca_certs=ca, timeout=5)
    if action == "list":
        return [[e.name, e.path, e.is_folder, e.size, e.is_media]
                for e in source.list_folder(args[0])]  # fmt: skip
    if action == "thumbnail":
        data = source.thumbnail(args[0])
        return None if data is None else len(data)
    if action == "download":
        entries = {e.path: e for e in source.list_folder(args[0])}
        return [str(source.download(entries[p], Path(args[1]))) for p in args[2:]]
    if action == "download-listed-then-gone":  # listed, then deleted before the download
        entry = next(e for e in source.list_folder(args[0]) if e.path == args[1])
        Path(args[2]).joinpath("go").write_text("")  # tell the test to delete it
        import time

        while Path(args[2]).joinpath("go").exists():
            time.sleep(0.05)
        return str(source.download(entry, Path(args[2])))
    if action == "import":  # media_service.import_dropbox into the device store of data_dir
        from app.models import Intervention, User
        from app.models.database import open_sqlite
        from app.services import media_service
        from app.services.auth_service import current_user

        open_sqlite(Path(data_dir) / "terrain.db")
        job = Intervention.get(Intervention.reference == args[0])
        who = current_user(User.get_by_id(job.technician.user_id))
        listed = {e.path: e for e in source.list_folder(args[1])}
        entries = [listed.get(p) or dbx.Entry(Path(p).name, p, False) for p in args[2:]]
        results = media_service.import_dropbox(
            job.id, entries, who, store=media_service.device_store(), phase="before"
        )
        return [[r.name, r.attachment.source if r.ok else type(r.error).__name__]
                for r in results]  # fmt: skip
    if action == "unlink":
        source.unlink()
        return tokens.read()
    raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    try:
        print(json.dumps({"ok": main(*sys.argv[1:])}))
    except TerrainError as err:
        print(json.dumps({"error": type(err).__name__, "message": err.message, "hint": err.hint}))
