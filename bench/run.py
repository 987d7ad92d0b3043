"""Benchmark: the event page (with and without the page cache) and the registration POST (into
an empty event, and into one that already holds 50,000 confirmed registrations) under gunicorn
with the production settings (gunicorn.conf.py), beside a bare Flask app served the same way in
the same run, on SQLite and on PostgreSQL.

    make bench                       # or: .venv/bin/python bench/run.py [--duration 15]
    BENCH_SECONDS=5 BENCH_WARMUP=2 make bench      # a short run, to check the machinery

For each figure: requests a second, p50 and p99 (wrk), the gunicorn workers' CPU time per request
(from /proc/<pid>/stat before and after the timed run), the SQL statements per request (the app's
X-Statements header under BENCH_COUNT_STATEMENTS=1, read from a few requests after the run), and
the ratio to the bare Flask app. Needs `wrk` (Debian: apt-get install wrk); installs nothing.
PostgreSQL is used when it answers at BENCH_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres): a fresh database is made and dropped
afterwards. The table is printed and written to bench/results/latest.md. A benchmark reports;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
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
REGISTRATION_SLUG = "bench-registration"  # empty when the registration run starts
FLAT_SLUG = "bench-registration-full"  # seeded with FLAT_ROWS confirmed registrations
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROBES = 20  # requests after each timed run that read X-Statements

# Targets from issue 7, on a 2-core machine with 32 concurrent clients.
PAGE_CACHED_RATIO_TARGET = 0.6
PAGE_UNCACHED_CPU_TARGET_MS = 2.0
REGISTRATION_RATIO_TARGET = {"SQLite": 0.25, "PostgreSQL": 0.15}
REGISTRATION_P99_TARGET_MS = 100.0
FLAT_COST_TARGET = 1.15


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
    cpu_ms: float | None = None  # the workers' CPU time per request
    statements: float | None = None  # SQL statements per request
    note: str = ""

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


# --- servers and their CPU time ----------------------------------------------------------------


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def workers_of(master: int) -> list[int]:
    """The gunicorn master's child processes (its workers), from /proc."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class Server:
    base: str
    master: int

    def cpu(self) -> tuple[frozenset[int], float]:
        pids = workers_of(self.master)
        return frozenset(pids), sum(cpu_seconds(pid) for pid in pids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], ready_path: str, extra: list[str]
) -> Iterator[Server]:
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
        "--no-control-socket",
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
        yield Server(base, process.pid)
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


def _fill(event_id: int, rows: int) -> None:
    """`rows` confirmed registrations for the event, written directly (executemany in chunks),
    then the kept seat counters, when the schema has them, set to match."""
    import sqlalchemy as sa

    from core.db import db, utcnow
    from events.models import Event
    from participants.models import Organisation, Registration

    now = utcnow()
    organisation_id = db.session.execute(
        sa.insert(Organisation)
        .values(key="bench-flat", name="Bench kommun", org_number=None, country="SE")
        .returning(Organisation.id)
    ).scalar_one()
    chunk = 5000
    for first in range(0, rows, chunk):
        db.session.execute(
            sa.insert(Registration.__table__),
            [
                {
                    "event_id": event_id,
                    "organisation_id": organisation_id,
                    "token": f"bench-flat-{n:08d}-{uuid.uuid4().hex}",
                    "name": f"Bench Person {n}",
                    "email": f"bench-flat-{n}@example.se",
                    "target_group": "contracting_authority",
                    "role": "Upphandlare",
                    "language": "sv",
                    "needs": "",
                    "consent_future_invitations": False,
                    "status": "confirmed",
                    "added_by_organiser": False,
                    "created_at": now,
                }
                for n in range(first, min(rows, first + chunk))
            ],
        )
    # The kept counts (participants/seats.py), as the registrations above make them.
    from events.models import EventTargetGroup

    db.session.execute(sa.update(Event).where(Event.id == event_id).values(confirmed_count=rows))
    db.session.execute(
        sa.update(EventTargetGroup)
        .where(
            EventTargetGroup.event_id == event_id,
            EventTargetGroup.code == "contracting_authority",
        )
        .values(confirmed_count=rows)
    )
    db.session.commit()


