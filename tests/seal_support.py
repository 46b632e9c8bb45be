"""Helpers for the seal tests: a demo seal, tampered copies of a sealed PDF, pdfsig, verify."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, require

from app.reports.pdf import ATTACHMENT_NAME


def pdfsig(path: Path) -> str:
    """poppler's ``pdfsig`` report of ``path`` (NSS checks the signature)."""
    require(shutil.which("pdfsig") is not None, "pdfsig missing: apt-get install -y poppler-utils")
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def run_verify(path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python main.py verify PATH *args`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "main.py", "verify", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def flip_one_byte(sealed: bytes) -> bytes:
    """One byte of the sealed bytes changed: a letter of the document's title."""
    at = sealed.index(b"/Title") + len(b"/Title (") + 2
    changed = bytearray(sealed)
    changed[at] = ord("X") if changed[at] != ord("X") else ord("Y")
    return bytes(changed)


def append_update(sealed: bytes) -> bytes:
    """An incremental update appended after the seal: the document's language changed (any
    change would do; a viewer would show the new revision)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed), strict=False)
    writer.root["/Lang"] = generic.TextStringObject("en-GB")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def change_embedded_field(sealed: bytes, change) -> bytes:
    """One field of the embedded record changed (``change(content)`` edits the dict), written
    as an incremental update that replaces the ``report-content.json`` attachment."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed), strict=False)
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    index = next(i for i in range(0, len(names), 2) if str(names[i]) == ATTACHMENT_NAME)
    spec_ref = names.raw_get(index + 1)
    spec = spec_ref.get_object()
    old = spec["/EF"]["/F"].get_object().data
    content = json.loads(old)
    change(content)
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    stream = generic.StreamObject({generic.NameObject("/Type"): generic.NameObject(
        "/EmbeddedFile")}, stream_data=data.encode("utf-8"))  # fmt: skip
    spec["/EF"] = generic.DictionaryObject({generic.NameObject("/F"): writer.add_object(stream)})
    writer.mark_update(spec_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
