"""Text that cannot be stored or sent: NUL (PostgreSQL text refuses it) and lone surrogates
(they fail when encoded to UTF-8). Checked at the edge: paths, queries, forms and JSON.

And Markdown as plain text (markdown_text), for calendar files."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from typing import Any

import markdown
from flask_babel import lazy_gettext as _l

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


# --- Markdown as plain text (calendar descriptions, link texts) ----------------------------

_BLOCKS = {"p", "div", "blockquote", "pre", "table", "tr", "ul", "ol", "hr"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _PlainText(HTMLParser):
    """Markdown's HTML back to text a person reads: paragraphs apart, list items with a bullet
    or their number, a link as "text (address)", no markup left."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]
        self.links: list[str] = []
        self.link_start: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag in _HEADINGS:
            self.parts.append("\n\n")
        if tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0]:
                self.parts.append(f"\n{indent}{self.lists[-1][1]}. ")
                self.lists[-1][1] += 1
            else:
                self.parts.append(f"\n{indent}• ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.link_start.append(len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS or tag in _HEADINGS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop(), self.link_start.pop()
            text = "".join(self.parts[start:]).strip()
            if href and href not in (text, f"mailto:{text}"):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data) if not self.lists or data.strip() else "")

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


@functools.lru_cache(maxsize=1024)
def markdown_text(source: str) -> str:
    """Markdown as plain text: no `**`, `##` or tags, for calendar files and other places that
    show no HTML. `**Välkommen**\\n\\n- ett\\n- två` gives "Välkommen\\n\\n• ett\\n• två".
    Cached: the event page's calendar links need it on every render."""
    if not source or not source.strip():
        return ""
    parser = _PlainText()
    parser.feed(markdown.markdown(source, extensions=["sane_lists"]))
    parser.close()
    return parser.text()


def text_field(
    value: Any, key: str, errors: dict[str, Any], max_len: int, required: bool = False
) -> str:
    """A text field of a form or an API body, stripped; a translated message in errors[key]
    when it is not text, is missing but required, or is longer than max_len."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = _l("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[key] = _l("This field is required.")
    elif len(value) > max_len:
        errors[key] = _l("At most %(n)s characters.", n=max_len)
    return value