def seed(url: str, flat_rows: int) -> None:
    """Migrate (Alembic, as in production), fill the database with realistic events, the empty
    registration event and the one holding flat_rows confirmed registrations; then ANALYZE."""
    import sqlalchemy as sa
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
        for slug, title in (
            (REGISTRATION_SLUG, "Stor konferens om sysselsättningskrav"),
            (FLAT_SLUG, "Stor konferens med många anmälda"),
        ):
            big = _event_data(EVENT_COUNT, now)
            big.update(
                slug=slug,
                title=title,
                capacity=1_000_000,
                sessions=[],
                target_groups=[],  # an empty list admits every target group, without quotas
            )
            event = create_event(organiser, big)
        started = time.monotonic()
        _fill(event.id, flat_rows)
        print(
            f"  {flat_rows:,} confirmed registrations in {FLAT_SLUG} "
            f"({time.monotonic() - started:.1f}s)",
            flush=True,
        )
        db.session.remove()
        # Statistics for the planner: autovacuum is off on the bench machine's PostgreSQL.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
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


# --- wrk and the probes ------------------------------------------------------------------------


@dataclass
class Load:
    duration: int
    warmup: int
    connections: int
    threads: int


def registration_body(email: str, n: int) -> bytes:
    """The same registration as register.lua sends."""
    return json.dumps(
        {
            "name": f"Bench Person {n}",
            "email": email,
            "organisation": {
                "name": f"Kommun {n % 290}",
                "org_number": "202100-5489",
                "country": "SE",
            },
            "target_group": "contracting_authority",
            "role": "Upphandlare",
            "language": "sv",
            "sessions": [],
            "needs": "",
            "consent_future_invitations": False,
        }
    ).encode()


def probe_statements(url: str, post_id: str | None) -> float | None:
    """Mean X-Statements over PROBES requests (None when the server does not send it)."""
    counts = []
    for n in range(PROBES):
        if post_id is None:
            request = urllib.request.Request(url)
        else:
            request = urllib.request.Request(
                url,
                data=registration_body(f"probe-{post_id}-{n}@example.se", n),
                headers={"Content-Type": "application/json", "Accept-Language": "sv"},
                method="POST",
            )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                header = response.headers.get("X-Statements")
        except urllib.error.HTTPError as err:
            header = err.headers.get("X-Statements")
        if header is None:
            return None
        counts.append(int(header))
    return sum(counts) / len(counts)


