"""The kept stages of each registration (RegistrationStage) that the impact report's funnel
reads: set in the transaction that writes the download, the invitation, the answered fact or
the yes answer, recounted by `flask --app app surveys totals`.

They are kept by the session's flush, not by each service, so every way those rows are added
through the ORM keeps them (the services, the demo data, tests): after each flush the new
rows' registrations get their flags turned on by one upsert, which only ever sets a flag, so
two transactions at once cannot undo each other. Deleting a material takes its downloads
with it (ON DELETE CASCADE): the registrations that had downloaded it are recounted.
Rows written around the ORM (the scale benchmark's bulk inserts) need `rebuild()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import db
from materials.models import Material, MaterialDownload
from participants.models import Registration
from surveys import indicators
from surveys.models import (
    RegistrationStage,
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyInvitation,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)

FLAGS = ("downloaded", "invited", "answered", "adopted")
_TABLE = RegistrationStage.__table__


def _named_yes() -> sa.Subquery:
    """The options that answer yes to the adoption question in named surveys (a few rows)."""
    return (
        sa.select(SurveyOption.id, SurveyOption.question_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyOption.question_id)
        .join(Survey, Survey.id == SurveyQuestion.survey_id)
        .where(
            Survey.anonymous.is_(False),
            SurveyQuestion.code == indicators.USED,
            SurveyOption.code == indicators.ADOPTED,
        )
        .subquery("yes")
    )


def _adopted_invitations() -> sa.Select:
    """SELECT the invitations whose (named) response answered yes to the adoption question."""
    yes = _named_yes()
    return (
        sa.select(SurveyResponse.invitation_id)
        .select_from(yes)
        .join(
            SurveyAnswer,
            sa.and_(
                SurveyAnswer.question_id == yes.c.question_id, SurveyAnswer.option_id == yes.c.id
            ),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.invitation_id.is_not(None))
    )


def _counted(only: Iterable[int] | None = None) -> sa.Select:
    """The stages as the downloads, invitations and answers tell them: one row per
    registration that reached any (the counting rules of surveys/impact.py)."""
    reg = Registration.id
    invitation = sa.select(SurveyInvitation.id).where(SurveyInvitation.registration_id == reg)
    touched = sa.union(
        sa.select(MaterialDownload.registration_id),
        sa.select(SurveyInvitation.registration_id),
    )
    query = sa.select(
        reg.label("registration_id"),
        sa.exists().where(MaterialDownload.registration_id == reg).label("downloaded"),
        invitation.exists().label("invited"),
        invitation.where(SurveyInvitation.id.in_(sa.select(SurveyAnswered.invitation_id)))
        .exists()
        .label("answered"),
        invitation.where(SurveyInvitation.id.in_(_adopted_invitations())).exists().label("adopted"),
    ).where(reg.in_(touched))
    if only is not None:
        query = query.where(reg.in_(list(only)))
    return query


def _upsert(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Turn on the given flags (never off): INSERT … ON CONFLICT DO UPDATE, atomic on both
    databases; in one order, so concurrent transactions do not deadlock."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(_TABLE)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=["registration_id"],
            set_={flag: sa.or_(_TABLE.c[flag], insert.excluded[flag]) for flag in FLAGS},
        ),
        sorted(rows, key=lambda row: row["registration_id"]),
    )


@sa.event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Who downloaded a material about to be deleted: recounted once its downloads are gone.
    deleted = [m.id for m in session.deleted if isinstance(m, Material)]
    if deleted:
        session.info.setdefault("stages_recount", set()).update(
            session.execute(
                sa.select(MaterialDownload.registration_id).where(
                    MaterialDownload.material_id.in_(deleted),
                    MaterialDownload.registration_id.is_not(None),
                )
            ).scalars()
        )


@sa.event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # session.new still holds what this flush inserted.
    flags: dict[str, set[int]] = {flag: set() for flag in FLAGS}
    answered_invitations: set[int] = set()
    responses: set[str] = set()
    for row in session.new:
        if isinstance(row, MaterialDownload) and row.registration_id is not None:
            flags["downloaded"].add(row.registration_id)
        elif isinstance(row, SurveyInvitation) and row.registration_id is not None:
            flags["invited"].add(row.registration_id)
        elif isinstance(row, SurveyAnswered):
            answered_invitations.add(row.invitation_id)
        elif isinstance(row, SurveyAnswer) and row.option_id is not None:
            responses.add(row.response_id)
    connection = session.connection()
    if answered_invitations:
        flags["answered"].update(
            connection.execute(
                sa.select(SurveyInvitation.registration_id).where(
                    SurveyInvitation.id.in_(answered_invitations),
                    SurveyInvitation.registration_id.is_not(None),
                )
            ).scalars()
        )
    if responses:
        adopted = _adopted_invitations().where(SurveyResponse.id.in_(responses))
        flags["adopted"].update(
            connection.execute(
                sa.select(SurveyInvitation.registration_id).where(
                    SurveyInvitation.id.in_(adopted),
                    SurveyInvitation.registration_id.is_not(None),
                )
            ).scalars()
        )
    touched = set().union(*flags.values())
    if touched:
        _upsert(
            connection,
            [{"registration_id": r, **{flag: r in flags[flag] for flag in FLAGS}} for r in touched],
        )
    recount_ids = session.info.pop("stages_recount", None)
    if recount_ids:
        _replace(connection, recount_ids)


def _replace(connection: sa.Connection, only: Iterable[int] | None = None) -> None:
    """The kept rows (of these registrations, or all) replaced by the recount."""
    delete = sa.delete(_TABLE)
    if only is not None:
        only = list(only)
        delete = delete.where(_TABLE.c.registration_id.in_(only))
    connection.execute(delete)
    connection.execute(sa.insert(_TABLE).from_select(["registration_id", *FLAGS], _counted(only)))


@dataclass(frozen=True)
class Difference:
    registration_id: int
    kept: tuple[bool, ...]  # downloaded, invited, answered, adopted
    counted: tuple[bool, ...]


def recount() -> list[Difference]:
    """Every registration whose kept stages differ from the rows (no row: none reached)."""
    none = (False,) * len(FLAGS)
    kept = {
        r.registration_id: tuple(bool(r[flag]) for flag in FLAGS)
        for r in db.session.execute(sa.select(_TABLE)).mappings()
    }
    counted = {
        r.registration_id: tuple(bool(r[flag]) for flag in FLAGS)
        for r in db.session.execute(_counted()).mappings()
    }
    return [
        Difference(key, kept.get(key, none), counted.get(key, none))
        for key in sorted(kept.keys() | counted.keys())
        if kept.get(key, none) != counted.get(key, none)
    ]


def rebuild() -> None:
    """Replace every kept stage by the recount, in one transaction."""
    _replace(db.session.connection())
    db.session.commit()
