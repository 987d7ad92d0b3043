"""The respondent's pages, /s/<token>: the survey in the invitation's language (unless the
person picks another with the language links), one page per section, with Next, Back and
"Save and continue later" kept in the draft, then a thank-you page. No script is needed."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import ValidationError as TokenError

from core.errors import ValidationError
from core.extensions import csrf
from core.i18n import current_language
from surveys import answering
from surveys.content import survey_text
from surveys.models import SurveyInvitation, SurveyQuestion

bp = Blueprint("surveys", __name__)


def _locale(invitation: SurveyInvitation) -> AbstractContextManager[Any]:
    """The invitation's language, unless the person chose one with the language links."""
    languages = current_app.config["LANGUAGES"]
    if request.args.get("lang") in languages or session.get("lang") in languages:
        return nullcontext()
    return force_locale(invitation.language)


def _lang_args() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in current_app.config["LANGUAGES"] else {}


def _page_number(pages: list[list[SurveyQuestion]]) -> int:
    raw = request.values.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 4 else 1
    return min(max(number, 1), len(pages))


def _render(invitation: SurveyInvitation, template: str, status: int = 200, **context: Any
            ) -> ResponseReturnValue:  # fmt: skip
    survey = invitation.survey
    own = survey.language
    return (
        render_template(
            template,
            invitation=invitation,
            survey=survey,
            title=survey_text(survey, "title", own),
            text=lambda item, name: survey_text(item, name, own),
            **context,
        ),
        status,
    )


def _form_page(invitation: SurveyInvitation, pages: list[list[SurveyQuestion]], number: int,
               values: dict[str, list[str]], errors: dict[str, Any] | None = None,
               status: int = 200, saved: bool = False, general: list[Any] | None = None
               ) -> ResponseReturnValue:  # fmt: skip
    questions = pages[number - 1]
    sections = {s.id: s for s in invitation.survey.sections}
    section_id = questions[0].section_id if questions else None
    return _render(
        invitation,
        "surveys/answer.html",
        status,
        questions=questions,
        section=sections.get(section_id) if section_id else None,
        page=number,
        pages=len(pages),
        values=values,
        errors={k: str(v) for k, v in (errors or {}).items()},
        saved=saved,
        general=[str(m) for m in general or []],
        field_name=answering.field_name,
        number=answering.format_number,
        lang_args=_lang_args(),
    )


EXPIRED = _l(
    "Your answers have not been sent yet: the page was open for a long time. They are filled "
    "in below. Check them and send them again."
)


def _token_fresh() -> bool:
    """The form's CSRF token is still the one of this browser's session."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except TokenError:
        return False
    return True


# The answering POST is exempt from the global CSRF check, which would answer an expired token
# (someone who opened the survey, closed the browser and came back hours later) with an error
# page and lose what they wrote. The check is made here instead, and a failed one re-shows the
# page with their answers filled in and asks them to send again. A forged cross-site POST gains
# nothing either way: it must name the survey link's token, the secret that lets anyone holding
# it answer, and an attacker who has it can answer without the victim's browser.
@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt
def answer(token: str) -> ResponseReturnValue:
    invitation = answering.find_invitation(token)
    with _locale(invitation):
        return _answer(invitation)


def _answer(invitation: SurveyInvitation) -> ResponseReturnValue:
    where = answering.state(invitation)
    post = request.method == "POST"
    if where == "answered":
        return _render(invitation, "surveys/answered.html", 409 if post else 200)
    if where == "closed":
        return _render(invitation, "surveys/closed.html", 410 if post else 200)
    pages = answering.sections_for(invitation)
    number = _page_number(pages)
    saved = answering.draft_values(invitation)
    if not post:
        return _form_page(invitation, pages, number, saved)

    form: MultiDict[str, str] = request.form
    questions = pages[number - 1]
    values = answering.merge_values(saved, questions, form)
    if not _token_fresh():
        # Nothing is saved from a request whose token does not hold; the page comes back
        # with what was sent and a fresh token.
        return _form_page(invitation, pages, number, values, status=400, general=[EXPIRED])
    action = form.get("action", "submit")
    try:
        if action in ("back", "save"):
            # Kept as they are, checked when the person goes on or sends.
            answering.save_draft(invitation, form, questions)
            if action == "save":
                return _form_page(invitation, pages, number, values, saved=True)
            return redirect(url_for("surveys.answer", token=invitation.token,
                                    page=max(number - 1, 1), **_lang_args()))  # fmt: skip
        answering.parse_answers(questions, form)
        if action == "next" and number < len(pages):
            answering.save_draft(invitation, form, questions)
            return redirect(url_for("surveys.answer", token=invitation.token,
                                    page=number + 1, **_lang_args()))  # fmt: skip
    except ValidationError as err:
        return _form_page(invitation, pages, number, values, err.fields, 422)

    # Sending: every page's answers, those of earlier pages from the draft.
    everything = [q for page in pages for q in page]
    try:
        answers = answering.parse_answers(everything, MultiDict(
            [(k, v) for k, vs in values.items() for v in vs]))  # fmt: skip
    except ValidationError as err:
        # An earlier page's answer is missing (a draft from before a change): show that page.
        first = next(i for i, page in enumerate(pages, 1)
                     if any(answering.field_name(q) in err.fields for q in page))  # fmt: skip
        answering.save_draft(invitation, form, questions)
        return _form_page(invitation, pages, first, values, err.fields, 422)
    try:
        answering.submit(invitation, answers, language=current_language())
    except answering.AlreadyAnswered:
        return _render(invitation, "surveys/answered.html", 409)
    except answering.SurveyClosed:
        return _render(invitation, "surveys/closed.html", 410)
    return redirect(url_for("surveys.thanks", token=invitation.token, **_lang_args()))


@bp.get("/s/<token>/thanks")
def thanks(token: str) -> ResponseReturnValue:
    invitation = answering.find_invitation(token)
    with _locale(invitation):
        if not answering.is_answered(invitation):
            return redirect(url_for("surveys.answer", token=token, **_lang_args()))
        return _render(invitation, "surveys/thanks.html")