def wrk(
    label: str,
    server: Server,
    path: str,
    load: Load,
    script: Path | None = None,
    args: list[str] | None = None,
) -> WrkResult:
    url = server.base + path

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
    pids_before, cpu_before = server.cpu()
    done = subprocess.run(command(load.duration, list(args or [])), capture_output=True, text=True)
    pids_after, cpu_after = server.cpu()
    output = done.stdout + done.stderr
    result = parse_wrk(label, output)
    if result.requests:
        result.cpu_ms = (cpu_after - cpu_before) * 1000 / result.requests
    if pids_before != pids_after:
        result.note = "a worker was replaced during the run: CPU per request is too low"
    result.statements = probe_statements(url, f"{args[0]}-probe" if args else None)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items()))
    print(
        f"    {result.requests_per_s:,.0f} req/s, CPU {fmt_ms(result.cpu_ms)}/req, "
        f"SQL {fmt_n(result.statements)}/req, p50 {fmt_ms(result.p50_ms)}, "
        f"p99 {fmt_ms(result.p99_ms)}, non-2xx {result.non_2xx}, socket errors "
        f"{result.socket_errors}" + (f" ({statuses})" if statuses else ""),
        flush=True,
    )
    return result


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def fmt_n(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


# --- the run ---------------------------------------------------------------------------------


def run_baseline(label: str, load: Load, env: dict[str, str], run_id: str) -> dict[str, WrkResult]:
    path = f"/events/{PAGE_EVENT_SLUG}"
    with gunicorn("baseline_app:app", env, path, ["--pythonpath", str(BENCH)]) as server:
        return {
            "page": wrk(f"bare Flask {label}: GET page", server, path, load),
            "register": wrk(
                f"bare Flask {label}: POST JSON",
                server,
                f"/api/v1/events/{REGISTRATION_SLUG}/registrations",
                load,
                BENCH / "register.lua",
                [f"{run_id}-base-{label}"],
            ),
        }


def tidy(url: str) -> None:
    """Between runs, what production does in the background: PostgreSQL's autovacuum (off on
    the bench machine) and, on SQLite, the outbox worker's WAL checkpoint. Otherwise the dead
    row versions and the WAL the previous run left are charged to the next one."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM ANALYZE")
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def run_app(
    db_label: str, url: str, load: Load, env: dict[str, str], run_id: str, flat_rows: int
) -> dict[str, WrkResult]:
    print(f"Seeding {db_label}: {EVENT_COUNT} events with sessions ...", flush=True)
    started = time.monotonic()
    seed(url, flat_rows)
    print(f"  seeded in {time.monotonic() - started:.1f}s", flush=True)
    server_env = env | {"DATABASE_URL": url, "BENCH_COUNT_STATEMENTS": "1"}
    page = f"/events/{PAGE_EVENT_SLUG}"
    results: dict[str, WrkResult] = {}
    with gunicorn("app:create_app()", server_env, "/accessibility", []) as server:
        results["page_cached"] = wrk(f"app on {db_label}: GET page, cached", server, page, load)
    uncached = server_env | {"PUBLIC_PAGE_CACHE_SECONDS": "0"}
    with gunicorn("app:create_app()", uncached, "/accessibility", []) as server:
        results["page"] = wrk(f"app on {db_label}: GET page, not cached", server, page, load)
        for kind, slug, what in (
            ("register", REGISTRATION_SLUG, "into an empty event"),
            ("register_flat", FLAT_SLUG, f"into one with {flat_rows:,} confirmed"),
        ):
            tidy(url)
            results[kind] = wrk(
                f"app on {db_label}: POST registration {what}",
                server,
                f"/api/v1/events/{slug}/registrations",
                load,
                BENCH / "register.lua",
                [f"{run_id}-{db_label}-{kind}"],
            )
    return results


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(
    meta: dict[str, str],
    before: dict[str, WrkResult],
    after: dict[str, WrkResult],
    apps: dict[str, dict[str, WrkResult]],
    flat_rows: int,
) -> str:
    def base(kind: str, attr: str) -> float:
        values = [getattr(r[kind], attr) for r in (before, after) if getattr(r[kind], attr)]
        return sum(values) / len(values) if values else 0.0

    lines = [
        "## Benchmark",
        "",
        ", ".join(f"{k}: {v}" for k, v in meta.items()),
        "",
        "| Database | Case | Server | Requests/s | CPU/request | SQL/request | p50 | p99 "
        "| Non-2xx | Socket errors | × bare Flask | Target |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]

    def row(db_label: str, case: str, server: str, r: WrkResult, ratio: str, target: str) -> None:
        if not r.clean:
            target += " (errors: not a valid measurement)"
        if r.note:
            target += f" ({r.note})"
        lines.append(
            f"| {db_label} | {case} | {server} | {r.requests_per_s:,.0f} | {fmt_ms(r.cpu_ms)} "
            f"| {fmt_n(r.statements)} | {fmt_ms(r.p50_ms)} | {fmt_ms(r.p99_ms)} | {r.non_2xx} "
            f"| {r.socket_errors} | {ratio} | {target} |"
        )

    for kind, case in (("page", "event page (GET)"), ("register", "registration (POST)")):
        for label, res in (("before", before), ("after", after)):
            row("–", case, f"bare Flask ({label})", res[kind], "1.00", "")
    flat_lines = []
    for db_label, res in apps.items():
        cases = (
            ("page_cached", "page", "event page (GET), cached"),
            ("page", "page", "event page (GET), not cached"),
            ("register", "register", "registration (POST), empty event"),
            ("register_flat", "register", f"registration (POST), {flat_rows:,} confirmed"),
        )
        for kind, base_kind, case in cases:
            r = res[kind]
            base_rps = base(base_kind, "requests_per_s")
            ratio = r.requests_per_s / base_rps if base_rps else 0.0
            p99_ok = r.p99_ms is not None and r.p99_ms < REGISTRATION_P99_TARGET_MS
            if kind == "page_cached":
                target = (
                    f"≥ {PAGE_CACHED_RATIO_TARGET}×: {verdict(ratio >= PAGE_CACHED_RATIO_TARGET)}"
                )
            elif kind == "page":
                ok = r.cpu_ms is not None and r.cpu_ms <= PAGE_UNCACHED_CPU_TARGET_MS
                target = f"CPU ≤ {PAGE_UNCACHED_CPU_TARGET_MS:.0f} ms: {verdict(ok)}"
            else:
                wanted = REGISTRATION_RATIO_TARGET.get(db_label, 0.15)
                target = (
                    f"≥ {wanted}×: {verdict(ratio >= wanted)}; "
                    f"p99 < {REGISTRATION_P99_TARGET_MS:.0f} ms: {verdict(p99_ok)}"
                )
            row(db_label, case, "app", r, f"{ratio:.2f}", target)
        empty, full = res["register"], res["register_flat"]
        if empty.cpu_ms and full.cpu_ms:
            cost = full.cpu_ms / empty.cpu_ms
            speed = empty.requests_per_s / full.requests_per_s if full.requests_per_s else 0.0
            flat_lines.append(
                f"- {db_label}: a registration into the event with {flat_rows:,} confirmed costs "
                f"{cost:.2f}× the CPU of one into the empty event (throughput {speed:.2f}× "
                f"slower); within {FLAT_COST_TARGET - 1:.0%}: {verdict(cost <= FLAT_COST_TARGET)}"
            )
    statuses = [
        f"- {db_label}, {kind}: status codes: "
        + ", ".join(f"{k} × {v}" for k, v in sorted(res[kind].statuses.items()))
        for db_label, res in apps.items()
        for kind in ("register", "register_flat")
        if res[kind].statuses
    ]
    lines += ["", "Flat cost:", *flat_lines] if flat_lines else []
    if statuses:
        lines += ["", *statuses]
    lines += [
        "",
        "CPU/request: the gunicorn workers' user + system CPU time during the timed run, divided "
        "by its requests. SQL/request: the mean of the app's X-Statements header "
        f"(BENCH_COUNT_STATEMENTS=1) over {PROBES} requests after the run. Ratios compare "
        "requests/s with the mean of the bare Flask runs before and after. Non-2xx counts "
        "responses that were not 2xx or 3xx; a run with any is not a valid measurement.",
    ]
    return "\n".join(lines) + "\n"


def _env_int(*names: str, default: int) -> int:
    for name in names:
        if os.environ.get(name, "").strip():
            return int(os.environ[name])
    return default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=int, default=_env_int("BENCH_SECONDS", "BENCH_DURATION", default=15)
    )
    parser.add_argument("--warmup", type=int, default=_env_int("BENCH_WARMUP", default=5))
    parser.add_argument(
        "--connections", type=int, default=_env_int("BENCH_CONNECTIONS", default=32)
    )
    parser.add_argument("--threads", type=int, default=_env_int("BENCH_THREADS", default=2))
    parser.add_argument(
        "--flat-rows", type=int, default=_env_int("BENCH_FLAT_ROWS", default=50_000)
    )
    parser.add_argument(
        "--no-postgres",
        action="store_true",
        default=os.environ.get("BENCH_NO_POSTGRES") == "1",
        help="SQLite only",
    )
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
            "SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", load, env, run_id, args.flat_rows
        )
        admin = None if args.no_postgres else postgres_admin_url()
        if admin:
            with fresh_postgres(admin) as pg_url:
                apps["PostgreSQL"] = run_app(
                    "PostgreSQL", pg_url, load, env, run_id, args.flat_rows
                )
        print("Bare Flask (after):", flush=True)
        after = run_baseline("after", load, env, run_id)

    text = report(meta, before, after, apps, args.flat_rows)
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
