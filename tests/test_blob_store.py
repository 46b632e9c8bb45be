"""The content-addressed file store shared by the device and head office (app.media.blob_store)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import os
import threading

import pytest

from app.errors import HashMismatchError, NotFoundError, ValidationError
from app.media.blob_store import BlobStore, check_sha256


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(store: BlobStore) -> list:
    files = (p for p in store.root.rglob("*") if p.is_file())
    return sorted(p for p in files if p.relative_to(store.root).parts[0] != "tmp")


def test_the_layout_is_two_levels_of_hex_digits(tmp_path):
    store = BlobStore(tmp_path)
    data = b"photo bytes"
    digest = store.put_bytes(data)
    assert digest == sha(data)
    assert store.path(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    assert store.path(digest).read_bytes() == data
    assert store.has(digest) and store.locate(digest) == store.path(digest)


def test_the_same_bytes_are_stored_once(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 5))  # several chunks
    first = store.put_file(source)
    with source.open("rb") as fh:
        again = store.put_stream(fh)
    assert store.put_bytes(source.read_bytes()) == first == again.sha256 == sha(source.read_bytes())
    assert again.created is False and again.size == source.stat().st_size
    assert stored_files(store) == [store.path(first)]
    assert not list((store.root / "tmp").iterdir())  # no temporary file left behind


def test_wrong_or_short_bytes_store_nothing(tmp_path):
    store = BlobStore(tmp_path)
    claimed = sha(b"the real photo")
    with pytest.raises(HashMismatchError):
        store.put_stream(io.BytesIO(b"something else"), 14, expected=claimed)
    with pytest.raises(ValidationError):
        store.put_stream(io.BytesIO(b"short"), 100)
    assert not store.has(claimed) and stored_files(store) == []
    assert not list((tmp_path / "tmp").iterdir())
    tampered = tmp_path / "upload"
    tampered.write_bytes(b"tampered")
    with pytest.raises(HashMismatchError):
        store.put_verified(tampered, claimed)
    assert not store.has(claimed)


def test_placing_is_atomic_and_keeps_the_first_copy(tmp_path):
    store = BlobStore(tmp_path)
    data = b"signature png"
    with store.temp_file() as tmp:
        tmp.write_bytes(data)
        assert not store.has(sha(data))  # written aside: not visible before it is placed
        assert store.place(tmp, sha(data)) is True
        assert not tmp.exists()  # renamed, not copied
    with store.temp_file() as tmp:
        tmp.write_bytes(data)
        assert store.place(tmp, sha(data)) is False  # already there: left to the caller
        assert tmp.exists()
    assert not tmp.exists()  # the context removed it
    with store.open(sha(data)) as fh:
        assert fh.read() == data


def test_files_of_the_earlier_device_layout_are_still_read(tmp_path):
    """Devices stored <root>/<aa>/<sha256> before the shared store: nothing is lost."""
    data = b"a photo taken last month"
    digest = sha(data)
    legacy = tmp_path / digest[:2] / digest
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(data)
    store = BlobStore(tmp_path)
    assert store.has(digest) and store.locate(digest) == legacy == store.path_for(digest)
    with store.open(digest) as fh:
        assert fh.read() == data
    assert store.put_bytes(data) == digest  # deduplicated against the old copy
    assert stored_files(store) == [legacy]


def test_a_missing_blob_or_a_bad_name(tmp_path):
    store = BlobStore(tmp_path)
    missing = sha(b"never stored")
    assert store.locate(missing) is None and not store.has(missing)
    assert store.path_for(missing) == store.path(missing)
    with pytest.raises(NotFoundError):
        store.open(missing)
    for bad in ("../../etc/passwd", missing.upper(), missing[:-1], ""):
        assert store.locate(bad) is None
        with pytest.raises(ValidationError):
            store.path(bad)
        with pytest.raises(ValidationError):
            check_sha256(bad)


def test_concurrent_puts_of_the_same_blob_leave_one_complete_file(tmp_path):
    store = BlobStore(tmp_path)
    data = os.urandom(2 * 1024 * 1024 + 7)
    writers = 8
    barrier = threading.Barrier(writers)
    results, errors = [], []

    def put() -> None:
        try:
            barrier.wait()
            results.append(store.put_stream(io.BytesIO(data), len(data), expected=sha(data)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {r.sha256 for r in results} == {sha(data)} and len(results) == writers
    assert any(r.created for r in results)
    assert stored_files(store) == [store.path(sha(data))]
    assert store.path(sha(data)).read_bytes() == data
    assert not list((tmp_path / "tmp").iterdir())


# --- head office's stores behind one interface (headoffice.blobs.BlobFiles) ------------------
# The same behaviour from the local directory and from an S3-compatible bucket (moto's
# standalone server on loopback, tests/server_support.py).


@pytest.fixture
def files(blob_store, tmp_path, request):
    if blob_store == "local":
        from headoffice.blobs import LocalBlobFiles

        store = LocalBlobFiles(tmp_path / "blobs")
    else:
        from server_support import make_bucket

        from headoffice.s3 import S3BlobFiles

        store = S3BlobFiles(make_bucket(request.getfixturevalue("s3_endpoint"), "company/"))
    yield store
    store.close()


def kept(files) -> list[str]:
    """What the store holds but its tmp area: relative paths or keys."""
    if hasattr(files, "list_keys"):
        return sorted(k for k in files.list_keys() if not k.startswith("tmp/"))
    found = (p for p in files.root.rglob("*") if p.is_file())
    return sorted(str(p.relative_to(files.root)) for p in found if p.parent.name != "tmp")


def layout(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def test_a_store_keeps_each_blob_once_under_its_name(files):
    data = os.urandom(3 * 1024 * 1024 + 5)  # several read chunks
    first = files.put_stream(io.BytesIO(data), len(data), expected=sha(data))
    again = files.put_stream(io.BytesIO(data), len(data), expected=sha(data))
    assert (first.created, again.created, first.sha256) == (True, False, sha(data))
    assert files.put_bytes(data) == sha(data)
    assert files.has(sha(data)) and kept(files) == [layout(sha(data))]
    with contextlib.closing(files.open(sha(data))) as stream:
        assert stream.read() == data


def test_a_store_refuses_wrong_or_short_bytes(files):
    claimed = sha(b"the real photo")
    with pytest.raises(HashMismatchError):
        files.put_stream(io.BytesIO(b"something else"), 14, expected=claimed)
    with pytest.raises(ValidationError):
        files.put_stream(io.BytesIO(b"short"), 100)
    assert not files.has(claimed) and kept(files) == []
    missing = sha(b"never stored")
    with pytest.raises(NotFoundError):
        files.open(missing)
    for bad in ("../../etc/passwd", missing.upper(), ""):
        assert not files.has(bad)
        with pytest.raises(NotFoundError):
            files.open(bad)


def test_a_stores_resumable_parts_become_one_verified_blob(files):
    data = os.urandom(300_000)
    upload = f"{sha(data)}.owner"
    files.start_parts(upload)
    cuts = [0, 100_000, 200_000, len(data)]
    for first, end in itertools.pairwise(cuts):
        assert files.write_part(upload, first, io.BytesIO(data[first:end]), end - first) == (
            end - first
        )
    assert not files.has(sha(data))  # parts are not a blob
    assert files.assemble(upload, len(data), sha(data)) is True
    with contextlib.closing(files.open(sha(data))) as stream:
        assert stream.read() == data
    assert kept(files) == [layout(sha(data))]
    # a second upload of the same bytes deduplicates; parts are gone either way
    files.start_parts(upload)
    assert files.write_part(upload, 0, io.BytesIO(data), len(data)) == len(data)
    assert files.assemble(upload, len(data), sha(data)) is False
    assert [k for k in kept(files) if k.startswith("partial/")] == []


def test_a_stores_parts_with_wrong_bytes_leave_nothing(files):
    data = os.urandom(2000)
    upload = f"{sha(data)}.owner"
    files.start_parts(upload)
    files.write_part(upload, 0, io.BytesIO(data[:1000]), 1000)
    files.write_part(upload, 1000, io.BytesIO(b"\0" * 1000), 1000)
    with pytest.raises(HashMismatchError):
        files.assemble(upload, 2000, sha(data))
    assert not files.has(sha(data))
    assert [k for k in kept(files) if k.startswith("partial/")] == []
    # starting again forgets what an earlier attempt left
    files.write_part(upload, 0, io.BytesIO(b"x" * 500), 500)
    files.start_parts(upload)
    files.write_part(upload, 0, io.BytesIO(data), 2000)
    assert files.assemble(upload, 2000, sha(data)) is True


def test_concurrent_puts_to_a_store_leave_one_complete_blob(files):
    data = os.urandom(1024 * 1024 + 7)
    writers = 6
    barrier = threading.Barrier(writers)
    results, errors = [], []

    def put() -> None:
        try:
            barrier.wait()
            results.append(files.put_stream(io.BytesIO(data), len(data), expected=sha(data)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == writers
    assert any(r.created for r in results)
    assert kept(files) == [layout(sha(data))]
    with contextlib.closing(files.open(sha(data))) as stream:
        assert stream.read() == data


def test_the_object_store_is_configured_by_url_and_environment(monkeypatch):
    from app.errors import ConfigError
    from headoffice.app import ServerConfig, blob_store_from

    env = {
        "TERRAIN_S3_ENDPOINT": "http://127.0.0.1:9000",
        "TERRAIN_S3_REGION": "eu-west-3",
        "TERRAIN_S3_ACCESS_KEY_ID": "key",
        "TERRAIN_S3_SECRET_ACCESS_KEY": "secret",
    }
    s3 = blob_store_from("s3://terrain-blobs/prod/eu", env)
    assert (s3.bucket, s3.prefix, s3.endpoint_url, s3.region) == (
        "terrain-blobs", "prod/eu/", "http://127.0.0.1:9000", "eu-west-3"
    )  # fmt: skip
    assert (s3.access_key_id, s3.secret_access_key) == ("key", "secret")
    assert "secret" not in repr(s3) and s3.url == "s3://terrain-blobs/prod/eu"
    assert blob_store_from("", env) is None and blob_store_from(None, env) is None
    with pytest.raises(ConfigError, match="s3://bucket"):
        blob_store_from("s3:///no-bucket", env)
    # for gunicorn and other WSGI servers: TERRAIN_BLOB_STORE, then TERRAIN_BLOB_DIR optional
    for name, value in {**env, "TERRAIN_DB_URL": "sqlite:///x.db"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TERRAIN_BLOB_DIR", raising=False)
    monkeypatch.delenv("TERRAIN_BLOB_STORE", raising=False)
    with pytest.raises(ConfigError, match="TERRAIN_BLOB_DIR"):
        ServerConfig.from_env()
    monkeypatch.setenv("TERRAIN_BLOB_STORE", "s3://terrain-blobs")
    config = ServerConfig.from_env()
    assert config.s3.bucket == "terrain-blobs" and config.s3.prefix == ""


def test_serve_stops_with_a_message_when_the_bucket_is_missing(
    s3_endpoint, tmp_path, monkeypatch, capsys
):
    from server_support import free_port

    from app.cli import main
    from app.models import db
    from headoffice.cli import serve

    monkeypatch.setenv("TERRAIN_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("TERRAIN_S3_REGION", "us-east-1")
    monkeypatch.setenv("TERRAIN_S3_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("TERRAIN_S3_SECRET_ACCESS_KEY", "test")
    args = ["serve", "--data-dir", str(tmp_path), "--port", str(free_port())]
    try:
        code = main([*args, "--blob-store", "s3://no-such-bucket"], serve=serve)
    finally:
        if db.obj is not None:
            db.obj.close()
        db.initialize(None)
    assert code == 2
    err = capsys.readouterr().err
    assert "no-such-bucket" in err and "Create the bucket" in err
