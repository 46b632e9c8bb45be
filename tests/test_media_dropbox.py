"""Dropbox through the real ``dropbox`` SDK against a local fake Dropbox over HTTPS (a
throwaway CA): link with PKCE, browse (two pages), thumbnails, download, an expired access
token refreshed on its own, a file gone between listing and download, a revoked link, no
network. The SDK runs in its own process (tests/dropbox_probe.py): it reads the API hosts
from its environment when imported."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_dropbox import FakeDropbox
from media_support import jpeg_with_orientation
from PIL import Image

from app.media.dropbox_source import TOKEN_FILE, TokenFile
from app.media.ingest import ingest

PROBE = Path(__file__).resolve().parent / "dropbox_probe.py"


def probe(dbx: FakeDropbox, data_dir: Path, *args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, str(PROBE), str(data_dir), str(dbx.ca), *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, **dbx.env, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def dbx(tmp_path):
    with FakeDropbox(tmp_path) as fake:
        photo = jpeg_with_orientation(tmp_path / "p.jpg", 6, size=(400, 300)).read_bytes()
        thumb = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(thumb, "JPEG")
        fake.state.files.update({
            "/Chantiers/Martin/avant.jpg": photo,
            "/Chantiers/Martin/apres.JPG": photo,
            "/Chantiers/Martin/devis.pdf": b"%PDF-1.4 not media",
            "/Chantiers/Martin/Plans/plan.png": b"png",
            "/Chantiers/Dupont/x.jpg": photo,
        })  # fmt: skip
        fake.state.thumbnails["/chantiers/martin/avant.jpg"] = thumb.getvalue()
        yield fake


@pytest.fixture
def linked(dbx, tmp_path):
    data = tmp_path / "device"
    data.mkdir()
    assert probe(dbx, data, "link") == {"ok": "dbid:TERRAIN"}
    return data


def test_linking_uses_pkce_and_keeps_only_the_refresh_token(dbx, linked):
    stored = json.loads((linked / TOKEN_FILE).read_text())
    assert set(stored) == {"refresh_token", "account_id"}
    assert stored["refresh_token"] in dbx.state.refresh_tokens
    assert oct((linked / TOKEN_FILE).stat().st_mode & 0o777) == "0o600"
    assert dbx.state.seen == ["/oauth2/token"]  # the code exchange (the server checked S256)


def test_a_wrong_code_is_refused_and_nothing_is_kept(dbx, tmp_path):
    data = tmp_path / "device"
    data.mkdir()
    dbx.state.codes.clear()
    done = subprocess.run(
        [sys.executable, "-c", (
            "import sys; sys.path.insert(0, '.');"
            "from app.media import dropbox_source as d;"
            f"flow, url = d.start_link(ca_certs={str(dbx.ca)!r});"
            f"d.finish_link(flow, 'not-a-code', d.TokenFile.in_dir({str(data)!r}))"
        )],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **dbx.env},
    )  # fmt: skip
    assert done.returncode != 0 and "DropboxLinkError" in done.stderr
    assert TokenFile.in_dir(data).read() is None


def test_browsing_lists_every_page_folders_first_and_tells_media(dbx, linked):
    listed = probe(dbx, linked, "list", "/Chantiers/Martin")["ok"]
    assert [row[0] for row in listed] == ["Plans", "apres.JPG", "avant.jpg", "devis.pdf"]
    assert [row[2] for row in listed] == [True, False, False, False]
    assert [row[4] for row in listed] == [False, True, True, False]  # a PDF is not media
    assert "/2/files/list_folder/continue" in dbx.state.seen  # both pages were read


def test_thumbnails_and_downloads_reach_the_ingest_pipeline(dbx, linked, tmp_path):
    assert probe(dbx, linked, "thumbnail", "/chantiers/martin/avant.jpg")["ok"] > 100
    assert probe(dbx, linked, "thumbnail", "/chantiers/martin/apres.jpg")["ok"] is None
    dest = tmp_path / "downloads"
    dest.mkdir()
    [path] = probe(
        dbx, linked, "download", "/Chantiers/Martin", str(dest), "/chantiers/martin/avant.jpg"
    )["ok"]
    assert Path(path).read_bytes() == dbx.state.files["/Chantiers/Martin/avant.jpg"]
    media = ingest(path)
    assert (media.width, media.height) == (400, 300)  # upright, like a gallery photo


def test_chosen_files_are_downloaded_and_imported_and_a_gone_one_is_named(
    dbx, linked, demo_template
):
    import sqlite3

    (linked / "terrain.db").write_bytes(demo_template.read_bytes())
    with sqlite3.connect(linked / "terrain.db") as con:
        (ref,) = con.execute(
            "SELECT reference FROM interventions WHERE status = 'assigned' LIMIT 1"
        ).fetchone()
    result = probe(
        dbx, linked, "import", ref, "/Chantiers/Martin", "/chantiers/martin/avant.jpg",
        "/chantiers/martin/ghost.jpg", "/chantiers/martin/apres.jpg",
    )  # fmt: skip
    assert result["ok"] == [
        ["avant.jpg", "dropbox"],
        ["ghost.jpg", "DropboxGoneError"],
        ["apres.JPG", "dropbox"],
    ]
    with sqlite3.connect(linked / "terrain.db") as con:
        rows = con.execute(
            "SELECT a.source, a.phase, a.width FROM attachments a JOIN interventions i "
            "ON i.id = a.intervention_id WHERE i.reference = ?",
            (ref,),
        ).fetchall()
    assert rows == [("dropbox", "before", 400)] * 2


def test_an_expired_access_token_is_refreshed_by_itself(dbx, linked):
    probe(dbx, linked, "list", "/Chantiers")
    refreshes = dbx.state.refreshes
    dbx.state.expire_after = "/2/files/list_folder"  # the next page's call meets a 401
    listed = probe(dbx, linked, "list", "/Chantiers/Martin")
    assert "ok" in listed and len(listed["ok"]) == 4
    # a new process refreshes at start, then again after the 401 in the middle of the listing
    assert dbx.state.refreshes == refreshes + 2
    assert dbx.state.seen[-3:] == [
        "/2/files/list_folder/continue",
        "/oauth2/token",
        "/2/files/list_folder/continue",
    ]


def test_a_file_gone_between_listing_and_download_is_named(dbx, linked, tmp_path):
    dest = tmp_path / "downloads"
    dest.mkdir()
    result = {}

    def run():
        result.update(probe(dbx, linked, "download-listed-then-gone", "/Chantiers/Martin",
                            "/chantiers/martin/avant.jpg", str(dest)))  # fmt: skip

    thread = threading.Thread(target=run)
    thread.start()
    flag = dest / "go"
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    del dbx.state.files["/Chantiers/Martin/avant.jpg"]
    flag.unlink()
    thread.join(60)
    assert result["error"] == "DropboxGoneError" and "refresh the folder" in result["hint"]
    assert not (dest / "avant.jpg").exists()


def test_a_revoked_link_says_to_link_again(dbx, linked):
    dbx.state.refresh_tokens.clear()  # revoked from the Dropbox website
    dbx.state.access_tokens.clear()
    result = probe(dbx, linked, "list", "/Chantiers")
    assert result["error"] == "DropboxLinkError" and "Réglages" in result["hint"]


def test_unlinking_revokes_at_dropbox_and_forgets_the_token(dbx, linked):
    assert probe(dbx, linked, "unlink") == {"ok": None}
    assert dbx.state.revoked == 1 and not dbx.state.refresh_tokens
    assert not (linked / TOKEN_FILE).exists()


def test_no_network_keeps_the_selection_and_says_so(dbx, linked):
    unreachable = {k: "127.0.0.1:9" for k in dbx.env if k.startswith("DROPBOX_")}
    result = probe(dbx, linked, "list", "/Chantiers", env=unreachable)
    assert result["error"] == "DropboxOfflineError" and "kept" in result["hint"]
    assert TokenFile.in_dir(linked).read() is not None  # the link stays
