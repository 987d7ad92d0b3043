"""Download statistics: by target group, event, kind of organisation and month, as charts
with tables and as CSV; a public download counts without anyone's data."""

from __future__ import annotations

import csv
import io

from participants import services as registrations
from tests.participants.helpers import as_stored, person


def test_downloads_by_group_event_and_kind_of_organisation(
    client, login, make_event, make_material
):
    event = make_event(title="Workshop i Malmö")
    model = make_material(title="Modellavtal")
    city = as_stored(registrations.register(event, person(1)))  # Stockholm: 212000-0142
    firm = as_stored(
        registrations.register(
            event,
            person(2, target_group="supplier",
                   organisation={"name": "Bygg AB", "org_number": "556016-0680",
                                 "country": "SE"}),
        )
    )  # fmt: skip
    for token in (city.token, firm.token, None, None):
        url = f"/materials/{model.id}/download" + (f"?t={token}" if token else "")
        assert client.get(url).status_code == 200
    login()
    page = client.get("/manage/materials/statistics")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "Nedladdningar per målgrupp" in text
    response = client.get("/manage/materials/statistics.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    header, body = rows[0], rows[1:]
    assert header[-1] == "Nedladdningar"
    by_kind = {r[4]: int(r[5]) for r in body}
    assert by_kind["Kommuner, regioner och statliga myndigheter"] == 1
    assert by_kind["Aktiebolag"] == 1
    assert by_kind["Utan länk till anmälan"] == 2
    assert {r[3] for r in body} == {"Workshop i Malmö", "Utan länk till anmälan"}


def test_statistics_are_the_organisers_own(client, login, make_material, app):
    from core.auth import create_organiser

    model = make_material(title="Modellavtal")
    client.get(f"/materials/{model.id}/download")
    create_organiser("bo@example.org", "Bo", "secret-pass")
    login("bo@example.org", "secret-pass")
    text = client.get("/manage/materials/statistics").get_data(as_text=True)
    assert "Modellavtal" not in text
