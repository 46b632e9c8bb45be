"""The upload board without any UI: states change only through its methods, listeners hear
each change, a failed or sent file keeps its state when the next blob step plans again."""

from __future__ import annotations

from app.errors import TransportError
from app.sync.uploads import FileState, FileUpload, UploadBoard

ROW = (("attachments", "a1"),)


def planned(*shas: str) -> list[FileUpload]:
    return [FileUpload(sha, "blob_sha256", ROW, 1000) for sha in shas]


def test_a_plan_keeps_failed_and_sent_files_and_drops_waiting_ones_no_longer_needed():
    board = UploadBoard()
    heard = []
    stop = board.subscribe(lambda b: heard.append([f.state for f in b.snapshot()]))
    board.plan(planned("a", "b", "c"))
    board.uploading("a", 500, 1000)
    assert board.get("a").percent == 50
    board.sent("a")
    board.failed("b", TransportError("gone"))
    board.plan(planned("b", "d"))  # "a" and "c" no longer pending: "a" stays shown as sent
    assert [(f.sha256, f.state) for f in board.snapshot()] == [
        ("b", FileState.FAILED), ("d", FileState.WAITING), ("a", FileState.SENT),
    ]  # fmt: skip
    assert isinstance(board.get("b").error, TransportError)
    assert board.get("a").percent == 100
    assert heard[0] == [FileState.WAITING] * 3 and len(heard) == 5
    stop()
    board.sent("d")
    assert len(heard) == 5 and board.listener_count() == 0


def test_retry_and_an_interrupted_cycle():
    board = UploadBoard()
    board.plan(planned("a", "b"))
    assert not board.retry("a")  # only a failed file is retried
    board.uploading("a", 10, 1000)
    board.interrupted(TransportError("gone"))
    assert board.get("a").state == FileState.FAILED and board.get("b").state == FileState.WAITING
    assert board.retry("a") and board.get("a").state == FileState.WAITING
    assert board.get("a").error is None and board.get("a").sent_bytes == 0
    board.uploading("zz")  # unknown files are ignored
    assert board.get("zz") is None


def test_a_broken_listener_does_not_stop_the_upload():
    board = UploadBoard()
    board.subscribe(lambda b: 1 / 0)
    heard = []
    board.subscribe(lambda b: heard.append(1))
    board.plan(planned("a"))
    board.sent("a")
    assert board.get("a").state == FileState.SENT and len(heard) == 2
