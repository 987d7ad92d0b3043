"""Each audience rule both ways, through the download link, the library and the manage page:
who may have a material gets it; everyone else gets the same 404 as for one that does not
exist, and does not see it listed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.auth import create_organiser
from core.db import db, utcnow
from participants import services as registrations
from tests.materials.helpers import PDF
from tests.participants.helpers import as_stored, person


@pytest.fixture
def setting(make_event, make_material):
    """Two events, people of each, and one material per audience rule for the first event."""
    event = make_event()
    other = make_event(title="Ett annat evenemang")
    ok = as_stored(registrations.register(event, person(1)))
    supplier = as_stored(registrations.register(event, person(2, target_group="supplier")))
    elsewhere = as_stored(registrations.register(other, person(3)))
    audience = {"events": [event.slug]}
    materials = {
        "public": make_material(title="Öppen"),
        "registrants": make_material(title="Anmälda", audience={"kind": "registrants", **audience}),
        "attendees": make_material(title="Deltagare", audience={"kind": "attendees", **audience}),
        "narrowed": make_material(
            title="Upphandlare",
            audience={
                "kind": "registrants",
                **audience,
                "target_groups": ["contracting_authority"],
            },
        ),
        "organisers": make_material(title="Utkast", audience={"kind": "organisers"}),
    }
    return {
        "event": event,
        "ok": ok,
        "supplier": supplier,
        "elsewhere": elsewhere,
        "m": materials,
    }


def _get(client, material, token=None):
    url = f"/materials/{material.id}/download" + (f"?t={token}" if token else "")
    return client.get(url)


def _allowed(client, setting, token=None) -> set[str]:
    found = set()
    for name, material in setting["m"].items():
        response = _get(client, material, token)
        assert response.status_code in (200, 404), (name, response.status_code)
        if response.status_code == 200:
            assert response.data == PDF
            found.add(name)
    return found


def _listed(client, token=None) -> set[str]:
    page = client.get("/materials?lang=sv" + (f"&t={token}" if token else "")).get_data(
        as_text=True
    )
    titles = {"Öppen": "public", "Anmälda": "registrants", "Deltagare": "attendees",
              "Upphandlare": "narrowed", "Utkast": "organisers"}  # fmt: skip
    return {name for title, name in titles.items() if f">{title}<" in page}


def test_anonymous_gets_the_public_only(client, setting):
    assert _allowed(client, setting) == {"public"}
    assert _listed(client) == {"public"}


def test_a_confirmed_registrant_of_the_event(client, setting):
    token = setting["ok"].token
    assert _allowed(client, setting, token) == {"public", "registrants", "narrowed"}
    assert _listed(client, token) == {"public", "registrants", "narrowed"}


def test_an_attendee_gets_the_attendees_material_too(client, setting):
    registration = setting["ok"]
    registration.attended_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert _allowed(client, setting, registration.token) == {
        "public", "registrants", "attendees", "narrowed"
    }  # fmt: skip


def test_another_target_group_is_not_in_the_narrowed_audience(client, setting):
    assert _allowed(client, setting, setting["supplier"].token) == {"public", "registrants"}


def test_a_registrant_of_another_event(client, setting):
    assert _allowed(client, setting, setting["elsewhere"].token) == {"public"}
    assert _listed(client, setting["elsewhere"].token) == {"public"}


def test_a_waitlisted_person(client, setting):
    registration = setting["ok"]
    registration.status = "waitlisted"
    db.session.commit()
    assert _allowed(client, setting, registration.token) == {"public"}


def test_a_cancelled_person(client, setting):
    registrations.cancel(setting["ok"])
    assert _allowed(client, setting, setting["ok"].token) == {"public"}


def test_a_forged_token(client, setting):
    forged = setting["ok"].token[:-2] + ("aa" if not setting["ok"].token.endswith("aa") else "bb")
    assert _allowed(client, setting, forged) == {"public"}
    assert _allowed(client, setting, "x" * 500) == {"public"}


def test_its_organiser_gets_everything(client, setting, login):
    login()
    assert _allowed(client, setting) == set(setting["m"])


def test_an_organiser_of_another_event(client, setting, login):
    create_organiser("bo@vantaa.fi", "Bo Other", "other-pass")
    login("bo@vantaa.fi", "other-pass")
    assert _allowed(client, setting) == {"public"}
    assert client.get(f"/manage/materials/{setting['m']['organisers'].id}").status_code == 404


def test_a_material_that_does_not_exist_answers_the_same(client, setting):
    assert client.get("/materials/99999/download").status_code == 404


def test_the_manage_page_lists_what_the_person_may_have(client, setting):
    page = client.get(f"/r/{setting['ok'].token}?lang=sv").get_data(as_text=True)
    assert "Anmälda" in page and "Upphandlare" in page
    assert "Deltagare" not in page and "Utkast" not in page
    assert f"t={setting['ok'].token}" in page  # downloads that need no account


def test_a_download_through_a_manage_link_is_recorded_against_it(client, setting):
    from materials.models import MaterialDownload

    _get(client, setting["m"]["registrants"], setting["ok"].token)
    _get(client, setting["m"]["public"])
    rows = db.session.query(MaterialDownload).order_by(MaterialDownload.id).all()
    assert [r.registration_id for r in rows] == [setting["ok"].id, None]
