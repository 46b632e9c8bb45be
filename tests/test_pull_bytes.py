"""Head office sends a pull page as bytes joined from each row's JSON, encoded once when the
page was filled (``headoffice.pull.PullPage.to_bytes``): the same document as encoding the
page whole."""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import uuid

from sync_support import TODAY, open_server_copy, server_template, using  # noqa: F401

from app.models import Comment, User
from app.sync import schema
from app.sync.wire import dumps, loads
from headoffice.auth import principal_of
from headoffice.models import Device
from headoffice.pull import MAX_PAGE_BYTES, PullPage, pull


def _pages(username: str, limit: int) -> list[PullPage]:
    who = principal_of(User.get(User.username == username))
    device_id = str(uuid.uuid4())
    Device.create(id=device_id, user=who.user_id)
    pages, cursor = [], ""
    while True:
        page = pull(who, device_id, cursor, limit, TODAY, schema_version=schema.current().version)
        pages.append(page)
        if not page.has_more:
            return pages
        cursor = page.cursor


def test_every_page_of_a_first_sync_is_the_document_encoded_whole(tmp_path, server_template):
    server = open_server_copy(server_template, tmp_path / "server.db")
    try:
        with using(server):
            for username in ("office", "tech1"):  # everything; a scope with redacted users
                pages = _pages(username, 300)
                assert len(pages) > 3
                for page in pages:
                    data = page.to_bytes()
                    assert data == dumps(page.to_json())
                    assert loads(data)["changes"] == page.changes
                    assert len(data) <= MAX_PAGE_BYTES + 4096
    finally:
        server.close()


def test_a_page_cut_by_size_and_one_with_skipped_rows_keep_their_shape(tmp_path, server_template):
    server = open_server_copy(server_template, tmp_path / "server.db")
    try:
        with using(server):
            # comments large enough that the 4 MiB bound cuts the page before the row limit
            big = "é" * 90_000
            ids = [c.id for c in Comment.select(Comment.id).limit(120)]
            Comment.update(body=big).where(Comment.id.in_(ids)).execute()
            pages = _pages("office", 5000)
            cut = [p for p in pages if "comments" in p.changes and p.has_more]
            assert cut, "no page was cut by its size"
            for page in pages:
                assert page.to_bytes() == dumps(page.to_json())
        page = PullPage({}, {"comments": ["x"]}, "c", False, {"comments": ["y"]}, {})
        assert page.to_bytes() == dumps(page.to_json())
        assert loads(page.to_bytes())["skipped"] == {"comments": ["y"]}
    finally:
        server.close()
