"""Soak test (issue 13): the production shape under mixed traffic for a few minutes, with an
outbox worker and a web worker killed midway, then checks that nothing was lost.

    make soak                                  # or: .venv/bin/python bench/soak.py
    .venv/bin/python bench/soak.py --quick     # about 40 s of traffic
    .venv/bin/python bench/soak.py --duration 600 --clients 12

What runs, all on loopback:

- PostgreSQL: a fresh database (SOAK_POSTGRES_URL's server, default
  postgresql+psycopg://postgres@127.0.0.1:5432/postgres), migrated with
  `flask --app app db upgrade`, seeded through the services (24 published events: six with
  room for thousands and one with 8 seats that gets 30 % of the registrations, so that it has
  a waiting list promoted when someone cancels; three public materials with files; a survey
  that stands alone, to every confirmed registrant), dropped at the end (--keep-db keeps it);
- gunicorn with the production settings (`-c gunicorn.conf.py --no-control-socket`,
  WEB_CONCURRENCY=4 sync workers by default, MOTESPLATS_ENV=production, rate limits off);
- a real SMTP server (aiosmtpd) that records every message it accepts by Message-ID, listening
  on two ports, one per outbox worker, so that it knows which worker a message came from;
- two outbox workers (`flask --app app worker --interval 1`), each sending to its own port,
  with a short lease (OUTBOX_LEASE_SECONDS=40) so that a dead worker's batch is taken over
  within the run rather than after the production default of five minutes.

Client threads (8 by default, each a requests.Session with its own cookies) pick, again and
again, one of: an event list (/, /?page=2, /past, /materials), an event page, a registration
through the JSON API (201) or through the HTML form (GET with its CSRF token, POST, 302 to the
person's page), a cancellation through /r/<token>/cancel, an answer to the survey from an
invitation the SMTP server received (every page of /s/<token> filled with valid answers), a
material download. Every address is new.

Midway (45 % of the run) the SMTP server, on receiving the next message from outbox worker A,
stores it and SIGKILLs A before answering 250: A dies between the mail server's acceptance and
its own record (the row stays `sending` under A's lease), which is the window in which a crash
repeats a message. A is started again 2 s later. (--kill-outbox anytime kills it wherever it
is instead.) At 60 % one gunicorn worker is SIGKILLed (gunicorn starts another; the request it
was serving, if any, is a connection error for its client; --no-kill-web skips it).

When the traffic stops the outbox is waited on until nothing is queued or sending and the row
count is steady, then it checks (exit 1 when one fails):

- no 5xx, and no other status a step did not expect (each step's statuses are listed);
- connection errors at most one per gunicorn worker killed (a sync worker serves one request);
- no lost registration: each one answered 201 or 302 is in the database, cancelled exactly
  when its cancellation answered 302; `flask --app app seats check` finds every kept count right;
- no lost email: every outbox row is `sent` (none queued, sending or failed) and the SMTP
  server received each sent row's message (X-Outbox-Id and Message-ID), and nothing else;
- at most one duplicate per outbox worker killed: a Message-ID received twice, its copies
  from the same outbox row with the same Message-ID;
- each survey answer sent (302 to the thank-you page) is recorded, each download (200) too.

Figures (requests a second per kind, p50 and p99 of each request, statuses, emails queued, sent,
received and duplicated) are printed and written to bench/results/soak-latest.md. On a shared
2-core machine they are indicative only: the clients, the SMTP server, PostgreSQL and the
workers all share the same cores.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from bench.run import _event_data, cpu_seconds, free_port, workers_of  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
EVENTS = 24
BIG_EVENTS = range(0, 6)  # room for thousands: registrations confirmed
SMALL_EVENT = 6  # 8 seats: a waiting list, promoted when someone cancels
SMALL_SEATS = 8
SMALL_SHARE = 0.3  # of the registrations go to the small event
LEASE_SECONDS = (
    40  # OUTBOX_LEASE_SECONDS for the workers (core.outbox_sending.LEASE_MARGIN is 30 s)
)
RESTART_AFTER = 2.0  # seconds between killing outbox worker A and starting it again

# How often each action is picked.
WEIGHTS = {
    "list": 22,
    "event": 30,
    "register_api": 10,
    "register_form": 6,
    "cancel": 5,
    "survey": 10,
    "download": 8,
}
# The statuses each action's requests may answer; anything else fails the run.
EXPECTED = {
    "list": {200},
    "event": {200},
    "register_api": {201},
    "register_form": {200, 302, 303},
    "cancel": {200, 302, 303},
    "survey": {200, 302, 303},
    "download": {200},
}


# --- the SMTP server ---------------------------------------------------------------------------


@dataclass
class Copy:
    """One message as the SMTP server received it."""

    outbox_id: str
    port_label: str
    at: float  # seconds into the run


class Recorder:
    """Every message the SMTP server accepted, by Message-ID; the survey links found in them;
    and the trigger that kills outbox worker A inside the window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.copies: dict[str, list[Copy]] = defaultdict(list)
        self.survey_tokens: deque[str] = deque()
        self.started = time.monotonic()
        # port label -> callable run once, after the next message from that port is stored
        self.triggers: dict[str, Callable[[str], None]] = {}

    def store(self, label: str, content: bytes) -> None:
        message = email.message_from_bytes(content, policy=email.policy.default)
        message_id = str(message.get("Message-ID", "")).strip()
        outbox_id = str(message.get("X-Outbox-Id", "")).strip()
        tokens: list[str] = []
        body = message.get_body(preferencelist=("plain",))
        if body is not None:
            tokens = re.findall(r"/s/([A-Za-z0-9_-]{16,})", body.get_content())
        with self.lock:
            first = message_id not in self.copies
            self.copies[message_id].append(Copy(outbox_id, label, time.monotonic() - self.started))
            if first:  # a repeated invitation is not a second chance to answer
                for token in dict.fromkeys(tokens):
                    self.survey_tokens.append(token)
            trigger = self.triggers.pop(label, None)
        if trigger is not None:
            trigger(message_id)

    def next_survey_token(self) -> str | None:
        with self.lock:
            return self.survey_tokens.popleft() if self.survey_tokens else None


