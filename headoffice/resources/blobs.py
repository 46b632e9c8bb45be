"""``PUT``/``HEAD``/``GET /blobs/{sha256}``: photos, videos, signatures and PDFs (rule 8).

A blob the user may not read answers 404 like a missing one, so its existence does not leak.
"""

from __future__ import annotations

import falcon

from app import clock
from app.errors import NotFoundError, PayloadTooLargeError
from headoffice import documents
from headoffice.blobs import HeadOfficeBlobs, Partial, check_sha256, parse_content_range
from headoffice.http import send_json

NOT_FOUND = "No such file."


class BlobResource:
    def __init__(self, store: HeadOfficeBlobs, max_request_bytes: int) -> None:
        self.store = store
        self.max_request_bytes = max_request_bytes  # one PUT, whole file or chunk

    def _readable(self, req, sha256: str):
        blob = self.store.find(check_sha256(sha256))
        if blob is None or not self.store.may_read(req.context.session.who, blob, clock.today()):
            return None
        return blob

    def on_put(self, req, resp, sha256: str) -> None:
        check_sha256(sha256)
        user_id = req.context.session.who.user_id
        length = req.content_length
        if length is None:
            raise falcon.HTTPLengthRequired(
                title="Length Required", description="Send a Content-Length header."
            )
        if length > self.max_request_bytes:
            self.store.check_size(length)  # a file above the blob limit says so first
            raise PayloadTooLargeError(
                f"One upload request carries at most {self.max_request_bytes} bytes "
                f"({length} sent).",
                hint="Send the file in parts with Content-Range (the app does it by itself).",
            )
        content_range = req.get_header("Content-Range")
        if content_range is None:
            result = self.store.put(sha256, req.bounded_stream, length, user_id)
        else:
            first, last, total = parse_content_range(content_range)
            if last - first + 1 != length:
                raise falcon.HTTPBadRequest(
                    title="Bad Request",
                    description="Content-Length must equal the size of the Content-Range.",
                )
            result = self.store.put_range(sha256, req.bounded_stream, first, last, total, user_id)
        if isinstance(result, Partial):
            resp.set_header("Upload-Offset", str(result.received))
            send_json(resp, {"received": result.received}, falcon.HTTP_202)
            return
        documents.blob_received(result.sha256)  # a device's signed PDF: checked, sealed
        status = falcon.HTTP_201 if result.created else falcon.HTTP_200
        send_json(resp, {"sha256": result.sha256, "size": result.size}, status)

    def on_head(self, req, resp, sha256: str) -> None:
        blob = self._readable(req, sha256)
        if blob is None:
            partial = self.store.partial(sha256, req.context.session.who.user_id)
            resp.status = falcon.HTTP_404
            if partial is not None:
                resp.set_header("Upload-Offset", str(partial.received))
            return
        resp.content_length = blob.size
        resp.content_type = "application/octet-stream"
        resp.set_header("ETag", f'"{blob.sha256}"')

    def on_get(self, req, resp, sha256: str) -> None:
        blob = self._readable(req, sha256)
        if blob is None:
            raise NotFoundError(NOT_FOUND)
        resp.content_type = "application/octet-stream"
        resp.set_header("ETag", f'"{blob.sha256}"')
        resp.set_header("Cache-Control", "private, max-age=31536000, immutable")
        resp.set_stream(self.store.open(blob), blob.size)
