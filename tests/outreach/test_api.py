"""The campaigns' JSON API: POST answers 201 with whom it reaches, GET shows the progress and
conversion by target group; bad input is a 422 naming the field with nothing written; only the
event's organisers; the answers match the generated OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from openapi_schema_validator import OAS31Validator, validate

from core.auth import create_api_token, create_organiser
from core.db import db, utcnow
from outreach import campaigns
from outreach.models import Campaign, CampaignRecipient
from participants import services
from participants.models import Registration
from tests.participants.helpers import person


def _schema(document, name):
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def _earlier_people(event, n: int, **overrides) -> None:
    for i in range(n):
        services.register(
            event, person(f"{overrides.get('target_group', 'x')}{i}",
                          consent_future_invitations=True, **overrides)
        )  # fmt: skip


def test_create_then_follow_the_progress(client, auth, make_event):
    earlier = make_event(title="Förra året")
    upcoming = make_event(title="I år")
    _earlier_people(earlier, 3)
    _earlier_people(earlier, 2, target_group="supplier",
                    organisation={"name": "Bygg AB", "org_number": "556677-8899",
                                  "country": "SE"})  # fmt: skip
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/events/{slug}/campaigns" in document["paths"]

    url = f"/api/v1/events/{upcoming.slug}/campaigns"
    body = {"audience": {"target_groups": ["supplier"], "countries": ["SE"],
                         "organisation_kinds": [], "attended": None}}  # fmt: skip
    created = client.post(url, json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    validate(answer, _schema(document, "Campaign"), cls=OAS31Validator)
    assert answer["status"] == "scheduled"
    assert answer["reach"]["people"] == 2 and answer["reach"]["organisations"] == 1
    assert answer["reach"]["by_target_group"] == {"supplier": {"people": 2, "organisations": 1}}

    assert campaigns.send_due_campaigns(now=utcnow() + timedelta(seconds=1)) == 2
    # One of them follows the link and registers through it.
    recipient = db.session.scalar(sa.select(CampaignRecipient).limit(1))
    client.get(f"/i/{recipient.token}")
    made = services.register(upcoming, person("new", email=recipient.email,
                                              target_group="supplier"))  # fmt: skip
    campaigns.record_conversion(made.id, recipient.token, upcoming.id)
    db.session.execute(
        sa.update(Registration).where(Registration.id == made.id).values(attended_at=utcnow())
    )
    db.session.commit()

    listing = client.get(url, headers=auth)
    assert listing.status_code == 200
    validate(listing.get_json(), _schema(document, "CampaignList"), cls=OAS31Validator)
    one = client.get(f"{url}/{answer['id']}", headers=auth).get_json()
    validate(one, _schema(document, "Campaign"), cls=OAS31Validator)
    assert one["status"] == "sent" and one["recipient_count"] == 2 and one["reach"] is None
    assert one["progress"] == {"invited": 2, "opened": 1, "registered": 1, "attended": 1}
    assert one["progress_by_target_group"]["supplier"]["registered"] == 1


def test_bad_input_names_the_field_and_writes_nothing(client, auth, make_event):
    upcoming = make_event()
    url = f"/api/v1/events/{upcoming.slug}/campaigns"
    for body, field in [
        ({"audience": {"target_groups": ["all"]}}, "audience.target_groups"),
        ({"audience": {"attended": "often"}}, "audience.attended"),
        ({"send_at": "2020-01-01T10:00"}, "send_at"),
        ({"send_at": "tomorrow"}, "send_at"),
        ({"subjects": {"sv": "x" * 201}}, "subjects.sv"),
    ]:
        refused = client.post(url, json=body, headers=auth)
        assert refused.status_code == 422, body
        assert field in refused.get_json()["error"]["fields"], refused.get_json()
    wrong_type = client.post(url, json={"audience": {"countries": "SE"}}, headers=auth)
    assert wrong_type.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    assert client.get(f"{url}/999", headers=auth).status_code == 404
    beyond = client.get(f"{url}/27371592800418136064000", headers=auth)  # found by schemathesis
    assert beyond.status_code == 404 and beyond.get_json()["error"]["code"]
    draft = make_event(status="draft")
    late = client.post(f"/api/v1/events/{draft.slug}/campaigns", json={}, headers=auth)
    assert late.status_code == 409


def test_only_the_events_organisers(client, auth, make_event):
    upcoming = make_event()
    url = f"/api/v1/events/{upcoming.slug}/campaigns"
    assert client.post(url, json={}).status_code == 401
    other = create_api_token(create_organiser("other@example.se", "Other", "other-pass"))
    headers = {"Authorization": f"Bearer {other}"}
    assert client.post(url, json={}, headers=headers).status_code == 403
    assert client.get(url, headers=headers).status_code == 403
    assert client.post(url, json={}, headers=auth).status_code == 201
