"""Text that cannot be stored or sent: NUL (PostgreSQL text refuses it) and lone surrogates
(they fail when encoded to UTF-8). Checked at the edge: paths, queries, forms and JSON."""

from __future__ import annotations

import re
from typing import Any

_BAD = re.compile("[\x00\ud800-\udfff]")


def is_bad_text(value: str) -> bool:
    """True when the string holds a NUL character or a lone surrogate."""
    return _BAD.search(value) is not None


def first_bad_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first bad string inside a JSON-like value (keys too), or None.
    The empty string names the value itself."""
    if isinstance(value, str):
        return path if is_bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and is_bad_text(key):
                return key_path
            found = first_bad_path(item, key_path)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_bad_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
