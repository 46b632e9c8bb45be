"""The per-file upload state views show (``app.sync.uploads``, written by the sync engine),
exported here so that views depend on services, not on the sync package."""

from app.sync.uploads import FileState, FileUpload, UploadBoard

__all__ = ["FileState", "FileUpload", "UploadBoard"]
