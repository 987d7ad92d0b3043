"""Swedish, English and Finnish catalogues hold every string the code and templates use."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--ignore-dirs=.venv node_modules migrations build tests bench",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_catalogue_is_complete(extracted, lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    translated = {
        m.id
        for m in catalog
        if m.id
        and "fuzzy" not in m.flags
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(str(m) for m in extracted - translated)
    assert missing == [], f"{len(missing)} untranslated in {lang}: {missing[:10]}"
