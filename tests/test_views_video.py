"""A video in the media viewer, without a browser: the player gets a link the app serves, play
/ pause, the frame to annotate opens the photo editor on a still, notes, the clip job. And the
link itself: served with HTTP ranges by the app's web server, unknown tokens 404."""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet as ft
import flet_video as ftv
import pytest
import test_views_sections as sections
from flet_harness import layout_faults, walk
from starlette.testclient import TestClient
from test_views_media import _in_dialog
from video_support import counter_video

from app.jobs import JobState
from app.media.video_links import LINKS, PREFIX, VideoLinks
from app.models import Attachment
from app.views.detail.media import MediaSection
from app.web_server import web_app

run, show = sections.run, sections.show
tech, job = sections.tech, sections.job  # fixtures


async def _video_open(tmp_path: Path, job, tech):
    screen = await show(MediaSection, job, tech)
    path = counter_video(tmp_path / "pompe.mp4", frames=60, fps=20.0)  # 3 s
    await screen.section.import_picked([("pompe.mp4", path.read_bytes())])
    await screen.harness.settle()
    await screen.harness.click("media-0")
    return screen


def test_the_viewer_plays_the_video_from_a_link_and_shows_the_probed_duration(job, tech, tmp_path):
    async def scenario():
        screen = await _video_open(tmp_path, job, tech)
        h, viewer = screen.harness, screen.section.viewer
        [player] = [c for c in walk(viewer) if isinstance(c, ftv.Video)]
        [media] = player.playlist
        assert media.resource.startswith(PREFIX + "/") and media.resource.endswith(".mp4")
        token = media.resource.split("/")[2]
        row = Attachment.get(Attachment.intervention == job.id)
        link = LINKS.resolve(token)
        assert link is not None and link.mime_type == "video/mp4"
        assert link.path.read_bytes() == (tmp_path / "pompe.mp4").read_bytes()
        assert link.path.name == row.blob_sha256  # the blob itself, never a copy
        position = _in_dialog(viewer, "video-position")
        assert position.value == "0:00 / 0:03"  # the duration stored by the probe
        play = _in_dialog(viewer, "video-play")
        assert not play.disabled
        await h.fire(play, "click")
        assert [n for n, _ in h.connection.invoked if n.startswith("play")] == ["play_or_pause"]
        assert play.icon == ft.Icons.PAUSE
        await h.fire(player, "position_change", 2100)  # the player reports where it is
        assert position.value == "0:02 / 0:03"
        # a photo-only action is not offered for a video; the video's own are
        ids = [c.identifier for c in walk(viewer) if isinstance(c, ft.Semantics)]
        assert "media-viewer-annotate" not in ids
        assert {"video-frame", "video-annotate", "video-clip", "video-notes"} <= set(ids)
        assert layout_faults(h.page) == []
        h.close()

    run(scenario())


def test_annotating_a_chosen_frame_opens_the_editor_on_a_linked_still(job, tech, tmp_path):
    async def scenario():
        screen = await _video_open(tmp_path, job, tech)
        h, viewer = screen.harness, screen.section.viewer
        slider = _in_dialog(viewer, "video-frame")
        assert slider.max == 3000
        slider.value = 1500  # as the client does, then "change"
        await h.fire(slider, "change", 1500)
        assert _in_dialog(viewer, "video-frame-time").value == "Image à 0:01"
        await h.fire(_in_dialog(viewer, "video-annotate"), "click")
        await h.settle()
        editor = screen.section.editor
        assert editor is not None, screen.notes
        video = Attachment.get((Attachment.intervention == job.id) & (Attachment.kind == "video"))
        still = Attachment.get(Attachment.source_attachment_id == video.id)
        assert (still.kind, still.source_time_ms) == ("photo", 1500)
        assert editor.w / editor.h == 320 / 240
        await h.fire(_in_dialog(viewer, "annotate-save"), "click")  # an empty layer: kept
        assert not screen.section.viewer
        assert h.has("media-1")  # the still joined the grid
        h.close()

    run(scenario())


