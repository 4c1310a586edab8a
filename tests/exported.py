"""Reading an export: a zip of ``smptrack-export.json`` and ``photos/photo-<id>.jpg`` files."""

from __future__ import annotations

import io
import json
import zipfile


def archive_of(body: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(body))


def document_of(body: bytes) -> dict:
    """The JSON document inside an export archive."""
    with archive_of(body) as archive:
        return json.loads(archive.read("smptrack-export.json"))
