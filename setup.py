"""Packaging beyond pyproject.toml: the wheel carries the app's files, catalogues compiled.

In the repository templates/, static/, translations/ and migrations/ sit beside app.py (the
layout ARCHITECTURE.md describes). A wheel copies them into a data folder, motesplats_files/,
installed beside app.py, where app.files_root() finds them; translations go in compiled (.mo
only, no .po). An editable install (`pip install -e .`) copies nothing: the app then reads the
checkout's own folders and compiles its catalogues at start (core/i18n.py).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FILES = "motesplats_files"
FOLDERS = ("templates", "static", "translations", "migrations")
LEAVE_OUT = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.mo", "*.po", "*.pot", "*.tmp")


class BuildWithFiles(build_py):
    """build_py, then the app's folders into build_lib/motesplats_files/ with compiled .mo."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        sys.path.insert(0, str(HERE))
        from core.catalogues import compile_catalogue

        target = Path(self.build_lib) / FILES
        shutil.rmtree(target, ignore_errors=True)  # a file removed since the last build goes
        for folder in FOLDERS:
            shutil.copytree(HERE / folder, target / folder, ignore=LEAVE_OUT)
        (target / "__init__.py").write_text(
            '"""Templates, static files, compiled translations and migrations of Mötesplats."""\n',
            encoding="utf-8",
        )
        for po in sorted((HERE / "translations").glob("*/LC_MESSAGES/*.po")):
            mo = target / po.relative_to(HERE).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            compile_catalogue(po, mo)
        # translations/complete_en.py is a maintenance script, not part of the app
        (target / "translations" / "complete_en.py").unlink(missing_ok=True)


setup(cmdclass={"build_py": BuildWithFiles})
