"""Start the real application under gunicorn with several worker processes, for tests that
need true concurrency (and for the browser tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_server(
    database_url: str,
    *,
    workers: int = 4,
    threads: int = 1,
    env: dict[str, str] | None = None,
    app_spec: str = "app:create_app()",
    instance: Path | None = None,
) -> Iterator[str]:
    """Serve app_spec on a free loopback port; yields its base URL and stops it afterwards.

    The database must already be migrated."""
    port = free_port()
    environment = os.environ.copy()
    environment.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-server-secret",
            "RATELIMIT_ENABLED": "false",
            "PUBLIC_PAGE_CACHE_SECONDS": "0",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    if instance is not None:
        environment["MAIL_OUTBOX_DIR"] = str(instance / "mail")
        environment["UPLOAD_DIR"] = str(instance / "uploads")
    environment.update(env or {})
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + "/accessibility", timeout=2):
                    break
            except Exception:
                if process.poll() is not None:
                    raise RuntimeError("gunicorn exited at start") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
