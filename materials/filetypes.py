"""A file's type decided by its content, never by its name or the browser's claim.

puremagic (pure Python, no system library) reads the signatures of PDF, PNG and JPEG. Office
files are ZIP containers that signatures cannot tell apart (a DOCX and an XLSX start alike), so
the container is opened and its parts read: OOXML names its main part in [Content_Types].xml
(word/, xl/, ppt/), ODF stores its type in the `mimetype` entry. Plain text and CSV have no
signature: valid UTF-8 without control characters and not markup (an HTML page is refused).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import puremagic
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError

ACCEPTED = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
}
_SIGNED = {"application/pdf", "image/png", "image/jpeg"}
_OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
_MARKUP = (b"<!doctype", b"<html", b"<?xml", b"<svg", b"<script", b"<head", b"<body", b"<!--")
TEXT_SNIFF = 64 * 1024


def kinds_accepted() -> str:
    return ", ".join(dict.fromkeys(ACCEPTED.values()))


def refused() -> ValidationError:
    return ValidationError(
        {
            "file": _l(
                "This kind of file is not accepted. Accepted: %(kinds)s.", kinds=kinds_accepted()
            )
        }
    )


def detect(path: Path) -> str:
    """The file's MIME type (one of ACCEPTED), or ValidationError naming the kinds accepted."""
    with open(path, "rb") as f:
        head = f.read(TEXT_SNIFF)
    if head.startswith(b"PK\x03\x04"):
        found = _zip_type(path)
    else:
        found = _signed_type(path) or _text_type(head)
    if found not in ACCEPTED:
        raise refused()
    return found


def _signed_type(path: Path) -> str | None:
    try:  # from the bytes alone: magic_file would take the name's extension as a hint
        with open(path, "rb") as f:
            matches = puremagic.magic_stream(f)
    except (puremagic.PureError, ValueError, OSError):
        return None
    for match in matches:
        if match.mime_type in _SIGNED:
            return match.mime_type
    return None


def _zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                kind = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return kind if kind.startswith("application/vnd.oasis.opendocument.") else None
            if "[Content_Types].xml" in names:
                for part, kind in _OOXML.items():
                    if part in names:
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def _text_type(head: bytes) -> str | None:
    """text/csv or text/plain for UTF-8 text without control characters, None otherwise."""
    sample = head.removeprefix(b"\xef\xbb\xbf")
    if not sample.strip() or sample.lstrip()[:20].lower().startswith(_MARKUP):
        return None
    if sample.lstrip()[:1] == b"<":
        return None
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # a character cut at the end of the sample is fine
            return None
        text = sample[: err.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text) or "\x7f" in text:
        return None
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    for sep in (";", ",", "\t"):
        counts = {line.count(sep) for line in lines}
        if len(lines) >= 2 and len(counts) == 1 and counts.pop() > 0:
            return "text/csv"
    return "text/plain"
