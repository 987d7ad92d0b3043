"""The printouts at scale, as the worker builds them: an event with N confirmed people (1,000 by
default, written directly), then the name badges and the attendance list are asked for and
built by participants.printouts.build_due_printouts, each phase timed (reading the people and
rendering the HTML; WeasyPrint's PDF), with the PDF's size and page count.

    .venv/bin/python bench/printouts.py                 # 1,000 people, SQLite (a temporary file)
    .venv/bin/python bench/printouts.py --people 500 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import _event_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile each PDF, top 15")
    parser.add_argument("--keep", type=Path, help="write the PDFs into this folder")
    args = parser.parse_args()

    import sqlalchemy as sa
    from flask_migrate import upgrade
    from pypdf import PdfReader

    from app import create_app
    from core.auth import create_organiser
    from core.db import db
    from events.models import Event
    from events.services import create_event
    from participants import printables, printouts
    from participants.models import Organisation, Printout, Registration

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/printouts.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "PUBLIC_BASE_URL": "https://motesplats.example.se"})  # fmt: skip
    with app.app_context():
        upgrade()
        admin = create_organiser("bench@example.se", "Bench", "bench-pass-1", admin=True)
        event = create_event(admin, _event_data(0, datetime.now(UTC)))
        past = datetime.now(UTC) - timedelta(days=1)
        db.session.execute(sa.insert(Organisation), [
            {"key": f"bench-org-{n}", "name": f"Organisation {n} i Sverige", "country": "SE",
             "created_at": past} for n in range(200)
        ])  # fmt: skip
        org_ids = list(db.session.scalars(sa.select(Organisation.id)))
        first = ("Anna", "Łukasz", "Алёна", "Åsa", "Mikko", "Öjvind", "محمد", "Émile")
        db.session.execute(sa.insert(Registration.__table__), [
            {"event_id": event.id, "organisation_id": org_ids[n % len(org_ids)],
             "token": uuid.uuid4().hex, "name": f"{first[n % len(first)]} Efternamn {n}",
             "email": f"p{n}@example.se", "target_group": "contracting_authority", "role": "",
             "language": "sv", "needs": "", "consent_future_invitations": False,
             "status": "confirmed", "added_by_organiser": False, "created_at": past}
            for n in range(args.people)
        ])  # fmt: skip
        db.session.execute(
            sa.update(Event).where(Event.id == event.id).values(confirmed_count=args.people)
        )
        db.session.commit()
        print(f"{args.people:,} confirmed people; SQLite; WeasyPrint, PDF/UA-1")

        real_html, real_pdf = printouts._html, printables.pdf_from_html
        phases: dict[str, float] = {}

        def timed_html(printout_id: int) -> tuple[str, int]:
            started = time.perf_counter()
            try:
                return real_html(printout_id)
            finally:
                phases["html"] = time.perf_counter() - started

        def timed_pdf(html: str) -> bytes:
            started = time.perf_counter()
            profile = cProfile.Profile() if args.profile else None
            try:
                if profile:
                    return profile.runcall(real_pdf, html)
                return real_pdf(html)
            finally:
                phases["pdf"] = time.perf_counter() - started
                if profile:
                    out = io.StringIO()
                    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
                    print(out.getvalue())

        printouts._html = timed_html  # type: ignore[assignment]
        printables.pdf_from_html = timed_pdf  # type: ignore[assignment]
        for kind in ("badges", "attendance_list"):
            made = printouts.request_printout(event, kind, "sv", None, admin)
            started = time.perf_counter()
            printouts.build_due_printouts()
            total = time.perf_counter() - started
            row = db.session.get(Printout, made.id, populate_existing=True)
            pages = len(PdfReader(io.BytesIO(row.content)).pages)
            print(f"{kind:16} {total:6.1f} s in all: people and HTML {phases['html']:5.2f} s, "
                  f"PDF {phases['pdf']:6.1f} s; {pages} pages, "
                  f"{len(row.content) / 1e6:.1f} MB, {row.people} people")  # fmt: skip
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{kind}-{args.people}.pdf").write_bytes(row.content)


if __name__ == "__main__":
    main()
