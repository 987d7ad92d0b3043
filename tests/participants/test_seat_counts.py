"""The seats taken are kept on the rows they limit (event, target group, session), changed with
every registration, cancellation, promotion, session change and organiser action; `flask seats
check` recounts them. And a registration costs a bounded number of statements that does not
grow with the confirmed registrations already there."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from core.db import db
from events.models import Event, EventTargetGroup, Session
from events.services import delete_draft, update_event
from participants import seats, services
from participants.models import Registration, registration_session
from tests.conftest import event_data
from tests.events.test_query_counts import counted
from tests.participants.helpers import assert_seat_counts_kept, person, sessions_for


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def _start() -> datetime:
    return datetime.fromisoformat(event_data()["starts_at"])


def reg(event, n, **overrides) -> Registration:
    return services.register(event, person(n, **overrides))


def kept(event_id: int) -> tuple[int, dict[str, int], dict[int, int]]:
    """The kept counts as stored."""
    db.session.rollback()
    total = db.session.scalar(sa.select(Event.confirmed_count).where(Event.id == event_id))
    groups = dict(
        db.session.execute(
            sa.select(EventTargetGroup.code, EventTargetGroup.confirmed_count).where(
                EventTargetGroup.event_id == event_id
            )
        ).all()
    )
    by_session = dict(
        db.session.execute(
            sa.select(Session.id, Session.confirmed_count).where(Session.event_id == event_id)
        ).all()
    )
    return total, groups, by_session


def fresh(event_id: int) -> tuple[int, dict[str, int], dict[int, int]]:
    """The same counted from the registrations, the way the code counted before."""
    db.session.rollback()
    confirmed = sa.and_(Registration.event_id == event_id, Registration.status == "confirmed")
    by_group = dict(
        db.session.execute(
            sa.select(Registration.target_group, sa.func.count())
            .where(confirmed)
            .group_by(Registration.target_group)
        ).all()
    )
    groups = {code: by_group.get(code, 0) for code in kept(event_id)[1]}
    by_session = dict(
        db.session.execute(
            sa.select(registration_session.c.session_id, sa.func.count())
            .join(Registration, Registration.id == registration_session.c.registration_id)
            .where(confirmed)
            .group_by(registration_session.c.session_id)
        ).all()
    )
    sessions = {session_id: by_session.get(session_id, 0) for session_id in kept(event_id)[2]}
    return sum(by_group.values()), groups, sessions


def assert_kept(event_id: int) -> tuple[int, dict[str, int], dict[int, int]]:
    assert kept(event_id) == fresh(event_id)
    assert seats.recount() == []
    assert_seat_counts_kept()
    return kept(event_id)


# --- every change keeps the counts -------------------------------------------------------------


def test_registering_counts_the_event_the_group_and_each_session(make_event):
    event = make_event(capacity=3, sessions=sessions_for(_start(), 2, None))
    first, second = (s.id for s in event.sessions)
    reg(event, 1, sessions=[first, second])
    reg(event, 2, sessions=[first], target_group="supplier")
    reg(event, 3, sessions=[first])  # the session is full: waitlisted, counted nowhere
    reg(event, 4)
    reg(event, 5)  # the event is full
    total, groups, by_session = assert_kept(event.id)
    assert total == 3
    assert groups == {"contracting_authority": 2, "supplier": 1}
    assert by_session == {first: 2, second: 1}


def test_cancelling_with_promotion(make_event):
    event = make_event(capacity=2, sessions=sessions_for(_start(), 1))
    session_id = event.sessions[0].id
    a = reg(event, 1, sessions=[session_id])
    reg(event, 2)
    waiting_for_session = reg(event, 3, sessions=[session_id])
    waiting = reg(event, 4, target_group="supplier")
    assert (waiting_for_session.status, waiting.status) == ("waitlisted", "waitlisted")
    services.cancel(a)  # frees the session and a seat: the first in line who fits is promoted
    assert db.session.get(Registration, waiting_for_session.id).status == "confirmed"
    total, groups, by_session = assert_kept(event.id)
    assert (total, by_session) == (2, {session_id: 1})
    services.cancel(db.session.get(Registration, waiting.id))  # a waitlisted one: no seat freed
    services.cancel(db.session.get(Registration, waiting_for_session.id), by_organiser=True)
    total, groups, by_session = assert_kept(event.id)
    assert (total, groups, by_session) == (
        1,
        {"contracting_authority": 1, "supplier": 0},
        {session_id: 0},
    )


def test_changing_sessions(make_event):
    event = make_event(capacity=10, sessions=sessions_for(_start(), 1, None, 5))
    small, free, other = (s.id for s in event.sessions)
    holder = reg(event, 1, sessions=[small])
    waiting = reg(event, 2, sessions=[small])
    assert waiting.status == "waitlisted"
    services.change_sessions(holder, [free, other])  # frees the small one: 2 is promoted
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert assert_kept(event.id)[2] == {small: 1, free: 1, other: 1}
    with pytest.raises(services.ValidationError):
        services.change_sessions(db.session.get(Registration, holder.id), [small])  # full
    assert assert_kept(event.id)[2] == {small: 1, free: 1, other: 1}
    services.change_sessions(db.session.get(Registration, holder.id), [])
    assert assert_kept(event.id)[2] == {small: 1, free: 0, other: 0}


def test_a_waitlisted_person_choosing_free_sessions_takes_a_seat(make_event):
    event = make_event(capacity=10, sessions=sessions_for(_start(), 1, None))
    small, free = (s.id for s in event.sessions)
    reg(event, 1, sessions=[small])
    waiting = reg(event, 2, sessions=[small])
    services.change_sessions(waiting, [free])
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert assert_kept(event.id)[:1] == (2,)


def test_raising_capacity_quota_and_session_capacity(make_event, organiser):
    groups = [{"code": "supplier", "quota": 1}, {"code": "contracting_authority"}]
    event = make_event(capacity=2, target_groups=groups, sessions=sessions_for(_start(), 1))
    session_id = event.sessions[0].id
    reg(event, 1, target_group="supplier")
    reg(event, 2, target_group="supplier")  # quota
    reg(event, 3, sessions=[session_id])
    reg(event, 4, sessions=[session_id])  # event (and session)
    assert assert_kept(event.id)[0] == 2

    update_event(organiser, event, {"capacity": 5})  # 4 still waits for the session
    assert assert_kept(event.id)[0] == 2
    agenda = sessions_for(_start(), 2)
    agenda[0]["id"] = session_id
    update_event(organiser, db.session.get(Event, event.id), {"sessions": agenda})
    assert assert_kept(event.id)[0] == 3
    raised = [{"code": "supplier", "quota": 3}, {"code": "contracting_authority"}]
    update_event(organiser, db.session.get(Event, event.id), {"target_groups": raised})
    total, groups, by_session = assert_kept(event.id)
    assert (total, groups, by_session) == (
        4,
        {"supplier": 2, "contracting_authority": 2},
        {session_id: 2},
    )
    # Lowering a capacity below what is taken is allowed; the count stays what it is.
    update_event(organiser, db.session.get(Event, event.id), {"capacity": 1})
    assert assert_kept(event.id)[0] == 4
    assert seats.seats_left(db.session.get(Event, event.id)) == 0


def test_organiser_actions(make_event, organiser):
    event = make_event(capacity=1, target_groups=["contracting_authority"])
    first = reg(event, 1)
    waiting = reg(event, 2)
    speaker = services.register(event, person("s", target_group="other"), by_organiser=True)
    assert assert_kept(event.id)[0] == 1
    update_event(organiser, db.session.get(Event, event.id), {"capacity": 3})  # both promoted
    assert db.session.get(Registration, speaker.id).status == "confirmed"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert assert_kept(event.id)[:2] == (3, {"contracting_authority": 2})
    # A group admitted afterwards counts the confirmed people who already belong to it.
    groups = [{"code": "contracting_authority"}, {"code": "other", "quota": 1}]
    update_event(organiser, db.session.get(Event, event.id), {"target_groups": groups})
    assert assert_kept(event.id)[1] == {"contracting_authority": 2, "other": 1}
    services.cancel(db.session.get(Registration, first.id), by_organiser=True)
    assert assert_kept(event.id)[:2] == (2, {"contracting_authority": 1, "other": 1})
    # Dropped and admitted again: counted again.
    update_event(organiser, db.session.get(Event, event.id), {"target_groups": groups[:1]})
    update_event(organiser, db.session.get(Event, event.id), {"target_groups": groups})
    assert assert_kept(event.id)[1] == {"contracting_authority": 1, "other": 1}


def test_an_organiser_confirms_from_the_waiting_list_and_deletes_the_draft(make_event, organiser):
    draft = make_event(capacity=1, status="draft")
    services.register(draft, person(1), by_organiser=True)
    waiting = services.register(draft, person(2), by_organiser=True)
    update_event(organiser, db.session.get(Event, draft.id), {"capacity": 2})  # a draft: no one
    assert db.session.get(Registration, waiting.id).status == "waitlisted"  # is promoted
    services.confirm_from_waitlist(db.session.get(Registration, waiting.id))
    assert assert_kept(draft.id)[0] == 2
    delete_draft(organiser, db.session.get(Event, draft.id))
    assert seats.recount() == []


def test_deleting_a_session_takes_its_count_with_it(make_event, organiser):
    event = make_event(capacity=10, sessions=sessions_for(_start(), 1, 3))
    gone, kept_session = (s.id for s in event.sessions)
    reg(event, 1, sessions=[gone, kept_session])
    agenda = sessions_for(_start(), 1, 3)[1:]
    agenda[0]["id"] = kept_session
    update_event(organiser, db.session.get(Event, event.id), {"sessions": agenda})
    assert assert_kept(event.id) == (
        1,
        {"contracting_authority": 1, "supplier": 0},
        {kept_session: 1},
    )


# --- the command ---------------------------------------------------------------------------


def test_seats_check_names_a_wrong_count_and_fix_corrects_it(app, make_event):
    event = make_event(capacity=10, sessions=sessions_for(_start(), 5))
    session_id = event.sessions[0].id
    reg(event, 1, sessions=[session_id])
    reg(event, 2, target_group="supplier")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seats", "check"])
    assert result.exit_code == 0, result.output
    assert "equals the recount" in result.output

    db.session.execute(sa.update(Event).values(confirmed_count=7))
    db.session.execute(
        sa.update(EventTargetGroup)
        .where(EventTargetGroup.code == "supplier")
        .values(confirmed_count=0)
    )
    db.session.execute(sa.update(Session).values(confirmed_count=3))
    db.session.commit()
    result = runner.invoke(args=["seats", "check"])
    assert result.exit_code == 1
    assert f"{event.slug}: event kept 7, counted 2" in result.output
    assert "target group supplier kept 0, counted 1" in result.output
    assert f"session {session_id} (Pass 1) kept 3, counted 1" in result.output
    assert "Found 3 wrong counts in 1 events." in result.output

    result = runner.invoke(args=["seats", "check", "--fix"])
    assert result.exit_code == 1  # it was wrong; now it is not
    assert "Corrected 3 wrong counts in 1 events." in result.output
    assert kept(event.id) == (2, {"contracting_authority": 1, "supplier": 1}, {session_id: 1})
    assert runner.invoke(args=["seats", "check"]).exit_code == 0


# --- what a registration costs -------------------------------------------------------------


def _statements_of_one_registration(client, slug: str, n: int | str, **overrides) -> list[str]:
    db.session.rollback()  # as in a request of its own: the first statement begins
    db.session.expire_all()
    with counted() as statements:
        response = client.post(f"/api/v1/events/{slug}/registrations", json=person(n, **overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return statements


def test_a_registration_costs_a_few_statements(client, make_event):
    """Through the API, with one session: 18 statements on SQLite and 16 on PostgreSQL before
    the counts were kept (two GROUP BY counts before the lock and two under it, three reads of
    the event). Now 15 with the two BEGINs, each a prepared Core statement: 3 reads of the event,
    its groups and its sessions, 1 before the lock (the organisation and an earlier
    registration of the address, together); under it the lock that returns the event's row,
    the counts of the person's group and session, 2 inserts, 3 counts changed, the outbox row.
    """
    event = make_event(capacity=100, sessions=sessions_for(_start(), 50))
    reg(make_event(title="Another"), "org")  # the organisation exists, as it mostly does
    statements = _statements_of_one_registration(
        client, event.slug, 1, sessions=[event.sessions[0].id]
    )
    assert len(statements) <= 15, "\n".join(statements)
    # Nothing counts rows of the event's registrations.
    assert not [s for s in statements if "count(" in s.lower()], statements


def test_the_cost_does_not_grow_with_the_confirmed_registrations(client, make_event):
    groups = [{"code": "supplier", "quota": 500}, {"code": "contracting_authority"}]
    event = make_event(capacity=500, target_groups=groups, sessions=sessions_for(_start(), 500))
    session = [event.sessions[0].id]
    reg(make_event(title="Another"), "org")  # the organisation exists
    empty = _statements_of_one_registration(client, event.slug, 0, sessions=session)
    for n in range(1, 81):
        reg(
            event,
            n,
            sessions=session,
            target_group="supplier" if n % 2 else "contracting_authority",
        )
    full = _statements_of_one_registration(client, event.slug, "x", sessions=session)
    assert [s.split()[0] for s in full] == [s.split()[0] for s in empty]
    assert len(full) == len(empty), (empty, full)
    assert kept(event.id)[0] == 82


def test_the_lock_reads_the_whole_event_again_only_when_an_organiser_changed_it(make_event):
    """The lock returns what decides a seat; the rest of the row (the title, the times the
    email tells) comes from the read before the lock unless the event was edited since."""
    from datetime import timedelta

    from core.db import utcnow, write_transaction
    from events.records import column_values
    from participants import seats

    event = make_event()
    before = column_values(event)
    with write_transaction():
        unchanged = seats.lock_seats(before, "contracting_authority", [])
        db.session.rollback()
    assert unchanged.title == event.title
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values(title="Nytt namn", updated_at=utcnow() + timedelta(seconds=1))
    )
    db.session.commit()
    with write_transaction():
        edited = seats.lock_seats(before, "contracting_authority", [])
        db.session.rollback()
    assert edited.title == "Nytt namn"


def test_the_check_for_an_earlier_registration_uses_the_index_of_active_addresses(make_event):
    """Flat cost: the look-up before the lock reads one index entry, not every registration of
    the event; on PostgreSQL also in the generic plan a prepared statement gets after five
    runs (a bound `status != :param` would not match the partial index's predicate)."""
    from participants.services import _BEFORE_THE_LOCK

    event = make_event()
    connection = db.session.connection()
    params = {"p_key": "212000-0142", "p_event": event.id, "p_email": "a@example.se"}
    compiled = _BEFORE_THE_LOCK.statement.compile(connection, compile_kwargs={})
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        sql = str(compiled)
        for n, name in enumerate(compiled.positiontup or params, start=1):
            sql = sql.replace(f"%({name})s", f"${n}")
        connection.exec_driver_sql(f"PREPARE before_lock AS {sql}")
        plan = "\n".join(
            r[0] for r in connection.exec_driver_sql("EXPLAIN EXECUTE before_lock('k', 1, 'e')")
        )
        connection.exec_driver_sql("DEALLOCATE before_lock")
        connection.exec_driver_sql("RESET plan_cache_mode")
    else:
        rows = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled), ("212000-0142", event.id, "a@example.se")
        )
        plan = "\n".join(str(r[-1]) for r in rows)
    db.session.rollback()
    assert "uq_registration_active_email" in plan, plan
