"""The answering page as a person sees it: an error at its question (the form group marked, the
message inside it, the summary linking to it), and answers kept when the page's CSRF token no
longer holds (opened, the browser closed, sent hours later)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from core.db import db
from surveys.models import SurveyResponse
from tests.surveys.helpers import attendees, build_survey
from tests.surveys.test_answering import good, invite, name


def _group_of(html: str, field_id: str) -> str:
    """The form group that holds the element with this id."""
    at = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="govuk-form-group', 0, at)
    return html[start:at]


def test_an_error_is_shown_at_its_question_and_linked_from_the_summary(client, make_event):
    event = make_event()
    survey = build_survey(event)
    invitation = invite(survey, attendees(event, 1)[0])
    data = good(survey)
    del data[name(survey, "useful")]  # required, left empty
    data[name(survey, "procurements_advanced")] = "5000"  # above 1000
    response = client.post(f"/s/{invitation.token}?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    useful, number = name(survey, "useful"), name(survey, "procurements_advanced")
    # A choice: its fieldset in a group in error, the message inside, the summary to the fieldset.
    group = _group_of(html, f"{useful}-fieldset")
    assert "govuk-form-group--error" in group
    message = re.search(rf'<p class="govuk-error-message" id="{useful}-error">(.*?)</p>', html)
    assert message and "Select an answer." in message.group(1)
    assert html.index(f'id="{useful}-fieldset"') < message.start()
    assert f'aria-describedby="{useful}-error"' in html
    # A text field: the group in error, the message, the field marked and the summary's link.
    assert "govuk-form-group--error" in _group_of(html, f"{number}-range")
    assert "Enter a number from 0 to 1,000." in html or "Enter a number from 0 to 1000." in html
    assert re.search(rf'id="{number}"[^>]*aria-invalid="true"', html)
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="#([^"]+)"', summary) == [f"{useful}-fieldset", number]
    # What was given stays filled in.
    assert re.search(rf'name="{name(survey, "role_text")}"[^>]*value="Upphandlare"', html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def _responses() -> int:
    db.session.commit()  # end this session's transaction: see what the other app wrote
    return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_expired_token_keeps_the_answers_and_asks_to_send_again(make_app, make_event):
    event = make_event()
    survey = build_survey(event)
    first, second = attendees(event, 2)
    invitation = invite(survey, first)
    # Its requests run in contexts of their own (flask.g would otherwise keep the token), the
    # test's database session is the default app's.
    app = make_app(WTF_CSRF_ENABLED=True)
    opened = app.test_client()
    old_token = _token(opened.get(f"/s/{invitation.token}").get_data(as_text=True))
    # Hours later, the browser restarted: its session (and the token's secret) is gone.
    later = app.test_client()
    data: dict[str, Any] = {**good(survey), "csrf_token": old_token, "action": "submit"}
    response = later.post(f"/s/{invitation.token}?lang=en", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your answers have not been sent yet" in html and "govuk-error-summary" in html
    assert re.search(rf'name="{name(survey, "role_text")}"[^>]*value="Upphandlare"', html)
    assert re.search(r'value="planned" checked', html)
    assert "Bra dag.\nTack!</textarea>" in html
    assert _responses() == 0
    # Sent again with the page's new token: answered.
    again = later.post(f"/s/{invitation.token}?lang=en", data={**data, "csrf_token": _token(html)})
    assert again.status_code == 302 and "/thanks" in again.location
    assert _responses() == 1
    # A request without any token at all is treated the same way, never an error page.
    other = invite(survey, second)
    bare = later.post(f"/s/{other.token}", data=good(survey))
    assert bare.status_code == 400 and "<form" in bare.get_data(as_text=True)
