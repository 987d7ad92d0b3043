"""Benchmark: the event page and the registration POST under gunicorn with the production
settings (gunicorn.conf.py), beside a bare Flask app served the same way, in the same run, on
SQLite and on PostgreSQL.

    make bench                       # or: .venv/bin/python bench/run.py [--duration 15]

Needs `wrk` (Debian: apt-get install wrk); installs nothing itself. PostgreSQL is used when it
answers at BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres):
a fresh database is made and dropped afterwards. The table is printed and written to
bench/results/latest.md. A benchmark reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

EVENT_COUNT = 200
PAGE_EVENT_SLUG = "bench-event-100"
REGISTRATION_SLUG = "bench-registration"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Targets from issue 3, on a 2-core machine with 32 concurrent clients.
PAGE_RATIO_TARGET = 0.5
REGISTRATION_RATIO_TARGET = 0.2
REGISTRATION_P99_TARGET_MS = 100.0


# --- results ---------------------------------------------------------------------------------


@dataclass
class WrkResult:
    label: str
    requests_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    raw: str = ""

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(label: str, output: str) -> WrkResult:
    result = WrkResult(label=label, raw=output)
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.requests_per_s = float(m.group(1))
    if m := re.search(r"^\s*50%\s+(\S+)", output, re.M):
        result.p50_ms = _ms(m.group(1))
    if m := re.search(r"^\s*99%\s+(\S+)", output, re.M):
        result.p99_ms = _ms(m.group(1))
    if m := re.search(r"(\d+) requests in", output):
        result.requests = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result.non_2xx = int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        result.socket_errors = sum(int(g) for g in m.groups())
    for status, count in re.findall(r"^STATUS (\d+) (\d+)$", output, re.M):
        result.statuses[int(status)] = int(count)
    return result


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], ready_path: str, extra: list[str]
) -> Iterator[str]:
    """Serve app_spec with `-c gunicorn.conf.py` (the production settings) on a loopback port."""
    port = free_port()
    environment = os.environ.copy()
    environment.update(env)
    environment.setdefault("GUNICORN_LOG_LEVEL", "warning")
    environment["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        *extra,
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers, even if not with 200 (reported by wrk later)
            except Exception:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited at start: {app_spec}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- databases -------------------------------------------------------------------------------


def _event_data(i: int, now: datetime) -> dict[str, Any]:
    start = (now + timedelta(days=2 + i)).replace(hour=7, minute=0, second=0, microsecond=0)
    kinds = ("conference", "workshop", "webinar")
    kind = kinds[i % 3]
    fmt = "online" if kind == "webinar" else ("hybrid" if i % 5 == 0 else "in_person")
    cities = ("Stockholm", "Göteborg", "Malmö", "Umeå", "Helsinki", "Uppsala")
    sessions = []
    for s in range(4):
        s_start = start + timedelta(hours=s * 1.5)
        sessions.append(
            {
                "title": f"Pass {s + 1}: sysselsättningskrav steg för steg",
                "description": "Erfarenheter från kommuner och regioner.",
                "starts_at": s_start.isoformat(),
                "ends_at": (s_start + timedelta(hours=1, minutes=15)).isoformat(),
                "room": f"Sal {s + 1}",
                "capacity": 40 if s == 2 else None,
                "speakers": [
                    {"name": "Karin Lind", "organisation": "Upphandlingsmyndigheten"},
                    {"name": "Mikko Virtanen", "organisation": "Helsingin kaupunki"},
                ],
            }
        )
    return {
        "slug": f"bench-event-{i}",
        "title": f"Sysselsättningskrav i offentlig upphandling {i}",
        "description": (
            "## Om dagen\n\nVi går igenom **hur** man ställer krav och följer upp dem.\n\n"
            "- modeller\n- goda exempel\n- uppföljning\n"
        ),
        "kind": kind,
        "format": fmt,
        "language": ("sv", "en", "fi")[i % 3],
        "timezone": "Europe/Helsinki" if i % 6 == 4 else "Europe/Stockholm",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
        "venue": {
            "name": "Konferenscentret",
            "address": "Storgatan 1",
            "city": cities[i % len(cities)],
            "country": "Sverige",
        },
        "online_url": "https://meet.example.se/bench" if fmt != "in_person" else "",
        "capacity": 60 + i,
        "target_groups": [
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": 30},
        ],
        "sessions": sessions,
        "status": "published",
    }


def seed(url: str) -> None:
    """Migrate (Alembic, as in production) and fill the database with realistic events."""
    from flask_migrate import upgrade

    from app import create_app
    from core.auth import create_organiser
    from core.db import db
    from events.services import create_event

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False})
    with app.app_context():
        upgrade()
        organiser = create_organiser("bench@upphandlingsmyndigheten.se", "Bench", "bench-pass-1")
        now = datetime.now(UTC)
        for i in range(EVENT_COUNT):
            create_event(organiser, _event_data(i, now))
        big = _event_data(EVENT_COUNT, now)
        big.update(
            slug=REGISTRATION_SLUG,
            title="Stor konferens om sysselsättningskrav",
            capacity=1_000_000,
            sessions=[],
            target_groups=[],  # an empty list admits every target group, without quotas
        )
        create_event(organiser, big)
        db.session.remove()
        db.engine.dispose()


def postgres_admin_url() -> str | None:
    """The admin URL when PostgreSQL answers, else None."""
    import sqlalchemy as sa

    url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except Exception as exc:  # not reachable: the run goes on with SQLite only
        print(f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}; SQLite only.")
        return None
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"motesplats_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- wrk -------------------------------------------------------------------------------------


@dataclass
class Load:
    duration: int
    warmup: int
    connections: int
    threads: int


def wrk(
    label: str, url: str, load: Load, script: Path | None = None, args: list[str] | None = None
) -> WrkResult:
    def command(seconds: int, extra_args: list[str]) -> list[str]:
        cmd = [
            "wrk",
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
        ]
        if script:
            cmd += ["-s", str(script)]
        cmd.append(url)
        if extra_args:
            cmd += ["--", *extra_args]
        return cmd

    if load.warmup:
        warm_args = [a + "-warm" for a in args or []]
        subprocess.run(command(load.warmup, warm_args), capture_output=True, text=True, check=False)
    print(f"  {label}: wrk {load.duration}s ...", flush=True)
    done = subprocess.run(command(load.duration, list(args or [])), capture_output=True, text=True)
    output = done.stdout + done.stderr
    result = parse_wrk(label, output)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items()))
    print(
        f"    {result.requests_per_s:,.0f} req/s, p50 {fmt_ms(result.p50_ms)}, "
        f"p99 {fmt_ms(result.p99_ms)}, non-2xx {result.non_2xx}, socket errors "
        f"{result.socket_errors}" + (f" ({statuses})" if statuses else ""),
        flush=True,
    )
    return result


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


# --- the run ---------------------------------------------------------------------------------


def run_baseline(label: str, load: Load, env: dict[str, str], run_id: str) -> dict[str, WrkResult]:
    with gunicorn(
        "baseline_app:app", env, f"/events/{PAGE_EVENT_SLUG}", ["--pythonpath", str(BENCH)]
    ) as base:
        return {
            "page": wrk(f"bare Flask {label}: GET page", f"{base}/events/{PAGE_EVENT_SLUG}", load),
            "register": wrk(
                f"bare Flask {label}: POST JSON",
                f"{base}/api/v1/events/{REGISTRATION_SLUG}/registrations",
                load,
                BENCH / "register.lua",
                [f"{run_id}-base-{label}"],
            ),
        }


def run_app(db_label: str, url: str, load: Load, env: dict[str, str], run_id: str):
    print(f"Seeding {db_label}: {EVENT_COUNT} events with sessions ...", flush=True)
    started = time.monotonic()
    seed(url)
    print(f"  seeded in {time.monotonic() - started:.1f}s", flush=True)
    server_env = env | {"DATABASE_URL": url}
    with gunicorn("app:create_app()", server_env, "/accessibility", []) as base:
        return {
            "page": wrk(
                f"app on {db_label}: GET /events/<slug>", f"{base}/events/{PAGE_EVENT_SLUG}", load
            ),
            "register": wrk(
                f"app on {db_label}: POST registration",
                f"{base}/api/v1/events/{REGISTRATION_SLUG}/registrations",
                load,
                BENCH / "register.lua",
                [f"{run_id}-{db_label}"],
            ),
        }


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(
    meta: dict[str, str],
    before: dict[str, WrkResult],
    after: dict[str, WrkResult],
    apps: dict[str, dict[str, WrkResult]],
) -> str:
    def base_rps(kind: str) -> float:
        values = [r[kind].requests_per_s for r in (before, after) if r[kind].requests_per_s]
        return sum(values) / len(values) if values else 0.0

    lines = [
        "## Benchmark",
        "",
        ", ".join(f"{k}: {v}" for k, v in meta.items()),
        "",
        "| Database | Endpoint | Server | Requests/s | p50 | p99 | Non-2xx | Socket errors "
        "| × bare Flask | Target |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    names = {"page": "event page (GET)", "register": "registration (POST)"}
    for kind in ("page", "register"):
        for label, res in (("before", before), ("after", after)):
            r = res[kind]
            lines.append(
                f"| – | {names[kind]} | bare Flask ({label}) | {r.requests_per_s:,.0f} "
                f"| {fmt_ms(r.p50_ms)} | {fmt_ms(r.p99_ms)} | {r.non_2xx} | {r.socket_errors} "
                "| 1.00 | |"
            )
    for db_label, res in apps.items():
        for kind in ("page", "register"):
            r = res[kind]
            base = base_rps(kind)
            ratio = r.requests_per_s / base if base else 0.0
            if kind == "page":
                target = f"≥ {PAGE_RATIO_TARGET}×: {verdict(ratio >= PAGE_RATIO_TARGET)}"
            else:
                p99_ok = r.p99_ms is not None and r.p99_ms < REGISTRATION_P99_TARGET_MS
                target = (
                    f"≥ {REGISTRATION_RATIO_TARGET}×: "
                    f"{verdict(ratio >= REGISTRATION_RATIO_TARGET)}; "
                    f"p99 < {REGISTRATION_P99_TARGET_MS:.0f} ms: {verdict(p99_ok)}"
                )
            if not r.clean:
                target += " (errors: not a valid measurement)"
            lines.append(
                f"| {db_label} | {names[kind]} | app | {r.requests_per_s:,.0f} "
                f"| {fmt_ms(r.p50_ms)} | {fmt_ms(r.p99_ms)} | {r.non_2xx} | {r.socket_errors} "
                f"| {ratio:.2f} | {target} |"
            )
    statuses = [
        f"- {db_label}: registration status codes: "
        + ", ".join(f"{k} × {v}" for k, v in sorted(res["register"].statuses.items()))
        for db_label, res in apps.items()
        if res["register"].statuses
    ]
    if statuses:
        lines += ["", *statuses]
    lines += [
        "",
        "Ratios compare with the mean of the bare Flask runs before and after. Non-2xx counts "
        "responses that were not 2xx or 3xx; a run with any is not a valid measurement.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 15)))
    parser.add_argument("--warmup", type=int, default=int(os.environ.get("BENCH_WARMUP", 5)))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not installed. Install it (Debian/Ubuntu: apt-get install -y wrk) "
            "and run again.",
            file=sys.stderr,
        )
        return 2

    load = Load(args.duration, args.warmup, args.connections, args.threads)
    run_id = uuid.uuid4().hex[:8]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = os.environ.get("WEB_CONCURRENCY") or str(2 * (cores or 1) + 1)
    threads = os.environ.get("GUNICORN_THREADS") or "1"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    import gunicorn as gunicorn_pkg

    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "?",
        "cores": str(cores),
        "gunicorn": f"{gunicorn_pkg.__version__}, -c gunicorn.conf.py, {workers} workers × "
        f"{threads} thread(s)",
        "wrk": f"{load.threads} threads, {load.connections} connections, {load.duration}s "
        f"(+{load.warmup}s warm-up) per run",
        "Python": platform.python_version(),
    }
    print("Benchmark: " + "; ".join(f"{k} {v}" for k, v in meta.items()), flush=True)

    with tempfile.TemporaryDirectory(prefix="motesplats-bench-") as tmp:
        env = {
            "WEB_CONCURRENCY": workers,
            "GUNICORN_THREADS": threads,
            "SECRET_KEY": "bench-secret-key",
            "MOTESPLATS_ENV": "production",
            "RATELIMIT_ENABLED": "false",
            "MAIL_SERVER": "",
            "MAIL_OUTBOX_DIR": str(Path(tmp) / "mail"),
        }
        print("Bare Flask (before):", flush=True)
        before = run_baseline("before", load, env, run_id)
        apps: dict[str, dict[str, WrkResult]] = {}
        apps["SQLite"] = run_app(
            "SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", load, env, run_id
        )
        admin = None if args.no_postgres else postgres_admin_url()
        if admin:
            with fresh_postgres(admin) as pg_url:
                apps["PostgreSQL"] = run_app("PostgreSQL", pg_url, load, env, run_id)
        print("Bare Flask (after):", flush=True)
        after = run_baseline("after", load, env, run_id)

    text = report(meta, before, after, apps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    raw = [
        f"### {r.label}\n\n```\n{r.raw.strip()}\n```\n"
        for group in [before, *apps.values(), after]
        for r in group.values()
    ]
    (RESULTS / "latest-raw.md").write_text("\n".join(raw))
    print()
    print(text)
    print(f"Written to {RESULTS / 'latest.md'} (wrk's raw output in latest-raw.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
