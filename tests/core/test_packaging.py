"""The app as it is installed, not only as it runs in the checkout: a wheel built from the
checkout installs in a fresh virtual environment and runs from a folder outside the checkout,
with its templates, static files, compiled translations and migrations; and an app made with
no configuration speaks Swedish to a visitor who states no language."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from app import create_app
from core.db import db

ROOT = Path(__file__).resolve().parents[2]

# Run inside the installed environment, from a folder outside the checkout.
REQUEST_PAGES = """
import json, app
from app import create_app
flask_app = create_app()  # no configuration: defaults and the environment only
client = flask_app.test_client()
page = client.get("/")
css = client.get("/static/css/motesplats.min.css")
print(json.dumps({
    "module": app.__file__,
    "root": flask_app.root_path,
    "status": page.status_code,
    "html": page.get_data(as_text=True),
    "css": css.status_code,
}))
"""


def _checkout_copy(target: Path) -> Path:
    """The files git knows (tracked, or new and not ignored): what a clean clone holds, with no
    .mo, build/ or .venv that the checkout may have."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="builds from the files git lists: needs git and a git checkout",
)
def test_wheel_installs_and_runs_outside_the_checkout_in_swedish(tmp_path: Path) -> None:
    # Build from a copy of the checkout, with the build tools of the test environment (the
    # lock's setuptools and Babel), as `make wheel` does.
    source = _checkout_copy(tmp_path / "source")
    wheels = tmp_path / "wheels"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLASK_", "MOTESPLATS_"))
    }
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--wheel-dir", str(wheels), str(source)],
        cwd=tmp_path,
        env=env,
    )
    (wheel,) = wheels.glob("motesplats-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for lang in ("sv", "en", "fi"):
        assert f"motesplats_files/translations/{lang}/LC_MESSAGES/messages.mo" in names
    assert "motesplats_files/templates/base.html" in names
    assert "motesplats_files/static/css/motesplats.min.css" in names
    assert "motesplats_files/migrations/env.py" in names
    assert not [n for n in names if n.endswith((".po", ".pyc")) or n.startswith("tests/")]

    # A fresh virtual environment. Its dependencies are the test environment's (a .pth file
    # names that site-packages; the editable install of the checkout there is a .pth of its
    # own, which Python does not follow from a directory added this way); the wheel itself
    # goes in with --no-deps, from the file only.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            tmp_path,
            env,
        ).strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "motesplats-test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps"]
        + ["--no-index", str(wheel)],
        cwd=tmp_path,
        env=env,
    )

    # Outside the checkout: migrate, then the front page and a static file.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = tmp_path / "installed.sqlite"
    env |= {"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "packaging-test"}
    _run([python, "-m", "flask", "--app", "app", "db", "upgrade"], elsewhere, env)
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)

    seen = json.loads(_run([python, "-c", REQUEST_PAGES], elsewhere, env).splitlines()[-1])
    assert Path(seen["module"]).is_relative_to(venv), "the installed app.py, not the checkout's"
    assert Path(seen["root"]) == site / "motesplats_files"
    assert seen["status"] == 200
    assert '<html lang="sv"' in seen["html"]
    assert ">Tillgänglighet</a>" in seen["html"], "the Swedish catalogue travels compiled"
    assert "Upcoming events" not in seen["html"]
    assert seen["css"] == 200


def test_app_with_no_configuration_speaks_swedish(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app() with no configuration (only a database and a key, from the environment,
    as a server would give them) and a visitor with no Accept-Language: Swedish."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "packaging-test")
    monkeypatch.setenv("PUBLIC_PAGE_CACHE_SECONDS", "0")
    flask_app = create_app()
    try:
        with flask_app.app_context():
            upgrade()  # already at head: nothing to do, as `flask db upgrade` on a live site
        html = flask_app.test_client().get("/").get_data(as_text=True)
        assert '<html lang="sv"' in html
        assert ">Tillgänglighet</a>" in html
        assert "Upcoming events" not in html
    finally:
        with flask_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_lock_holds_every_declared_dependency_in_its_range() -> None:
    """requirements.lock pins each dependency pyproject.toml declares (runtime and dev) at a
    version the declared range allows; a branch that adds or narrows one without `make lock`
    fails here with what to do."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    pins = {
        canonicalize_name(name): Version(version)
        for name, version in re.findall(
            r"^([A-Za-z0-9._-]+)==([^\s;\\]+)",
            (ROOT / "requirements.lock").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    }
    wrong = []
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            wrong.append(f"{requirement} is not in requirements.lock")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            wrong.append(f"{requirement} but requirements.lock pins {pinned}")
    assert not wrong, "run `make lock` and commit requirements.lock:\n" + "\n".join(wrong)
