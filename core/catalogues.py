"""Compiled message catalogues (.po -> .mo), so every way of starting the app speaks Swedish.

The .po files are the source and the only thing kept in git. Two places compile them:
- setup.py, when a wheel is built: the wheel ships the .mo files (and no .po), so an installed
  app never compiles anything;
- core/i18n.py, each time the app starts from a checkout (make run, `pip install -e .` then
  `flask run` or gunicorn): a .mo that is missing or older than its .po is written anew.
So a compiled catalogue cannot go stale behind its source, and there is no binary file in git
to merge. This module needs only Babel (setup.py imports it before Flask is installed).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_catalogue(po: Path, mo: Path) -> None:
    """Write po's messages to mo as `pybabel compile` does (fuzzy entries left out).

    The file is written beside its target and renamed into place, so a process that starts
    at the same moment reads the old catalogue or the new one, never half of one.
    """
    with po.open("rb") as source:
        catalogue = read_po(source, locale=po.parent.parent.name)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as target:
            write_mo(target, catalogue, use_fuzzy=False)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stale_catalogues(directory: Path) -> list[tuple[Path, Path]]:
    """(po, mo) for each <lang>/LC_MESSAGES/*.po whose .mo is missing or older than it."""
    pairs = []
    for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pairs.append((po, mo))
    return pairs


def ensure_compiled(directory: Path) -> list[Path]:
    """Compile what is missing or stale under a translations directory; the .mo files written."""
    written = []
    for po, mo in stale_catalogues(directory):
        compile_catalogue(po, mo)
        written.append(mo)
    return written
