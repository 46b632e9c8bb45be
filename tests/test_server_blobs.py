"""Head office over HTTP: content-addressed blobs (sync rule 8), with the blobs in the local
directory and in an S3-compatible bucket (``blob_server``: both stores, both databases)."""

from __future__ import annotations

import hashlib
import os
import uuid

from server_support import (
    TEST_MAX_BLOB_BYTES,
    blob_bytes,
    blob_keys,
    blob_tmp,
    open_intervention_of,
    visible_interventions,
)

from app.models import Intervention
from headoffice.models import Blob, BlobUpload


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attach(client, intervention: Intervention, blob: bytes):
    row = {"id": str(uuid.uuid4()), "fields": {
        "intervention_id": intervention.id, "kind": "photo", "phase": "before",
        "source": "camera", "blob_sha256": sha(blob), "mime_type": "image/jpeg",
        "size_bytes": len(blob), "created_by_id": client.user["id"],
    }}  # fmt: skip
    answer = client.push({"attachments": [row]})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_upload_head_get_and_dedup(blob_server):
    client = blob_server.login("tech1")
    data = os.urandom(3000)
    name = f"/blobs/{sha(data)}"
    assert client.head(name).status_code == 404
    first = client.put(name, data)
    assert first.status_code == 201, first.text
    assert first.json() == {"sha256": sha(data), "size": 3000}
    head = client.head(name)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "3000"
    got = client.get(name)
    assert got.status_code == 200 and got.content == data
    stored = blob_keys(blob_server)
    again = client.put(name, data)
    assert again.status_code == 200
    assert blob_keys(blob_server) == stored
    assert Blob.select().where(Blob.sha256 == sha(data)).count() == 1
    assert blob_bytes(blob_server, sha(data)) == data
    assert f"{sha(data)[:2]}/{sha(data)[2:4]}/{sha(data)}" in stored


def test_hash_mismatch_is_422_and_stores_nothing(blob_server):
    client = blob_server.login("tech1")
    data = os.urandom(100)
    wrong = sha(b"something else")
    answer = client.put(f"/blobs/{wrong}", data)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "hash_mismatch"
    assert not Blob.select().where(Blob.sha256 == wrong).exists()
    assert client.head(f"/blobs/{wrong}").status_code == 404
    assert blob_tmp(blob_server) == []
    assert blob_bytes(blob_server, wrong) is None


def test_too_large_is_413(blob_server):
    client = blob_server.login("tech1")
    data = b"\0" * (TEST_MAX_BLOB_BYTES + 1)
    answer = client.put(f"/blobs/{sha(data)}", data)
    assert answer.status_code == 413
    ranged = client.put(
        f"/blobs/{sha(data)}",
        b"x" * 10,
        headers={"Content-Range": f"bytes 0-9/{TEST_MAX_BLOB_BYTES + 1}"},
    )
    assert ranged.status_code == 413
    assert not Blob.select().where(Blob.sha256 == sha(data)).exists()


def test_bad_names_and_ranges_are_400(blob_server):
    client = blob_server.login("tech1")
    data = b"abc"
    assert client.put("/blobs/ABC", data).status_code == 400
    assert client.get(f"/blobs/{sha(data).upper()}").status_code == 400
    for header in ("bytes 5-2/10", "bytes 0-2/2", "items 0-2/3", "bytes 0-2/*"):
        answer = client.put(f"/blobs/{sha(data)}", data, headers={"Content-Range": header})
        assert answer.status_code == 400, header
    mismatch = client.put(f"/blobs/{sha(data)}", data, headers={"Content-Range": "bytes 0-9/20"})
    assert mismatch.status_code == 400


def test_resumable_upload_in_three_chunks(blob_server):
    client = blob_server.login("tech1")
    data = os.urandom(250_000)
    name = f"/blobs/{sha(data)}"
    total = len(data)

    def chunk(first: int, last: int):
        return client.put(
            name, data[first : last + 1], headers={"Content-Range": f"bytes {first}-{last}/{total}"}
        )

    answer = chunk(0, 99_999)
    assert answer.status_code == 202
    assert answer.json() == {"received": 100_000}
    head = client.head(name)
    assert head.status_code == 404
    assert head.headers["Upload-Offset"] == "100000"
    skipped = chunk(200_000, total - 1)  # not where the upload stands
    assert skipped.status_code == 409
    assert skipped.headers["Upload-Offset"] == "100000"
    assert chunk(100_000, 199_999).json() == {"received": 200_000}
    assert client.head(name).headers["Upload-Offset"] == "200000"
    done = chunk(200_000, total - 1)
    assert done.status_code == 201
    assert done.json() == {"sha256": sha(data), "size": total}
    assert client.get(name).content == data
    assert not BlobUpload.select().where(BlobUpload.sha256 == sha(data)).exists()
    assert "Upload-Offset" not in client.head(name).headers
    assert blob_bytes(blob_server, sha(data)) == data
    assert not [k for k in blob_keys(blob_server) if k.startswith(f"partial/{sha(data)}")]
    assert blob_tmp(blob_server) == []


def test_a_resumable_upload_with_wrong_bytes_is_422(blob_server):
    client = blob_server.login("tech1")
    data = os.urandom(2000)
    name = f"/blobs/{sha(data)}"
    assert client.put(name, data[:1000], headers={"Content-Range": "bytes 0-999/2000"}).ok
    bad = client.put(name, b"\0" * 1000, headers={"Content-Range": "bytes 1000-1999/2000"})
    assert bad.status_code == 422
    assert client.head(name).status_code == 404
    assert "Upload-Offset" not in client.head(name).headers
    unknown = client.put(name, data[1000:], headers={"Content-Range": "bytes 1000-1999/2000"})
    assert unknown.status_code == 409
    assert unknown.headers["Upload-Offset"] == "0"
    assert blob_bytes(blob_server, sha(data)) is None  # the wrong bytes never took its name
    assert not [k for k in blob_keys(blob_server) if k.startswith(f"partial/{sha(data)}")]


def test_blob_access_follows_scope(blob_server):
    tech1, tech2 = blob_server.login("tech1"), blob_server.login("tech2")
    office = blob_server.login("office")
    own = open_intervention_of("tech2", invisible_to="tech1")
    photo = os.urandom(500)
    name = f"/blobs/{sha(photo)}"
    assert tech2.put(name, photo).status_code == 201
    assert tech2.get(name).content == photo  # the uploader reads it
    attach(tech2, own, photo)
    assert office.get(name).content == photo  # the office reads everything
    assert tech1.get(name).status_code == 404  # not in tech1's scope: looks missing
    assert tech1.head(name).status_code == 404
    assert tech1.get(name).json()["error"]["code"] == "not_found"

    mine = open_intervention_of("tech1")
    shared = os.urandom(400)
    assert office.put(f"/blobs/{sha(shared)}", shared).status_code == 201
    assert tech1.get(f"/blobs/{sha(shared)}").status_code == 404  # not referenced yet
    office_push = attach(office, mine, shared)
    assert office_push["rejected"] == []
    assert tech1.get(f"/blobs/{sha(shared)}").content == shared  # referenced in his scope
    if mine.id not in visible_interventions("tech2"):
        assert tech2.get(f"/blobs/{sha(shared)}").status_code == 404


def test_blobs_need_a_token(blob_server):
    import requests

    data = b"anonymous"
    assert (
        requests.put(blob_server.url(f"/blobs/{sha(data)}"), data=data, timeout=10).status_code
        == 401
    )
    assert requests.get(blob_server.url(f"/blobs/{sha(data)}"), timeout=10).status_code == 401
