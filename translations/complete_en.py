"""English msgids are English text: fill the en catalogue's empty entries with their msgid."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
with path.open("rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not any(message.string):
            message.string = message.id
    elif not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with path.open("wb") as f:
    write_po(f, catalog, width=100, omit_header=False)