def test_notes_are_added_at_the_chosen_time_and_removed(job, tech, tmp_path):
    async def scenario():
        screen = await _video_open(tmp_path, job, tech)
        h, viewer = screen.harness, screen.section.viewer
        slider = _in_dialog(viewer, "video-frame")
        slider.value = 2400
        await h.fire(slider, "change", 2400)
        note = _in_dialog(viewer, "video-note-text")
        assert note.label == "Note à 0:02"
        note.value = "Joint à remplacer"
        await h.fire(_in_dialog(viewer, "video-note-add"), "click")
        row = Attachment.get(Attachment.intervention == job.id)
        assert row.video_notes == [{"t_ms": 2400, "text": "Joint à remplacer"}]
        assert "Joint à remplacer" in " ".join(
            c.value for c in walk(_in_dialog(viewer, "video-notes")) if isinstance(c, ft.Text)
        )
        note.value = "   "  # refused by the shared rule: said, nothing stored
        await h.fire(_in_dialog(viewer, "video-note-add"), "click")
        assert screen.errors() and "1 à 200 caractères" in screen.errors()[-1]
        await h.fire(_in_dialog(viewer, "video-note-0-remove"), "click")
        assert Attachment.get_by_id(row.id).video_notes is None
        h.close()

    run(scenario())


def test_the_clip_needs_an_annotated_still_then_runs_as_a_job(job, tech, tmp_path):
    async def scenario():
        screen = await _video_open(tmp_path, job, tech)
        h, section = screen.harness, screen.section
        await h.fire(_in_dialog(section.viewer, "video-clip"), "click")
        assert "Annotez d'abord une image" in screen.errors()[-1]
        video = Attachment.get(Attachment.intervention == job.id)
        store = section.ctx.services.media.device_store()
        still = section.ctx.services.video.still_at(video.id, 500, tech, store=store)
        section.ctx.services.media.annotate(
            still.id,
            tech,
            {
                "version": 1,
                "shapes": [
                    {"kind": "arrow", "from": [0.1, 0.8], "to": [0.6, 0.8], "color": "#e53935"}
                ],
            },
        )
        section._stop_video()
        await section._show(section.viewer_index)  # the viewer reads the video's stills again
        await h.fire(_in_dialog(section.viewer, "video-clip"), "click")
        job_ = section.video.clip_job.job
        assert job_ is not None and _in_dialog(section.viewer, "video-clip").disabled
        await asyncio.wrap_future(job_.future)
        for _ in range(50):  # the job's last change reaches the loop
            await asyncio.sleep(0.02)
            if screen.notes and "Extrait annoté ajouté" in screen.notes[-1][0]:
                break
        assert job_.state == JobState.DONE
        assert "Extrait annoté ajouté" in screen.notes[-1][0]
        clip = Attachment.get(Attachment.caption == "Extrait annoté")
        assert (clip.kind, clip.source_attachment_id, clip.duration_s) == ("video", video.id, 3.0)
        h.close()

    run(scenario())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # starlette's TestClient over httpx
def test_the_web_server_serves_a_link_with_ranges_and_nothing_else(tmp_path):
    path = counter_video(tmp_path / "c.mp4", frames=20)
    links = VideoLinks()
    url = links.publish(path, "video/mp4", name="c.mp4")

    async def main(page):  # never called: no WebSocket here
        pass

    assets = tmp_path / "assets"
    assets.mkdir()
    client = TestClient(web_app(main, assets_dir=str(assets), links=links))
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == path.read_bytes()
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == path.read_bytes()[10:20]
    assert client.get(url.replace(url.split("/")[2], "x" * 43)).status_code == 404
    bare = client.get(f"{PREFIX}/{url.split('/')[2]}")  # no name: Flet's page, not the file
    assert "text/html" in bare.headers["content-type"] and bare.content != path.read_bytes()
    assert client.get("/c.mp4").status_code == 404  # files are reached through links only
    path.unlink()  # the file went (deleted media): the link is dead too
    assert client.get(url).status_code == 404
    expired = VideoLinks(ttl_s=0)
    assert expired.resolve(expired.publish(tmp_path / "x", "video/mp4").split("/")[2]) is None
