"""File names for display and download: the name a person gave, made safe, with its letters.

werkzeug's secure_filename keeps ASCII only ("Avtalsmall för sysselsättningskrav.docx" would
become "Avtalsmall_for_sysselsattningskrav.docx" without the letters' marks, and a Finnish or
Arabic name nothing at all). Here the name keeps its Unicode letters; what goes is any path
(everything up to the last / or \\), control and format characters (bidi overrides among
them), the characters Windows forbids in names, and leading dots. The name is only ever shown
and sent in Content-Disposition; the stored file is named by its hash (materials/storage.py).
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 150
_FORBIDDEN = re.compile(r'[<>:"|?*]')


def display_name(raw: str | None, fallback: str = "file") -> str:
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = _FORBIDDEN.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_LENGTH - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_LENGTH].rstrip()
    return name or fallback