class Handler:
    """aiosmtpd's handler for one port: store, then 250."""

    def __init__(self, recorder: Recorder, label: str) -> None:
        self.recorder = recorder
        self.label = label

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.recorder.store(self.label, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_servers(recorder: Recorder, labels: list[str]) -> Iterator[dict[str, int]]:
    """One aiosmtpd Controller per label, all recording into `recorder`: label -> port."""
    from aiosmtpd.controller import Controller

    controllers = {}
    try:
        for label in labels:
            port = free_port()
            controller = Controller(
                Handler(recorder, label), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True
            )
            controller.start()
            controllers[label] = (controller, port)
        yield {label: port for label, (_c, port) in controllers.items()}
    finally:
        for controller, _port in controllers.values():
            controller.stop()


# --- the database ------------------------------------------------------------------------------


@contextmanager
def fresh_database(admin_url: str, keep: bool) -> Iterator[str]:
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"motesplats_soak_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"Database kept: {name}")
        else:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass
class Seeded:
    slugs: list[str]  # the events registered into (big ones)
    small_slug: str  # the small event, with its waiting list
    browse_slugs: list[str]  # every event page browsed
    material_ids: list[int]
    survey_id: int


def seed(url: str, upload_dir: Path) -> Seeded:
    """Events, materials and the survey, through the services (as an organiser would)."""
    import sqlalchemy as sa

    from app import create_app
    from core.auth import create_organiser
    from core.db import db
    from events.services import create_event
    from materials.demo import add_demo_materials
    from materials.models import Material
    from surveys.services import create_survey

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "soak",
            "TESTING": False,
            "UPLOAD_DIR": str(upload_dir),
        }
    )
    with app.app_context():
        organiser = create_organiser("soak@upphandlingsmyndigheten.se", "Soak", "soak-pass-12")
        now = datetime.now(UTC)
        events = []
        for i in range(EVENTS):
            data = _event_data(i, now)
            if i in BIG_EVENTS:
                data["capacity"] = 100_000
                data["target_groups"] = [
                    {"code": "contracting_authority", "quota": None},
                    {"code": "supplier", "quota": None},
                ]
            elif i == SMALL_EVENT:
                data["capacity"] = SMALL_SEATS
                data["target_groups"] = []  # every group, no quota
            events.append(create_event(organiser, data))
        add_demo_materials(events)
        material_ids = list(db.session.scalars(sa.select(Material.id).order_by(Material.id)))
        # A survey that stands alone, to every confirmed registrant of every event, due now:
        # the workers invite each new registrant on their next round.
        survey = create_survey(
            organiser,
            {
                "template": "feedback",
                "audience": "registrants",
                "language": "sv",
                "reminders": {"max": 0},
                "open_days": 30,
            },
        )
        survey_id = survey.id
        slugs = [events[i].slug for i in BIG_EVENTS]
        browse = [e.slug for e in events]
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))  # autovacuum is off on this machine's PostgreSQL
        db.engine.dispose()
    return Seeded(slugs, events[SMALL_EVENT].slug, browse, material_ids, survey_id)


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Proc:
    label: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def start(label: str, command: list[str], env: dict[str, str], logs: Path) -> Proc:
    log = logs / f"{label}.log"
    handle = log.open("ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
    handle.close()
    return Proc(label, process, log)


def stop(proc: Proc, timeout: float = 30) -> None:
    if proc.process.poll() is not None:
        return
    proc.process.terminate()
    try:
        proc.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.process.kill()
        proc.process.wait()


def start_worker(label: str, port: int, env: dict[str, str], logs: Path) -> Proc:
    worker_env = env | {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "1"]
    return start(label, command, worker_env, logs)


def wait_until_up(base: str, proc: Proc) -> None:
    import requests

    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(base + "/accessibility", timeout=2)
            return
        except requests.RequestException:
            if proc.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {proc.log}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


# --- traffic -----------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (a connection error)
    ms: float
    at: float  # seconds into the run


class Abandon(Exception):
    """A step answered what the action cannot go on from (recorded already)."""


@dataclass
class Shared:
    """What the clients learn and the checks compare with the database."""

    seeded: Seeded
    recorder: Recorder
    run_id: str
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[Sample] = field(default_factory=list)
    registered: dict[str, str] = field(default_factory=dict)  # token -> how
    cancellable: list[str] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)
    downloads: int = 0
    counter: int = 0

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter


