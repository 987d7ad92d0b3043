"""The campaigns part of JSON API v1 (organisers, ``Authorization: Bearer <token>``, for events
they manage):

- ``POST /api/v1/events/<slug>/campaigns`` invites earlier participants to the event: 201 with
  the campaign and whom it reaches; the worker sends it at ``send_at`` (or its next round).
- ``GET /api/v1/events/<slug>/campaigns`` lists the event's campaigns with their progress
  (invited, opened, registered, attended) in all and by target group;
  ``GET /api/v1/events/<slug>/campaigns/<id>`` one of them.

The rules are outreach.campaigns'; the shapes are outreach/schemas.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from core.operations import Reply, describe_path_parameter, operation, reply
from events.models import Event
from events.queries import get_managed_event
from outreach import audience as audiences
from outreach import campaigns, schemas
from outreach.models import Campaign

bp = Blueprint("outreach_api", __name__, url_prefix="/api/v1")

describe_path_parameter("campaign_id", "A campaign of the event.", type="integer", minimum=1)

_ERRORS: dict[int, Reply | str] = {
    403: "Not an organiser of this event.",
    404: "No such event.",
}


def _stage(stage: campaigns.Stage) -> schemas.Stage:
    return schemas.Stage(**vars(stage))


def campaign_out(campaign: Campaign, event: Event) -> schemas.Campaign:
    audience = {k: [] for k in audiences.AUDIENCE_KEYS} | dict(campaign.audience or {})
    found = None
    if campaign.status == "scheduled":
        reached = audiences.reach(event, campaign.audience or {})
        found = schemas.CampaignReach(
            people=reached.people,
            organisations=reached.organisations,
            by_target_group={
                code: schemas.CampaignGroupReach(people=p, organisations=o)
                for code, (p, o) in reached.by_group.items()
            },
            by_language=reached.by_language,
        )
    progress = campaigns.progress(campaign)
    return schemas.Campaign(
        id=campaign.id,
        event=event.slug,
        audience=schemas.Audience(
            target_groups=audience["target_groups"],
            countries=audience["countries"],
            organisation_kinds=audience["organisation_kinds"],
            attended=audience.get("attended"),
        ),
        subjects=dict(campaign.subjects or {}),
        bodies=dict(campaign.bodies or {}),
        send_at=campaign.send_at,
        status=campaign.status,
        recipient_count=campaign.recipient_count or 0,
        reach=found,
        progress=_stage(progress.total),
        progress_by_target_group={k: _stage(v) for k, v in progress.by_group.items()},
        created_at=campaign.created_at,
        sent_at=campaign.sent_at,
    )


@bp.post("/events/<slug>/campaigns")
@operation(
    "createCampaign",
    tags=["outreach"],
    summary="Invite everyone who opted in to future invitations at an earlier event (narrowed "
    "by target group, country, kind of organisation and past attendance) to this event, once "
    "per address, in their language; sent by the worker in batches at `send_at`.",
    auth="token",
    body=schemas.CampaignCreate,
    body_required=False,
    responses={
        201: Reply("Scheduled; `reach` says whom it reaches.", schemas.Campaign),
        **_ERRORS,
        409: "The event is not published, or has started.",
    },
)
def create_campaign(slug: str, body: dict[str, Any] | None = None) -> Response:
    event = get_managed_event(g.organiser, slug)
    body = body or {}
    campaign = campaigns.create_campaign(
        g.organiser, event, body.get("audience"), body.get("send_at"), body.get("subjects"),
        body.get("bodies"),
    )  # fmt: skip
    return reply(campaign_out(campaign, event), 201)


@bp.get("/events/<slug>/campaigns")
@operation(
    "listCampaigns",
    tags=["outreach"],
    summary="The event's campaigns, the latest first, with their progress and conversion.",
    auth="token",
    responses={200: Reply("The campaigns.", schemas.CampaignList), **_ERRORS},
)
def list_campaigns(slug: str) -> Response:
    event = get_managed_event(g.organiser, slug)
    made = campaigns.event_campaigns(event)
    return reply(schemas.CampaignList(campaigns=[campaign_out(c, event) for c in made]))


@bp.get("/events/<slug>/campaigns/<int:campaign_id>")
@operation(
    "getCampaign",
    tags=["outreach"],
    summary="One campaign: its progress (invited, opened, registered, attended) by target group.",
    auth="token",
    responses={200: Reply("The campaign.", schemas.Campaign), **_ERRORS},
)
def get_campaign(slug: str, campaign_id: int) -> Response:
    event = get_managed_event(g.organiser, slug)
    return reply(campaign_out(campaigns.get_campaign(event, campaign_id), event))
