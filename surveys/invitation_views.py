"""The opt-out page of an invitation (/s/<token>/opt-out: a confirm page, the POST stops the
reminders) and the organiser's page of a survey's invitations (counts, and for a survey that
is not anonymous those who have not answered)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from core.db import db, utcnow, write_transaction
from core.extensions import csrf
from core.pages import current_organiser, one_click
from surveys.access import require_survey
from surveys.content import percent, survey_text
from surveys.invitations import invitation_counts, not_answered
from surveys.models import SurveyInvitation

bp = Blueprint("survey_invitations", __name__)


class OptOutForm(FlaskForm):
    pass


def _invitation(token: str) -> SurveyInvitation:
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.token == token)
    )
    if invitation is None:
        abort(404, _l("There is no such invitation."))
    return invitation


def _opt_out(invitation: SurveyInvitation) -> None:
    with write_transaction():
        # Once: a second press keeps the first moment.
        db.session.execute(
            sa.update(SurveyInvitation)
            .where(SurveyInvitation.id == invitation.id, SurveyInvitation.opted_out_at.is_(None))
            .values(opted_out_at=utcnow())
        )
        db.session.commit()
    db.session.refresh(invitation)


@bp.route("/s/<token>/opt-out", methods=["GET", "POST"])
@csrf.exempt  # for one-click from the mail program; the page's own form checks its token
def opt_out(token: str) -> ResponseReturnValue:
    invitation = _invitation(token)
    if one_click():
        _opt_out(invitation)
        return "", 204
    survey = invitation.survey
    title = survey_text(survey, "title", survey.language)
    form = OptOutForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            _opt_out(invitation)
    return (
        render_template(
            "surveys/opt_out.html",
            invitation=invitation,
            title=title,
            form=form,
            done=invitation.opted_out_at is not None,
            failed=status == 400,
        ),
        status,
    )


@bp.get("/manage/surveys/<int:survey_id>/invitations")
@login_required
def status(survey_id: int) -> ResponseReturnValue:
    survey = require_survey(current_organiser(), survey_id)
    return render_template(
        "surveys/invitations.html",
        survey=survey,
        title=survey_text(survey, "title", survey.language),
        counts=invitation_counts(survey),
        waiting=not_answered(survey),
        percent=percent,
    )