class FormParser(HTMLParser):
    """The first <form method=post>'s fields (enough for the pages this drives)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.in_form = False
        self.done = False
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = defaultdict(list)
        self.checkboxes: dict[str, list[str]] = defaultdict(list)
        self.texts: list[tuple[str, bool]] = []  # (name, a number)
        self.textareas: list[str] = []
        self.buttons: set[str] = set()
        self.ranges: dict[str, str] = {}  # field -> its "A number from … to …" hint
        self._range_of: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post" and not self.done:
            self.in_form, self.action = True, a.get("action", "")
        if not self.in_form:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.radios[name].append(a.get("value", ""))
            elif kind == "checkbox":
                self.checkboxes[name].append(a.get("value", ""))
            elif kind == "text":
                self.texts.append((name, a.get("inputmode") == "decimal"))
        elif tag == "textarea":
            self.textareas.append(name)
        elif tag == "button" and name == "action":
            self.buttons.add(a.get("value", ""))
        elif tag == "div" and a.get("id", "").endswith("-range"):
            self._range_of = a["id"][: -len("-range")]
            self.ranges[self._range_of] = ""

    def handle_data(self, data: str) -> None:
        if self._range_of is not None:
            self.ranges[self._range_of] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._range_of = None
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def _number_in(hint: str) -> str:
    """The lowest number a question takes, from its English hint ("A number from 0 to 100")."""
    match = re.search(r"from\s+(.+?)\s+to\b", hint)
    if match:
        digits = re.sub(r"[^\d-]", "", match.group(1))
        if digits:
            return digits
    return "1"


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise Abandon("no CSRF token on the page")
    return match.group(1) or match.group(2)


class Client:
    def __init__(self, number: int, shared: Shared, base: str) -> None:
        import requests

        self.rng = random.Random(f"{shared.run_id}-{number}")
        self.shared = shared
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "sv"

    def call(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base + path, timeout=60, allow_redirects=False, **kwargs
            )
            response.content  # the whole body, downloads included  # noqa: B018
            status = response.status_code
        except requests.RequestException:
            response, status = None, 0
        done = time.monotonic()
        sample = Sample(kind, status, (done - started) * 1000, done - self.shared.started)
        with self.shared.lock:
            self.shared.samples.append(sample)
        if response is None or status not in EXPECTED[kind]:
            raise Abandon(f"{method} {path}: {status}")
        return response

    # each action: one or more requests of one kind

    def list(self) -> None:
        self.call("list", "GET", self.rng.choice(["/", "/?page=2", "/past", "/materials"]))

    def event(self) -> None:
        self.call("event", "GET", f"/events/{self.rng.choice(self.shared.seeded.browse_slugs)}")

    def _person(self) -> tuple[int, str, str]:
        n = self.shared.next_number()
        group = "supplier" if self.rng.random() < 0.2 else "contracting_authority"
        return n, f"soak-{self.shared.run_id}-{n}@example.se", group

    def _event_to_register(self) -> str:
        if self.rng.random() < SMALL_SHARE:
            return self.shared.seeded.small_slug
        return self.rng.choice(self.shared.seeded.slugs)

    def _registered(self, token: str, how: str) -> None:
        with self.shared.lock:
            self.shared.registered[token] = how
            self.shared.cancellable.append(token)

    def register_api(self) -> None:
        n, address, group = self._person()
        slug = self._event_to_register()
        body = {
            "name": f"Soak Person {n}",
            "email": address,
            "organisation": {"name": f"Kommun {n % 290}", "org_number": "", "country": "SE"},
            "target_group": group,
            "role": "Upphandlare",
            "language": self.rng.choice(["sv", "sv", "en", "fi"]),
            "sessions": [],
            "needs": "",
            "consent_future_invitations": False,
        }
        response = self.call(
            "register_api", "POST", f"/api/v1/events/{slug}/registrations", json=body
        )
        self._registered(response.json()["token"], "api")

    def register_form(self) -> None:
        n, address, group = self._person()
        slug = self._event_to_register()
        page = self.call("register_form", "GET", f"/events/{slug}/register")
        form = {
            "csrf_token": csrf_of(page.text),
            "name": f"Soak Formulär {n}",
            "email": address,
            "role": "Inköpare",
            "target_group": group,
            "language": "sv",
            "organisation": f"Region {n % 21}",
            "country": "SE",
            "org_number": "",
            "needs": "Vegetarisk" if n % 7 == 0 else "",
            "invitation": "",
        }
        answer = self.call("register_form", "POST", f"/events/{slug}/register", data=form)
        if answer.status_code not in (302, 303):
            raise Abandon(f"registration form: {answer.status_code}")
        location = urllib.parse.urlsplit(answer.headers["Location"]).path
        token = location.rstrip("/").rsplit("/", 1)[-1]
        self._registered(token, "form")
        self.call("register_form", "GET", location)

    def cancel(self) -> None:
        with self.shared.lock:
            if not self.shared.cancellable:
                token = None
            else:
                index = self.rng.randrange(len(self.shared.cancellable))
                token = self.shared.cancellable.pop(index)
        if token is None:
            return self.event()
        page = self.call("cancel", "GET", f"/r/{token}/cancel")
        answer = self.call(
            "cancel", "POST", f"/r/{token}/cancel", data={"csrf_token": csrf_of(page.text)}
        )
        if answer.status_code in (302, 303):
            with self.shared.lock:
                self.shared.cancelled.add(token)
        return None

    def survey(self) -> None:
        token = self.shared.recorder.next_survey_token()
        if token is None:
            return self.event()  # no invitation has arrived yet
        path = f"/s/{token}?lang=en"  # English hints, for the number ranges
        for _page in range(20):
            page = self.call("survey", "GET", path)
            form = FormParser()
            form.feed(page.text)
            data: list[tuple[str, str]] = list(form.hidden.items())
            for name, values in form.radios.items():
                data.append((name, self.rng.choice(values)))
            for name, values in form.checkboxes.items():
                data += [(name, v) for v in self.rng.sample(values, min(2, len(values)))]
            for name, number in form.texts:
                data.append((name, _number_in(form.ranges.get(name, "")) if number else "Bra"))
            data += [(name, "Givande dag, tack.") for name in form.textareas]
            last = "next" not in form.buttons
            data.append(("action", "submit" if last else "next"))
            answer = self.call("survey", "POST", form.action or path, data=data)
            if answer.status_code not in (302, 303):
                raise Abandon(f"survey page: {answer.status_code}")
            path = answer.headers["Location"]
            if last or "/thanks" in path:
                with self.shared.lock:
                    self.shared.answered.add(token)
                self.call("survey", "GET", path)
                return None
        raise Abandon("the survey never ended")

    def download(self) -> None:
        material = self.rng.choice(self.shared.seeded.material_ids)
        self.call("download", "GET", f"/materials/{material}/download")
        with self.shared.lock:
            self.shared.downloads += 1

    def run(self, stop_at: float, only: tuple[str, ...] | None = None) -> None:
        kinds = list(only or WEIGHTS)
        weights = [WEIGHTS[k] for k in kinds]
        while time.monotonic() < stop_at:
            kind = self.rng.choices(kinds, weights)[0]
            with suppress(Abandon):  # recorded; the next action starts afresh
                getattr(self, kind)()


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Incidents:
    outbox_kill_at: float | None = None
    outbox_kill_how: str = ""
    outbox_kill_message: str | None = None  # the message being sent when A died
    outbox_restart_at: float | None = None
    web_kill_at: float | None = None
    web_kill_pid: int | None = None
    outbox_kills: int = 0
    web_kills: int = 0
    drained_after: float = 0.0
    web_cpu: float = 0.0  # seconds of the gunicorn workers' CPU during the traffic
    own_cpu: float = 0.0  # seconds of this process's CPU (clients, SMTP server)
    load: list[float] = field(default_factory=list)  # 1-minute load average: start, end


def outbox_counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status, count(*) FROM outbox_message GROUP BY status")
            ).all()
        return {status: count for status, count in rows}
    finally:
        engine.dispose()


def drain(url: str, timeout: float) -> tuple[bool, float, dict[str, int]]:
    """Wait until nothing is queued or sending and the total has not moved for 5 s (the
    workers' rounds still invite the last registrants); (drained, seconds waited, counts)."""
    started = time.monotonic()
    steady_since, last_total = None, -1
    counts: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        counts = outbox_counts(url)
        total = sum(counts.values())
        pending = counts.get("queued", 0) + counts.get("sending", 0)
        if pending == 0 and total == last_total:
            steady_since = steady_since or time.monotonic()
            if time.monotonic() - steady_since >= 5:
                return True, time.monotonic() - started, counts
        else:
            steady_since = None
        last_total = total
        time.sleep(1)
    return False, time.monotonic() - started, counts


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def run(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    duration = 40 if args.quick else args.duration
    run_id = uuid.uuid4().hex[:6]
    nproc = os.cpu_count() or 1
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "?",
        "nproc": str(nproc),
        "traffic": f"{duration} s (after {args.warmup} s of warm-up), "
        f"{args.clients} client threads",
        "gunicorn": f"{args.web_workers} sync workers (-c gunicorn.conf.py)",
        "outbox": f"2 workers, lease {args.lease} s",
    }
    print("Soak test: " + "; ".join(f"{k} {v}" for k, v in meta.items()), flush=True)

    admin = os.environ.get("SOAK_POSTGRES_URL", DEFAULT_PG)
    checks: list[Check] = []
    incidents = Incidents()
    with (
        tempfile.TemporaryDirectory(prefix="motesplats-soak-") as tmp,
        fresh_database(admin, args.keep_db) as url,
    ):
        tmp_path = Path(tmp)
        logs = tmp_path / "logs"
        logs.mkdir()
        uploads = tmp_path / "uploads"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ.copy()
        env.update(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "soak-secret-key",
                "MOTESPLATS_ENV": "production",
                "PUBLIC_BASE_URL": base,
                "SESSION_COOKIE_SECURE": "false",  # plain http on loopback
                "RATELIMIT_ENABLED": "false",
                "UPLOAD_DIR": str(uploads),
                "WEB_CONCURRENCY": str(args.web_workers),
                "GUNICORN_THREADS": "1",
                "GUNICORN_LOG_LEVEL": "warning",
                "OUTBOX_LEASE_SECONDS": str(args.lease),
                "MAIL_TIMEOUT": "10",
                "PYTHONUNBUFFERED": "1",
            }
        )
        print("Migrating (flask --app app db upgrade) and seeding ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        seeded = seed(url, uploads)
        recorder = Recorder()
        with smtp_servers(recorder, ["A", "B"]) as ports:
            web = start(
                "gunicorn",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "--no-control-socket",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "app:create_app()",
                ],
                env,
                logs,
            )
            workers = {label: start_worker(label, ports[label], env, logs) for label in ports}
            try:
                wait_until_up(base, web)
                if args.warmup:
                    # Every gunicorn worker builds its app on its first requests (no preload):
                    # pages only, not recorded, so that start-up is not in the figures.
                    print(f"Warm-up: {args.warmup} s of page views ...", flush=True)
                    warm = Shared(seeded, recorder, run_id, time.monotonic())
                    until = warm.started + args.warmup
                    threads = [
                        threading.Thread(
                            target=Client(-1 - n, warm, base).run,
                            args=(until, ("list", "event")),
                            daemon=True,
                        )
                        for n in range(args.clients)
                    ]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                shared = Shared(seeded, recorder, run_id, time.monotonic())
                recorder.started = shared.started
                stop_at = shared.started + duration
                clients = [
                    threading.Thread(
                        target=Client(n, shared, base).run, args=(stop_at,), daemon=True
                    )
                    for n in range(args.clients)
                ]
                print(f"Traffic for {duration} s ...", flush=True)
                incidents.load.append(os.getloadavg()[0])
                web_cpu = sum(cpu_seconds(pid) for pid in workers_of(web.pid))
                own_cpu = time.process_time()
                for thread in clients:
                    thread.start()
                kill_outbox_worker(args, shared, workers, ports, env, logs, incidents, duration)
                if not args.no_kill_web:
                    wait_for(shared.started + 0.6 * duration)
                    pids = workers_of(web.pid)
                    if pids:
                        victim = random.choice(pids)
                        os.kill(victim, signal.SIGKILL)
                        incidents.web_kill_at = time.monotonic() - shared.started
                        incidents.web_kill_pid = victim
                        incidents.web_kills = 1
                        print(
                            f"  {incidents.web_kill_at:.1f} s: gunicorn worker {victim} SIGKILLed",
                            flush=True,
                        )
                for thread in clients:
                    thread.join()
                traffic_seconds = time.monotonic() - shared.started
                incidents.web_cpu = sum(cpu_seconds(p) for p in workers_of(web.pid)) - web_cpu
                incidents.own_cpu = time.process_time() - own_cpu
                print("Traffic done; waiting for the outbox to drain ...", flush=True)
                incidents.load.append(os.getloadavg()[0])
                drained, waited, counts = drain(url, timeout=args.lease + 120)
                incidents.drained_after = waited
            finally:
                for proc in workers.values():
                    stop(proc)
                stop(web)
        print(f"  drained: {drained} after {waited:.0f} s", flush=True)

        # --- what the database holds ---
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            in_db = dict(conn.execute(sa.text("SELECT token, status FROM registration")).all())
            outbox = conn.execute(
                sa.text("SELECT id, status, kind, created_at FROM outbox_message")
            ).all()
            answered_in_db = set(
                conn.execute(
                    sa.text(
                        "SELECT i.token FROM survey_invitation i "
                        "JOIN survey_answered a ON a.invitation_id = i.id"
                    )
                ).scalars()
            )
            invitations = conn.execute(sa.text("SELECT count(*) FROM survey_invitation")).scalar()
            downloads_in_db = conn.execute(
                sa.text("SELECT count(*) FROM material_download")
            ).scalar()
        engine.dispose()
        tails = {
            proc.label: "\n".join(proc.log.read_text(errors="replace").splitlines()[-15:])
            for proc in [web, *workers.values()]
        }
        seats = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "seats", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )

    # --- the checks ---
    samples = shared.samples
    statuses = Counter(s.status for s in samples)
    server_errors = sum(c for s, c in statuses.items() if s >= 500)
    checks.append(
        Check(
            "no 5xx",
            server_errors == 0,
            f"{server_errors} of {len(samples):,} responses; by status: "
            + ", ".join(f"{s or 'no answer'} × {c:,}" for s, c in sorted(statuses.items())),
        )
    )
    unexpected = Counter(
        (s.kind, s.status) for s in samples if s.status and s.status not in EXPECTED[s.kind]
    )
    checks.append(
        Check(
            "no unexpected status",
            not unexpected,
            "none"
            if not unexpected
            else ", ".join(f"{k} {st} × {c}" for (k, st), c in sorted(unexpected.items())),
        )
    )
    lost_connections = [s for s in samples if s.status == 0]
    checks.append(
        Check(
            "connection errors ≤ gunicorn workers killed",
            len(lost_connections) <= incidents.web_kills,
            f"{len(lost_connections)} ≤ {incidents.web_kills}"
            + "".join(f"; {s.kind} at {s.at:.1f} s" for s in lost_connections[:5]),
        )
    )
    missing = [t for t in shared.registered if t not in in_db]
    wrong = [
        t
        for t in shared.registered
        if t in in_db and (in_db[t] == "cancelled") != (t in shared.cancelled)
    ]
    by_how = Counter(shared.registered.values())
    checks.append(
        Check(
            "no lost registration",
            not missing and not wrong,
            f"{len(shared.registered):,} answered 201/302 ({by_how['api']:,} API, "
            f"{by_how['form']:,} form), {len(missing)} missing from the database; "
            f"{len(shared.cancelled):,} cancelled, {len(wrong)} with the wrong status; "
            f"{len(in_db):,} registrations in the database, "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(Counter(in_db.values()).items())),
        )
    )
    checks.append(
        Check(
            "seat counts (flask seats check)",
            seats.returncode == 0,
            (seats.stdout + seats.stderr).strip().splitlines()[-1] if seats.stdout else "?",
        )
    )
    rows = {str(r.id): r for r in outbox}
    by_status = Counter(r.status for r in outbox)
    sent_ids = {i for i, r in rows.items() if r.status == "sent"}
    received: dict[str, set[str]] = defaultdict(set)  # outbox id -> Message-IDs
    for message_id, copies in recorder.copies.items():
        for c in copies:
            received[c.outbox_id].add(message_id)
    not_received = sorted(sent_ids - set(received), key=int)
    strays = sorted(set(received) - set(rows))
    unsent = len(rows) - len(sent_ids)
    checks.append(
        Check(
            "no lost email",
            drained and not not_received and not strays and unsent == 0,
            f"{len(rows):,} queued, {len(sent_ids):,} sent, "
            f"{len(recorder.copies):,} distinct Message-IDs received; "
            f"{len(not_received)} sent but not received, {len(strays)} received unknown, "
            f"{unsent} not sent ("
            + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
            + ")",
        )
    )
    stable = all(len(ids) == 1 for ids in received.values())
    # The Message-ID is the row's own (core.mail_delivery.build_message: its id and the time it
    # was queued, both fixed when the row is written): a retry reads the same row.
    not_own = [
        (outbox_id, message_id)
        for outbox_id, ids in received.items()
        if outbox_id in rows
        for message_id in ids
        if not message_id.startswith(
            f"<outbox-{outbox_id}.{int(rows[outbox_id].created_at.timestamp())}@"
        )
    ]
    checks.append(
        Check(
            "each Message-ID is its outbox row's own",
            not not_own,
            f"{len(received) - len(not_own):,} of {len(received):,} as "
            "<outbox-{id}.{created_at}@…>" + "".join(f"; row {o}: {m}" for o, m in not_own[:3]),
        )
    )
    duplicates = {m: c for m, c in recorder.copies.items() if len(c) > 1}
    extra_copies = sum(len(c) - 1 for c in duplicates.values())
    same_row = all(len({c.outbox_id for c in cs}) == 1 for cs in duplicates.values())
    detail = f"{extra_copies} ≤ {incidents.outbox_kills}"
    for message_id, copies in duplicates.items():
        detail += (
            f"; {message_id} received {len(copies)}× (outbox row "
            f"{copies[0].outbox_id}, via "
            + ", ".join(f"{c.port_label} at {c.at:.1f} s" for c in copies)
            + ")"
        )
        if message_id == incidents.outbox_kill_message:
            detail += ", the message A was sending when it died"
    checks.append(
        Check(
            "duplicates ≤ outbox workers killed, same Message-ID",
            extra_copies <= incidents.outbox_kills and stable and same_row,
            detail + ("" if stable else "; an outbox row went out under two Message-IDs"),
        )
    )
    unrecorded = shared.answered - answered_in_db
    checks.append(
        Check(
            "survey answers recorded",
            not unrecorded,
            f"{len(shared.answered):,} sent, {len(unrecorded)} not recorded; "
            f"{invitations:,} invitations in all",
        )
    )
    checks.append(
        Check(
            "downloads recorded",
            downloads_in_db == shared.downloads,
            f"{shared.downloads:,} answered 200, {downloads_in_db:,} recorded",
        )
    )

    text = report(meta, samples, traffic_seconds, incidents, checks, rows, recorder, extra_copies)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak-latest.md").write_text(text)
    print()
    print(text)
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"FAILED: {', '.join(c.name for c in failed)}")
        for label, tail in tails.items():
            print(f"--- {label}.log, last lines:\n{tail}")
        return 1
    print(f"Every check passed. Written to {RESULTS / 'soak-latest.md'}.")
    return 0


