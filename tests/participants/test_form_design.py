"""What a person filling in the registration form sees, as GOV.UK's form patterns ask: only
optional fields are marked, and "(optional)" never reaches the error summary; the summary lists
the errors in the order of the fields on the page and links each; the title says "Error:";
the harmless "already registered" is a notice, not an error; a session title ending in "?" is
not followed by a colon; the target groups are in the order of their names."""

from __future__ import annotations

import html
import re

from participants import services
from tests.participants.helpers import person, sessions_for
from tests.participants.test_pages import _start, form_data


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def summary_of(page: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_only_optional_fields_are_marked_and_the_mark_stays_out_of_the_summary(en, make_event):
    event = make_event()
    page = text(en.get(f"/events/{event.slug}/register"))
    assert "All fields are required unless marked optional." in page
    assert "(required)" not in page
    for field in ("role", "org_number", "needs"):
        label = re.search(rf'<label class="govuk-label[^"]*" for="{field}">(.*?)</label>', page)
        assert label and '<span class="mp-optional">(optional)</span>' in label.group(1), field
    for field in ("name", "email", "organisation"):
        label = re.search(rf'<label class="govuk-label[^"]*" for="{field}">(.*?)</label>', page)
        assert label and "optional" not in label.group(1), field

    response = en.post(
        f"/events/{event.slug}/register", data=form_data(org_number="212000-0143", needs="x" * 2001)
    )
    summary = summary_of(text(response))
    assert '<a href="#org_number">Organisation number: ' in summary
    assert '<a href="#needs">Dietary and accessibility needs: ' in summary
    assert "optional" not in summary


def test_the_error_summary_follows_the_page_and_the_title_says_error(en, make_event):
    event = make_event()
    response = en.post(
        f"/events/{event.slug}/register",
        data=form_data(name="", email="nope", target_group="", organisation="", org_number="1"),
    )
    assert response.status_code == 422
    page = text(response)
    assert re.search(r"<title>Error: Register: ", page)
    links = re.findall(r'<li><a href="#([a-z_]+)">', summary_of(page))
    on_page = [f for f in re.findall(r'\bid="([a-z_]+)"', page) if f in links]
    assert links == ["name", "email", "target_group", "organisation", "org_number"]
    assert links == list(dict.fromkeys(on_page))  # the order of the fields themselves
    # GOV.UK's script moves the focus to the summary (a static file: the CSP allows no inline).
    assert 'data-module="govuk-error-summary"' in page
    assert '<script type="module" src="/static/js/motesplats.js"></script>' in page

    fine = text(en.get(f"/events/{event.slug}/register"))
    assert re.search(r"<title>Register: ", fine)


def test_already_registered_is_a_notice_not_an_error(en, make_event):
    event = make_event()
    services.register(event, person(1))
    response = en.post(f"/events/{event.slug}/register", data=form_data(1))
    assert response.status_code == 409
    page = text(response)
    assert "This email is already registered for the event." in page
    banner = re.search(r'<div class="govuk-notification-banner".*?</div>\s*</div>', page, re.S)
    assert banner and "already registered" in banner.group(0)
    assert "govuk-error-summary" not in page
    assert "<title>Error:" not in page


def test_a_session_title_ending_in_a_question_mark_gets_no_colon(en, make_event):
    sessions = sessions_for(_start(), None)
    sessions[0]["title"] = "Varför sysselsättningskrav?"
    event = make_event(sessions=sessions)
    page = text(en.get(f"/events/{event.slug}/register"))
    assert "Varför sysselsättningskrav?</label>" in page
    assert "?:" not in page


def test_target_groups_are_in_the_order_of_their_names_with_others_last(client, make_event):
    groups = ["other", "supplier", "decision_maker", "contracting_authority", "civil_society"]
    event = make_event(target_groups=[{"code": c, "quota": None} for c in groups])

    def order(lang: str) -> list[str]:
        page = text(client.get(f"/events/{event.slug}/register?lang={lang}"))
        return re.findall(r'id="target_group-([a-z_]+)"', page)

    # Swedish: Beslutsfattare, Civilsamhälle…, Leverantörer, Upphandlande…, Övriga.
    assert order("sv") == [
        "decision_maker",
        "civil_society",
        "supplier",
        "contracting_authority",
        "other",
    ]
    # English: Civil society…, Contracting authorities, Decision-makers, Suppliers, Others last
    # although "Others" sorts before "Suppliers".
    assert order("en") == [
        "civil_society",
        "contracting_authority",
        "decision_maker",
        "supplier",
        "other",
    ]
