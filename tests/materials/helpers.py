"""Files of each kind, made here (no fixtures on disk), and a material as the service takes it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import xlsxwriter


def zip_file(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def docx() -> bytes:
    return zip_file({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})


def pptx() -> bytes:
    return zip_file({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"})


def xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet().write(0, 0, "Placeringar")
    workbook.close()
    return buffer.getvalue()


def odf(kind: str) -> bytes:
    return zip_file(
        {"mimetype": f"application/vnd.oasis.opendocument.{kind}", "content.xml": "<x/>"}
    )


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 120


def material_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Avtalsklausul för sysselsättningskrav",
        "description": "En modell för upphandlingar med krav på praktikplatser.",
        "language": "sv",
        "category": "model",
        "languages": ["sv"],
        "target_groups": ["contracting_authority"],
        "tags": ["avtal", "klausul"],
        "audience": {"kind": "public"},
    }
    data.update(overrides)
    return data