def wait_for(moment: float) -> None:
    while (left := moment - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))


def kill_outbox_worker(
    args: argparse.Namespace,
    shared: Shared,
    workers: dict[str, Proc],
    ports: dict[str, int],
    env: dict[str, str],
    logs: Path,
    incidents: Incidents,
    duration: float,
) -> None:
    """At 45 % of the run, SIGKILL outbox worker A (inside the send window, or wherever it is),
    then start it again."""
    wait_for(shared.started + 0.45 * duration)
    victim = workers["A"]
    killed = threading.Event()
    once = threading.Lock()

    def kill(message_id: str | None) -> None:
        with once:  # the SMTP server's trigger and the fallback may race
            if killed.is_set():
                return
            os.kill(victim.pid, signal.SIGKILL)
            incidents.outbox_kill_message = message_id
            killed.set()

    if args.kill_outbox == "in-send":
        # The SMTP server calls this after storing A's next message, before it answers 250.
        shared.recorder.triggers["A"] = kill
        if killed.wait(timeout=15):
            incidents.outbox_kill_how = "in the send window (message stored, no 250 yet)"
        else:  # A sent nothing for 15 s: kill it where it is
            with shared.recorder.lock:
                shared.recorder.triggers.pop("A", None)
            if not killed.is_set():
                kill(None)
            incidents.outbox_kill_how = (
                "in the send window (message stored, no 250 yet)"
                if incidents.outbox_kill_message
                else "while idle (it sent nothing for 15 s)"
            )
    else:
        kill(None)
        incidents.outbox_kill_how = "wherever it was"
    victim.process.wait()
    incidents.outbox_kill_at = time.monotonic() - shared.started
    incidents.outbox_kills = 1
    print(
        f"  {incidents.outbox_kill_at:.1f} s: outbox worker A ({victim.pid}) SIGKILLed "
        f"{incidents.outbox_kill_how}"
        + (f", sending {incidents.outbox_kill_message}" if incidents.outbox_kill_message else ""),
        flush=True,
    )
    time.sleep(RESTART_AFTER)
    workers["A"] = start_worker("A", ports["A"], env, logs)
    incidents.outbox_restart_at = time.monotonic() - shared.started
    print(f"  {incidents.outbox_restart_at:.1f} s: outbox worker A started again", flush=True)


