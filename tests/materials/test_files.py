"""Safe files: the type decided by content, names made safe, one stored copy per content."""

from __future__ import annotations

import io
import os

import pytest

from core.errors import ValidationError
from materials import filetypes
from materials.names import display_name
from materials.storage import FileStore
from tests.materials import helpers

OOXML = "application/vnd.openxmlformats-officedocument"
ACCEPTED = [
    ("pdf", helpers.PDF, "application/pdf"),
    ("png", helpers.PNG, "image/png"),
    ("jpeg", helpers.JPEG, "image/jpeg"),
    ("docx", helpers.docx(), f"{OOXML}.wordprocessingml.document"),
    ("xlsx", helpers.xlsx(), f"{OOXML}.spreadsheetml.sheet"),
    ("pptx", helpers.pptx(), f"{OOXML}.presentationml.presentation"),
    ("odt", helpers.odf("text"), "application/vnd.oasis.opendocument.text"),
    ("ods", helpers.odf("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", helpers.odf("presentation"), "application/vnd.oasis.opendocument.presentation"),
    ("txt", "Sysselsättningskrav i avtal.\nRad två.\n".encode(), "text/plain"),
    ("csv", b"kommun;platser\nBotkyrka;4\nVantaa;7\n", "text/csv"),
]  # fmt: skip

REFUSED = [
    ("html", helpers.HTML),
    ("exe", helpers.EXE),
    ("elf", helpers.ELF),
    ("zip", helpers.zip_file({"readme.txt": "x"})),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("binary", bytes(range(256))),
    ("latin1", "Göteborg".encode("latin-1") + b"\x00"),
]


@pytest.mark.parametrize(("name", "data", "expected"), ACCEPTED)
def test_accepted_kinds_are_found_by_content(tmp_path, name, data, expected):
    path = tmp_path / "upload"  # no extension: only the content can tell
    path.write_bytes(data)
    assert filetypes.detect(path) == expected


@pytest.mark.parametrize(("name", "data"), REFUSED)
def test_other_kinds_are_refused_naming_the_accepted(app, tmp_path, name, data):
    path = tmp_path / "rapport.pdf"  # the name claims PDF
    path.write_bytes(data)
    with pytest.raises(ValidationError) as err:
        filetypes.detect(path)
    assert "PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT, CSV, PNG, JPEG" in str(
        err.value.fields["file"]
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Avtalsmall för sysselsättningskrav.docx", "Avtalsmall för sysselsättningskrav.docx"),
        ("työllistämisehto – malli.pdf", "työllistämisehto – malli.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Bilder\\bild.png", "bild.png"),
        ("bad\x00name\u202etxt.exe", "badnametxt.exe"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ('what?<>"|*.pdf', "what______.pdf"),
        ("...hidden", "hidden"),
        ("/", "file"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_display_names_keep_letters_and_lose_paths(given, shown):
    assert display_name(given) == shown


def test_the_same_content_is_stored_once_and_nothing_else_is_left(tmp_path):
    files = FileStore(tmp_path / "uploads")
    first, _ = files.put(io.BytesIO(helpers.PDF), filetypes.detect)
    second, _ = files.put(io.BytesIO(helpers.PDF), filetypes.detect)
    assert first.content_hash == second.content_hash
    assert os.listdir(tmp_path / "uploads") == [first.content_hash]
    assert (tmp_path / "uploads" / first.content_hash).read_bytes() == helpers.PDF


def test_a_refused_file_leaves_no_temporary_file(app, tmp_path):
    files = FileStore(tmp_path / "uploads")
    with pytest.raises(ValidationError):
        files.put(io.BytesIO(helpers.HTML), filetypes.detect)
    assert os.listdir(tmp_path / "uploads") == []


def test_a_hash_is_the_only_name_a_path_is_made_from(tmp_path):
    files = FileStore(tmp_path)
    with pytest.raises(ValueError):
        files.path("../../etc/passwd")
