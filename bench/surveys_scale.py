"""The survey results and the impact report at scale (issue 10): 200 events, 100,000
registrations, 50,000 invitations and about 1,000,000 answers, written directly in chunks;
then each report is timed and its SQL statements counted.

    .venv/bin/python bench/surveys_scale.py            # SQLite (a temporary file) and
                                                       # PostgreSQL when it answers
    .venv/bin/python bench/surveys_scale.py --sqlite-only
    .venv/bin/python bench/surveys_scale.py --keep /tmp/scale   # seed once, reuse after:
        # SQLite in /tmp/scale.sqlite, PostgreSQL in the database motesplats_bench_scale
        # (both kept, and dropped by hand; a later run with the same --keep times them
        # without seeding again)

The surveys are made through the service from the built-in adoption follow-up (so the
question codes the impact report reads are the real ones): one per event, half of them
anonymous, each to its event's registrants, and one survey that stands alone with 12,500
invitations across every event: the "one survey's results" measured.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import DEFAULT_PG, _event_data, fresh_postgres, postgres_admin_url  # noqa: E402

EVENTS = 200
REGISTRATIONS = 100_000
INVITATIONS = 50_000
BIG_SURVEY_INVITATIONS = 12_500
ANSWERS = 1_000_000
ORGANISATIONS = 2_000
CHUNK = 10_000
REPEATS = 3


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for first in range(0, len(rows), CHUNK):
        yield rows[first : first + CHUNK]


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    import sqlalchemy as sa

    from core.db import db

    for part in _chunks(rows):
        db.session.execute(sa.insert(table), part)


def _answer_rows(question: Any, rng: random.Random) -> list[dict[str, Any]]:
    if question.type in ("single_choice", "yes_no"):
        return [{"option_id": rng.choice(question.options).id}]
    if question.type == "multiple_choice":
        return [{"option_id": o.id} for o in question.options if rng.random() < 0.8]
    if question.type == "likert5":
        return [{"number": rng.randint(1, 5)}]
    if question.type == "number":
        return [{"number": rng.randint(0, 6)}]
    return [{"text": rng.choice(("Bra.", "Mer uppföljning.", "Hyödyllinen."))}]


def _seeded(url: str) -> tuple[Any, int] | None:
    """The pushed app context and the big survey's id of a database seeded before (--keep);
    None when it is empty."""
    import sqlalchemy as sa

    from app import create_app
    from core.db import db
    from surveys.models import Survey

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False})
    context = app.app_context()
    context.push()
    try:
        big = db.session.scalar(
            sa.select(Survey.id).where(Survey.event_id.is_(None)).order_by(Survey.id.desc())
        )
    except sa.exc.DatabaseError:  # no tables yet
        big = None
    db.session.remove()
    if big is None:
        db.engine.dispose()
        context.pop()
        return None
    print("  reused the data seeded before", flush=True)
    return context, big


def seed(url: str) -> tuple[Any, int]:
    """Fill the database; the pushed app context and the big survey's id."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from core.auth import create_organiser
    from core.db import db
    from events.models import Event
    from events.services import create_event
    from materials.models import Material, MaterialDownload
    from participants.models import Organisation, Registration
    from surveys.models import (
        Survey,
        SurveyAnswer,
        SurveyAnswered,
        SurveyInvitation,
        SurveyQuestion,
        SurveyResponse,
    )
    from surveys.services import create_survey

    rng = random.Random(7)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False})
    context = app.app_context()
    context.push()
    upgrade()
    started = time.monotonic()
    admin = create_organiser(
        "bench@upphandlingsmyndigheten.se", "Bench", "bench-pass-1", admin=True
    )
    past = datetime.now(UTC) - timedelta(days=400)
    for i in range(EVENTS):
        create_event(admin, _event_data(i, past))
    event_ids = list(db.session.scalars(sa.select(Event.id).order_by(Event.id)))
    kinds = ("municipality", "region", "state_agency", "public_company", "company", None)
    _insert(Organisation, [
        {"key": f"bench-org-{n}", "name": f"Organisation {n}", "org_number": None,
         "country": "SE" if n % 4 else "FI", "kind": kinds[n % len(kinds)],
         "created_at": past}
        for n in range(ORGANISATIONS)
    ])  # fmt: skip
    org_ids = list(db.session.scalars(sa.select(Organisation.id)))
    groups = ("contracting_authority", "supplier", "decision_maker", "civil_society", "matchmaker")
    per_event = REGISTRATIONS // EVENTS
    _insert(Registration.__table__, [
        {"event_id": event_ids[n // per_event], "organisation_id": rng.choice(org_ids),
         "token": uuid.uuid4().hex, "name": f"Person {n}", "email": f"p{n % 60_000}@example.se",
         "target_group": groups[n % len(groups)], "role": "", "language": "sv", "needs": "",
         "consent_future_invitations": False, "status": "confirmed",
         "added_by_organiser": False, "created_at": past,
         "attended_at": past if n % 10 < 6 else None}
        for n in range(REGISTRATIONS)
    ])  # fmt: skip
    db.session.commit()
    material_id = db.session.execute(
        sa.insert(Material)
        .values(title="Modellklausul", category="model", audience="public", language="sv")
        .returning(Material.id)  # fmt: skip
    ).scalar_one()
    registrations = db.session.execute(
        sa.select(Registration.id, Registration.event_id, Registration.email).order_by(
            Registration.id
        )
    ).all()
    _insert(MaterialDownload, [
        {"material_id": material_id, "registration_id": r.id, "downloaded_at": past}
        for r in registrations[::3]
    ])  # fmt: skip
    print(f"  events, registrations, downloads: {time.monotonic() - started:.1f}s", flush=True)

    surveys = {}
    for n, event_id in enumerate(event_ids):
        slug = db.session.scalar(sa.select(Event.slug).where(Event.id == event_id))
        survey = create_survey(admin, {"template": "adoption_followup", "event": slug,
                                       "anonymous": n % 2 == 0})  # fmt: skip
        surveys[event_id] = survey.id
    big = create_survey(admin, {"template": "adoption_followup", "event": None,
                                "anonymous": True})  # fmt: skip
    questions: dict[int, list[Any]] = {}
    for question in db.session.scalars(sa.select(SurveyQuestion)):
        questions.setdefault(question.survey_id, []).append(question)
    for qs in questions.values():
        for q in qs:
            q.options  # noqa: B018  (loaded once, before the answers are made)

    # 37,500 invitations of the event surveys, 12,500 of the standalone one.
    chosen = rng.sample(registrations, INVITATIONS)
    invitations = []
    for n, r in enumerate(chosen):
        survey_id = big.id if n < BIG_SURVEY_INVITATIONS else surveys[r.event_id]
        invitations.append({"survey_id": survey_id, "registration_id": r.id,
                            "email": f"{n}-{r.email}", "token": uuid.uuid4().hex,
                            "language": "sv", "invited_at": past, "reminders_sent": 0})  # fmt: skip
    _insert(SurveyInvitation, invitations)
    db.session.commit()
    rows = db.session.execute(
        sa.select(SurveyInvitation.id, SurveyInvitation.survey_id, Registration.target_group,
                  Registration.organisation_id, Registration.event_id)
        .join(Registration, Registration.id == SurveyInvitation.registration_id)
    ).all()  # fmt: skip
    anonymous = dict(db.session.execute(sa.select(Survey.id, Survey.anonymous)).all())
    answered, responses, answers = [], [], []
    for row in rows:
        if len(answers) >= ANSWERS:
            break
        response_id = uuid.uuid4().hex
        answered.append({"invitation_id": row.id, "answered_on": date(2025, 12, 1)})
        responses.append({
            "id": response_id, "survey_id": row.survey_id,
            "invitation_id": None if anonymous[row.survey_id] else row.id,
            "organisation_id": None if anonymous[row.survey_id] else row.organisation_id,
            "event_id": row.event_id, "target_group": row.target_group,
            "organisation_kind": "municipality", "country": "SE", "language": "sv",
            "submitted_on": date(2025, 12, 1),
        })  # fmt: skip
        for question in questions[row.survey_id]:
            for values in _answer_rows(question, rng):
                answers.append({"response_id": response_id, "question_id": question.id,
                                "option_id": None, "number": None, "text": None,
                                **values})  # fmt: skip
    _insert(SurveyAnswered, answered)
    _insert(SurveyResponse, responses)
    _insert(SurveyAnswer, answers)
    db.session.commit()
    from surveys import adoption, stages
    from surveys.totals import rebuild

    rebuild()  # the answers were written directly: the kept sums and counts are made from them
    stages.rebuild()
    adoption.rebuild()
    print(
        f"  {len(invitations):,} invitations, {len(responses):,} responses, {len(answers):,} "
        f"answers: {time.monotonic() - started:.1f}s",
        flush=True,
    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    return context, big.id


def measure(label: str, url: str, reuse: bool = False) -> list[str]:
    import sqlalchemy as sa

    from core.db import db
    from core.models import Organiser
    from surveys.impact import ImpactFilters, impact_report
    from surveys.models import Survey
    from surveys.results import survey_results

    print(f"{label}: seeding", flush=True)  # noqa: T201
    context, big_id = (reuse and _seeded(url)) or seed(url)
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    admin = db.session.scalar(sa.select(Organiser))
    lines = []
    for name, run in (
        ("impact report, all events", lambda: impact_report(admin, ImpactFilters())),
        ("one survey's results (12,500 invited)",
         lambda: survey_results(db.session.get(Survey, big_id))),
    ):  # fmt: skip
        timings = []
        for _ in range(REPEATS):
            db.session.expire_all()
            statements[0] = 0
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
        best = min(timings)
        lines.append(
            f"| {label} | {name} | {best * 1000:.0f} ms | {max(timings) * 1000:.0f} ms | "
            f"{statements[0]} | {'met' if best < 1 else 'NOT met'} |"
        )
    db.session.remove()
    db.engine.dispose()
    context.pop()
    return lines


def kept_postgres(admin_url: str, keep: str) -> str:
    """The URL of the kept database (--keep PATH: motesplats_bench_<PATH's name>), created
    when it is not there."""
    import sqlalchemy as sa

    name = "motesplats_bench_" + "".join(c if c.isalnum() else "_" for c in Path(keep).name)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--keep",
        metavar="PATH",
        help="keep the data (PATH.sqlite and the PostgreSQL database motesplats_bench_<PATH's "
        "name>) and reuse it when it is there",
    )
    args = parser.parse_args(argv)
    lines = ["| database | report | best of 3 | worst | statements | under 1 s |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    if args.postgres_only:
        pass
    elif args.keep:
        lines += measure("SQLite", f"sqlite:///{Path(args.keep).resolve()}.sqlite", reuse=True)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            lines += measure("SQLite", f"sqlite:///{tmp}/scale.sqlite")
    admin_url = None if args.sqlite_only else postgres_admin_url()
    if admin_url and args.keep:
        lines += measure("PostgreSQL", kept_postgres(admin_url, args.keep), reuse=True)
    elif admin_url:
        with fresh_postgres(admin_url or DEFAULT_PG) as url:
            lines += measure("PostgreSQL", url)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