def report(
    meta: dict[str, str],
    samples: list[Sample],
    seconds: float,
    incidents: Incidents,
    checks: list[Check],
    rows: dict[str, Any],
    recorder: Recorder,
    extra_copies: int,
) -> str:
    lines = [
        "## Soak test",
        "",
        ", ".join(f"{k}: {v}" for k, v in meta.items()),
        "",
        "| Kind | Requests | Requests/s | p50 | p99 | Statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    for kind in [*WEIGHTS, "all"]:
        group = samples if kind == "all" else by_kind.get(kind, [])
        ms = [s.ms for s in group if s.status]
        statuses = Counter(s.status for s in group)
        lines.append(
            f"| {kind} | {len(group):,} | {len(group) / seconds:,.1f} | "
            f"{fmt_ms(percentile(ms, 50))} | {fmt_ms(percentile(ms, 99))} | "
            + ", ".join(f"{st or 'none'} × {c:,}" for st, c in sorted(statuses.items()))
            + " |"
        )
    sent = sum(1 for r in rows.values() if r.status == "sent")
    kinds = Counter(r.kind for r in rows.values())
    lines += [
        "",
        f"Emails: {len(rows):,} queued, {sent:,} sent, {len(recorder.copies):,} received "
        f"(distinct Message-IDs), {extra_copies} duplicated. By kind: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())),
        "",
        "Incidents: "
        + (
            f"outbox worker A SIGKILLed at {incidents.outbox_kill_at:.1f} s "
            f"{incidents.outbox_kill_how}, started again at {incidents.outbox_restart_at:.1f} s"
            if incidents.outbox_kill_at is not None
            else "no outbox worker killed"
        )
        + (
            f"; gunicorn worker {incidents.web_kill_pid} SIGKILLed at {incidents.web_kill_at:.1f} s"
            if incidents.web_kill_at is not None
            else ""
        )
        + f"; the outbox drained {incidents.drained_after:.0f} s after the traffic stopped. "
        + "Load average (1 min) at the start and the end of the traffic: "
        + " and ".join(f"{x:.1f}" for x in incidents.load)
        + f". CPU per request: the gunicorn workers "
        f"{incidents.web_cpu * 1000 / max(len(samples), 1):.1f} ms (a killed worker's time is "
        f"lost, its replacement's start-up counted), this process (the clients and the SMTP "
        f"server) {incidents.own_cpu * 1000 / max(len(samples), 1):.1f} ms; together "
        f"{(incidents.web_cpu + incidents.own_cpu) / seconds:.2f} of {os.cpu_count()} cores.",
        "",
        "| Check | Result | Detail |",
        "|---|---|---|",
        *(f"| {c.name} | {'ok' if c.ok else '**FAILED**'} | {c.detail} |" for c in checks),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=int,
        default=int(os.environ.get("SOAK_SECONDS", "180")),
        help="seconds of traffic (default 180, or SOAK_SECONDS)",
    )
    parser.add_argument("--quick", action="store_true", help="40 s of traffic")
    parser.add_argument(
        "--warmup", type=int, default=8, help="seconds of unrecorded page views first (8)"
    )
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--lease", type=int, default=LEASE_SECONDS, help="OUTBOX_LEASE_SECONDS (default 40)"
    )
    parser.add_argument(
        "--kill-outbox",
        choices=["in-send", "anytime"],
        default="in-send",
        help="kill outbox worker A inside the send window (default) or wherever it is",
    )
    parser.add_argument("--no-kill-web", action="store_true", help="kill no gunicorn worker")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if args.lease <= 30:
        parser.error("--lease must be over 30 s (core.outbox_sending.LEASE_MARGIN)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
