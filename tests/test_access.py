"""The access matrix: every route in the URL map, every method but HEAD/OPTIONS, as each kind of
caller, against a world of two events (issue 13, "Access control proven").

Callers (ROLES): an anonymous visitor; a registrant, who holds the secret links of event A
(/r/<token>, /s/<token>, /i/<token>) and nothing else; an organiser of another event (org3,
who made event B); a co-organiser of A (org2, in Event.co_organisers); A's organiser (org1,
Event.created_by); a deactivated co-organiser of A (org5: signed in and given an API token while
active, then Organiser.active set False); an admin. Pages are called with a signed-in test
client, the API (/api/v1) with `Authorization: Bearer` tokens (core.auth.create_api_token).

Categories (ACCESS, one line per endpoint; a method-specific line "endpoint:POST" wins):
- PUBLIC     anyone, signed in or not.
- TOKEN      whoever holds the secret in the address: the registrant with their own links;
             every other caller tries a guessed token and must get 404.
- MATERIAL   a material restricted to A's registrants: the registrant (with ?t=<token>) and A's
             managers.
- MANAGER    the event's managers: its organiser, its co-organisers and admins. The event is the
             one in the address, or the one the survey, material or registration belongs to.
- ORGANISER  any active organiser (a list or form of their own: /manage/, new event, ...).
- ADMIN      admins only.

An allowed call must answer one of its `ok` statuses (default 200; a 3xx must lead to `to`); a
form posted empty may answer 422 or 400 when the point is only that access was granted. Every
refused call must answer 401, 403 or 404, or a redirect to the sign-in page: never 2xx, never
5xx, never a redirect elsewhere. Calls that change things (any method but GET) are made by each
allowed caller on a fresh copy of event A and its rows, so one caller's delete does not hide
another's answer.

Besides: a refused answer never holds the registrant's address; another event's organiser,
putting their own event's slug beside A's ids, is refused; their own lists and reports never
show A's registrant or A's restricted material; a registrant's manage-link token sent as an API
token is refused; the deactivated organiser's session and token are shown to work before.

A route that is in the URL map but not in ACCESS fails `test_every_route_is_classified`:
add one line for it below. A new kind of <token> in an address: one line in SECRET_OF and a
field in Family; a new parameter (say <organiser_id>): a field in Family filled in World.family.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from app import create_app
from core.auth import create_api_token
from core.db import db, utcnow
from core.models import Organiser, OutboxMessage
from tests.conftest import event_data
from tests.participants.helpers import as_stored, person, sessions_for

PUBLIC, TOKEN, MATERIAL, MANAGER, ORGANISER, ADMIN = (
    "public", "token", "material", "manager", "organiser", "admin",
)  # fmt: skip


@dataclass(frozen=True)
class Access:
    who: str  # one of the categories above
    ok: tuple[int, ...] = (200,)  # what an allowed caller gets
    to: str = ""  # a 3xx in ok must lead to an address containing this ({slug} filled in)
    data: dict[str, Any] | None = None  # the form or JSON body (empty by default)


def public(*ok: int, to: str = "", **data: Any) -> Access:
    return Access(PUBLIC, ok or (200,), to, data)


def token(*ok: int, to: str = "", **data: Any) -> Access:
    return Access(TOKEN, ok or (200,), to, data)


def manager(*ok: int, to: str = "", **data: Any) -> Access:
    return Access(MANAGER, ok or (200,), to, data)


def organiser(*ok: int, to: str = "", **data: Any) -> Access:
    return Access(ORGANISER, ok or (200,), to, data)


def admin(*ok: int, to: str = "", **data: Any) -> Access:
    return Access(ADMIN, ok or (200,), to, data)


# 422 (a form or JSON body posted empty, re-shown with its errors): access was granted.
EMPTY = 422

ACCESS: dict[str, Access] = {
    # --- public pages, calendars and the sign-in -------------------------------------------
    "static": public(),
    "core.accessibility": public(),
    "privacy.page": public(),
    "health.healthz": public(),
    "password_reset.forgot": public(),
    "password_reset.forgot:POST": public(EMPTY),
    # A guessed reset link is refused (400) for everyone; the real one: test_password_reset.
    "password_reset.reset": public(400),
    "core.login": public(200, 302, to="/manage/"),  # a signed-in organiser goes on
    "core.login:POST": public(EMPTY, 302, to="/manage/"),
    "core.logout": public(302, to="/"),
    # The code and setup steps of a sign-in: without a password just given, back to /login
    "two_factor.code": public(302, to="/login"),
    "two_factor.login_setup": public(302, to="/login"),
    "events.index": public(),
    "events.past": public(),
    "events.detail": public(),
    "calendar.add_to": public(303, to="calendar.google.com"),
    "calendar.event_ics": public(),
    "calendar.feed": public(),
    "participants.register": public(),
    "participants.register:POST": public(EMPTY),
    "materials.library": public(),
    "materials_api.list_materials": public(),  # what the caller may have: public ones at least
    "openapi.document": public(),
    "events_api.list_events": public(),
    "events_api.get_event": public(),
    "participants_api.register": public(EMPTY),
    # --- a registrant's and an invitee's own links -----------------------------------------
    "participants.manage": token(),
    "participants.ticket": token(),
    "participants.calendar": token(),
    "participants.cancel": token(),
    "participants.cancel:POST": token(302, to="/r/"),
    "participants.change_sessions": token(302, to="/r/"),
    "participants_registration.own_details": token(),
    "participants_registration.own_details:POST": token(EMPTY),
    "outreach_invitations.withdraw_from_registration": token(),
    "outreach_invitations.withdraw_from_registration:POST": token(302, to="/r/"),
    "outreach_invitations.open_invitation": token(302, to="/register"),
    "outreach_invitations.withdraw": token(),
    "outreach_invitations.withdraw:POST": token(302, to="/i/"),
    "surveys.answer": token(),
    "surveys.answer:POST": token(EMPTY),
    "surveys.thanks": token(302, to="/s/"),  # not answered yet: back to the form
    "survey_invitations.opt_out": token(),
    "survey_invitations.opt_out:POST": token(),  # "you will get no reminders"
    "participants_api.get_registration": token(),
    "participants_api.cancel_registration": token(),
    "participants_api.change_sessions": token(sessions=[]),
    "privacy_person.data": token(),
    "privacy_person.erase": token(),
    "privacy_person.erase:POST": token(302, to="/r/"),
    "materials.download": Access(MATERIAL, (302,), "example.org"),
    # --- any organiser: lists of their own, new things -------------------------------------
    "events_manage.index": organiser(),
    "events_manage.new_event": organiser(),
    "events_manage.new_event:POST": organiser(EMPTY),
    "materials.manage_list": organiser(),
    "materials.new": organiser(),
    "materials.new:POST": organiser(400),  # no file and no address
    "material_distribution.statistics": organiser(),
    "material_distribution.statistics_csv": organiser(),
    "survey_manage.index": organiser(),
    "survey_manage.new": organiser(),
    "survey_manage.new:POST": organiser(302, to="/manage/surveys/"),  # a draft
    "impact.report": organiser(),
    "impact.report_csv": organiser(),
    "impact.worklist": organiser(),
    "impact.worklist_csv": organiser(),
    "impact.worklist_xlsx": organiser(),
    "impact_api.get_impact_report": organiser(),
    "events_api.create_event": organiser(EMPTY),
    "materials_api.create_material": organiser(EMPTY),
    "surveys_api.create_survey": organiser(EMPTY),
    # Their own account: every organiser has one
    "accounts.account": organiser(),
    "accounts.rename": organiser(EMPTY),
    "accounts.change_password": organiser(EMPTY),
    "accounts.new_token": organiser(EMPTY),  # a label is needed
    # A token is the owner's: revoked by them (302); another organiser's id is 404 and the
    # token stays (tests/core/test_accounts.py).
    "accounts.revoke_token": organiser(302, 404, to="/manage/account"),
    "two_factor.account": organiser(),
    "two_factor.setup": organiser(),
    "two_factor.setup:POST": organiser(EMPTY),
    "two_factor.disable": organiser(EMPTY),
    "two_factor.recovery_codes": organiser(EMPTY),
    # The shared register of organisations: every organiser may merge (organisation_views.py)
    "organisations.index": organiser(),
    "organisations.choose": organiser(),
    "organisations.merge": organiser(),
    "organisations.merge:POST": organiser(302, to="/manage/organisations"),
    # --- the managers of event A -----------------------------------------------------------
    "events_manage.event": manager(),
    "events_manage.edit_event": manager(),
    "events_manage.edit_event:POST": manager(EMPTY),
    "events_manage.publish": manager(302, to="/manage/events/"),
    "events_manage.cancel": manager(),
    "events_manage.cancel:POST": manager(302, to="/manage/events/"),
    "events_manage.delete": manager(),
    "events_manage.delete:POST": manager(302, to="/manage/"),
    "events_manage.new_session": manager(),
    "events_manage.new_session:POST": manager(EMPTY),
    "events_manage.edit_session": manager(),
    "events_manage.edit_session:POST": manager(EMPTY),
    "events_manage.delete_session": manager(),
    "events_manage.delete_session:POST": manager(302, to="/manage/events/"),
    "events_duplicate.duplicate_event": manager(),
    "events_duplicate.duplicate_event:POST": manager(EMPTY),
    "participants_manage.registrations": manager(),
    "participants_manage.add": manager(),
    "participants_manage.add:POST": manager(EMPTY),
    "participants_manage.bulk": manager(302, to="/registrations"),
    "participants_manage.cancel_for": manager(),
    "participants_manage.cancel_for:POST": manager(302, to="/registrations"),
    "participants_manage.confirm": manager(302, to="/registrations"),
    "participants_manage.catering": manager(),
    "participants_manage.catering_csv": manager(),
    "participants_manage.export_csv": manager(),
    "participants_manage.export_xlsx": manager(),
    "participants_registration.registration": manager(),
    "participants_registration.registration:POST": manager(EMPTY),
    "participants_registration.give_place": manager(EMPTY),
    "participants_registration.resend": manager(302, to="/registrations/"),
    "participants_registration.sessions": manager(302, to="/registrations/"),
    "participants_mailings.compose": manager(),
    "participants_mailings.compose:POST": manager(400),
    "participants_mailings.list_mailings": manager(),
    "participants_mailings.cancel": manager(302, to="/mailings"),
    "participants_checkin.checkin": manager(),
    "participants_checkin.mark": manager(302, to="/checkin"),
    "participants_checkin.scan_code": manager(302, to="/checkin"),  # no code given
    "participants_checkin.scan": manager(),
    "participants_checkin.scan_mark": manager(302, to="/checkin/scan"),
    "participants_checkin.scan_session": manager(302, to="/checkin/scan"),
    "participants_checkin.session_list": manager(),
    "participants_checkin.session_mark": manager(302, to="/checkin/sessions/"),
    "participants_checkin.ticket": manager(302, to="/checkin/scan/"),
    "participants_print.print_page": manager(),
    "participants_print.make": manager(400),  # no kind
    "participants_print.status": manager(),
    "participants_print.status_json": manager(),
    "participants_print.download": manager(),
    "participants_print.badges": manager(),
    "participants_print.attendance_list": manager(),
    "outreach_campaigns.campaigns_of_event": manager(),
    "outreach_campaigns.new_campaign": manager(),
    "outreach_campaigns.new_campaign:POST": manager(),  # the preview
    "outreach_campaigns.cancel": manager(302, to="/campaigns"),
    "material_distribution.distributions": manager(),
    "material_distribution.distributions:POST": manager(EMPTY),
    "materials.edit": manager(),
    "materials.edit:POST": manager(400),
    "materials.delete": manager(302, to="/manage/materials"),
    "survey_manage.survey": manager(),
    "survey_manage.survey:POST": manager(302, to="/manage/surveys/", action="close"),
    "survey_manage.settings": manager(),
    "survey_manage.settings:POST": manager(EMPTY),
    "survey_manage.new_section": manager(),
    "survey_manage.new_section:POST": manager(EMPTY),
    "survey_manage.section": manager(),
    "survey_manage.section:POST": manager(EMPTY),
    "survey_manage.new_question": manager(),
    "survey_manage.new_question:POST": manager(EMPTY),
    "survey_manage.question": manager(),
    "survey_manage.question:POST": manager(EMPTY),
    "survey_invitations.status": manager(),
    "survey_results.results": manager(),
    # 409: fewer than five answers to an anonymous survey, refused after access was granted
    "survey_results.results_csv": manager(409),
    "survey_results.results_xlsx": manager(409),
    "events_api.update_event": manager(),
    "events_api.cancel_event": manager(),
    "events_api.duplicate_event": manager(EMPTY),
    "participants_api.list_registrations": manager(),
    "participants_api.check_in": manager(),
    "participants_api.check_in_session": manager(),
    "participants_api.update_details": manager(),
    "participants_api.create_mailing": manager(EMPTY),
    "participants_api.list_mailings": manager(),
    "materials_api.get_material": manager(),
    "materials_api.update_material": manager(),
    "materials_api.delete_material": manager(),
    "materials_api.create_distribution": manager(EMPTY),
    "materials_api.list_distributions": manager(),
    "outreach_api.create_campaign": manager(201),  # everyone who opted in, now
    "outreach_api.list_campaigns": manager(),
    "outreach_api.get_campaign": manager(),
    "surveys_api.get_survey": manager(),
    "survey_results_api.get_results": manager(),
    # --- admins ----------------------------------------------------------------------------
    "accounts.organisers": admin(),
    "accounts.organisers:POST": admin(EMPTY),
    "accounts.organiser": admin(),
    "accounts.organiser:POST": admin(302, to="/manage/organisers"),  # no fields sent: as it was
    "accounts.deactivate": admin(302, to="/manage/organisers"),
    "accounts.reactivate": admin(302, to="/manage/organisers"),
    "two_factor.security": admin(),
    "two_factor.security:POST": admin(302, to="/manage/security"),
    "audit.index": admin(),
    "audit.export_csv": admin(),
    "privacy.event_retention": admin(),
    "privacy.event_retention:POST": admin(302, to="/manage/events/"),  # empty: the defaults
    "privacy_erasure.index": admin(),
    "privacy_erasure.approve": admin(302, to="/manage/erasure-requests"),
    "privacy_erasure.reject": admin(EMPTY),  # a reason is needed
    "outbox.index": admin(),
    "outbox.show": admin(),
    "outbox.retry": admin(302, to="/manage/outbox"),
    "outbox.retry_all": admin(302, to="/manage/outbox"),
}

# Who may call each category (the roles' names are those of ROLES).
ALLOWED: dict[str, set[str]] = {
    PUBLIC: {"anonymous", "registrant", "other", "co", "owner", "deactivated", "admin"},
    TOKEN: {"registrant"},
    MATERIAL: {"registrant", "co", "owner", "admin"},
    MANAGER: {"co", "owner", "admin"},
    ORGANISER: {"other", "co", "owner", "admin"},
    ADMIN: {"admin"},
}
# Which secret a <token> in an address is, by the address's start (else the registration's).
SECRET_OF = {"/s/": "survey_token", "/i/": "invitation_token"}
ROLES = ("anonymous", "registrant", "other", "deactivated", "admin", "co", "owner")
PASSWORD = "access-pass"
GUESSED = "guessed-" + "x" * 30


def access_of(endpoint: str, method: str) -> Access | None:
    return ACCESS.get(f"{endpoint}:{method}") or ACCESS.get(endpoint)


def _rules() -> list[tuple[str, str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


RULES = _rules()


def test_every_route_is_classified() -> None:
    missing = [f"{e} {m} {r}" for e, m, r in RULES if access_of(e, m) is None]
    assert not missing, (
        "Routes with no line in tests/test_access.py ACCESS; classify each (public, token, "
        "manager, organiser, admin):\n  " + "\n  ".join(missing)
    )
    known = {e for e, _m, _r in RULES}
    stale = [k for k in ACCESS if k.partition(":")[0] not in known]
    assert not stale, f"ACCESS names endpoints the app no longer has: {stale}"


# --- the world ----------------------------------------------------------------------------


def _organiser(email: str, name: str, role: str = "organiser") -> Organiser:
    # A cheap hash: the matrix signs in hundreds of times; the real hash is tested elsewhere.
    found = Organiser(email=email, name=name, role=role)
    found.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
    db.session.add(found)
    db.session.commit()
    return found


@dataclass
class Family:
    """Event A (or a fresh copy of it) and one row of each kind that hangs on it."""

    slug: str
    session_id: int
    registration_id: int
    token: str  # the registration's manage link
    email: str  # the registrant's: never in a refused answer
    material_title: str  # never on another organiser's own pages
    survey_id: int
    section_id: int
    question_id: int
    survey_token: str
    campaign_id: int
    invitation_token: str  # the campaign recipient's
    material_id: int
    mailing_id: int
    printout_id: int
    loser_id: str  # two organisations, for the merge
    survivor_id: str
    message_id: int  # an outbox message
    organiser_id: int  # an organiser account an admin may change
    token_id: int  # the owner's API token
    request_id: int  # an erasure request (by the second person)


@dataclass
class World:
    org1: Organiser
    org2: Organiser
    org3: Organiser
    org5: Organiser
    root: Organiser
    n: int = 0
    a: Family | None = None
    b: Family | None = None
    families: list[Family] = field(default_factory=list)

    def family(self, owner: Organiser, co: list[Organiser]) -> Family:
        from materials.models import Material
        from materials.services import create_material
        from outreach.models import Campaign, CampaignRecipient
        from participants.models import Mailing, Printout, Registration
        from surveys.models import SurveyInvitation
        from tests.surveys.helpers import build_survey

        self.n += 1
        n = self.n
        start = (utcnow() + timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)
        from events.services import create_event

        event = create_event(
            owner,
            event_data(
                title=f"Evenemang {n}",
                co_organisers=[o.email for o in co],
                sessions=sessions_for(start, 20, None),
            ),
        )
        event.sessions[0].track_attendance = True  # so a session check-in is possible
        db.session.commit()
        session_id = event.sessions[0].id
        reg = as_stored(
            _register(
                event, person(f"{n}a", organisation=_org(f"Kommun {n}a"), sessions=[session_id])
            )
        )
        other = as_stored(_register(event, person(f"{n}b", organisation=_org(f"Kommun {n}b"))))
        survey = build_survey(event, audience="registrants")
        invitation = SurveyInvitation(survey=survey, registration_id=reg.id, email=reg.email)
        db.session.add(invitation)
        campaign = Campaign(event_id=event.id, created_by_id=owner.id,
                            send_at=utcnow() + timedelta(days=1))  # fmt: skip
        db.session.add(campaign)
        db.session.flush()
        recipient = CampaignRecipient(
            campaign_id=campaign.id, email=f"invited{n}@example.se",
            token=secrets.token_urlsafe(16), language="sv", target_group="supplier",
        )  # fmt: skip
        mailing = Mailing(event_id=event.id, created_by_id=owner.id, subjects={"sv": "Hej"},
                          bodies={"sv": "Välkommen"}, audience={},
                          send_at=utcnow() + timedelta(days=1))  # fmt: skip
        printout = Printout(event_id=event.id, kind="badges", language="sv", status="ready",
                            requested_by_id=owner.id, people=1, content=b"%PDF-1.7\n%%EOF\n",
                            finished_at=utcnow())  # fmt: skip
        db.session.add_all([recipient, mailing, printout])
        db.session.commit()
        material: Material = create_material(
            owner,
            {
                "title": f"Modell {n}",
                "description": "En modell.",
                "language": "sv",
                "category": "model",
                "languages": ["sv"],
                "target_groups": ["contracting_authority"],
                "tags": [],
                "url": "https://example.org/modell",
                "events": [event.slug],
                "audience": {"kind": "registrants", "events": [event.slug]},
            },
        )
        from core.models import ApiToken
        from privacy.models import ErasureRequest

        spare = _organiser(f"spare{n}@access.se", f"Sam Spare {n}")
        create_api_token(owner, label=f"family {n}")
        token_id = (
            db.session.query(ApiToken)
            .filter_by(organiser_id=owner.id)
            .order_by(ApiToken.id.desc())
            .first()
            .id
        )
        erasure = ErasureRequest(registration_id=other.id, language="sv")
        db.session.add(erasure)
        db.session.commit()
        message = db.session.query(OutboxMessage).filter_by(registration_id=reg.id).first()
        assert message is not None
        stored = db.session.get(Registration, other.id)
        # Read back as stored (Numeric bounds as Decimal, as a request would see them).
        db.session.expire_all()
        return Family(
            slug=event.slug,
            session_id=session_id,
            registration_id=reg.id,
            token=reg.token,
            email=reg.email,
            material_title=f"Modell {n}",
            survey_id=survey.id,
            section_id=survey.sections[0].id,
            question_id=survey.questions[0].id,
            survey_token=invitation.token,
            campaign_id=campaign.id,
            invitation_token=recipient.token,
            material_id=material.id,
            mailing_id=mailing.id,
            printout_id=printout.id,
            loser_id=str(reg.organisation_id),
            survivor_id=str(stored.organisation_id),
            message_id=message.id,
            organiser_id=spare.id,
            token_id=token_id,
            request_id=erasure.id,
        )

    def copy_of_a(self) -> Family:
        return self.family(self.org1, [self.org2, self.org5])


def _org(name: str) -> dict[str, str]:
    return {"name": name, "org_number": "", "country": "SE"}


def _register(event: Any, data: dict[str, Any]) -> Any:
    from participants.services import register

    return register(event, data)


@pytest.fixture
def world(app: Flask) -> World:
    w = World(
        org1=_organiser("org1@access.se", "Olle Organiser"),
        org2=_organiser("org2@access.se", "Cecilia Co"),
        org3=_organiser("org3@access.se", "Bengt Other"),
        org5=_organiser("org5@access.se", "Dora Deactivated"),
        root=_organiser("root@access.se", "Ada Admin", "admin"),
    )
    w.a = w.copy_of_a()
    w.b = w.family(w.org3, [])
    return w


@dataclass
class Caller:
    role: str
    client: FlaskClient
    bearer: str | None = None  # the API token, for /api/v1


def _callers(app: Flask, w: World) -> dict[str, Caller]:
    def signed_in(who: Organiser) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": who.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    callers = {
        "anonymous": Caller("anonymous", app.test_client()),
        # The registrant's manage-link token is no API token: they send it as one, refused.
        "registrant": Caller("registrant", app.test_client(), w.a.token),
    }
    for role, who in (("other", w.org3), ("co", w.org2), ("owner", w.org1),
                      ("deactivated", w.org5), ("admin", w.root)):  # fmt: skip
        callers[role] = Caller(role, signed_in(who), create_api_token(who))
    # Deactivated after signing in and getting a token, both of which worked until then:
    # both must stop working at once.
    assert (
        callers["deactivated"].client.get(f"/manage/events/{w.a.slug}/registrations").status_code
        == 200
    )
    api = f"/api/v1/events/{w.a.slug}/registrations"
    bearer = {"Authorization": f"Bearer {callers['deactivated'].bearer}"}
    assert app.test_client().get(api, headers=bearer).status_code == 200
    w.org5.active = False
    db.session.commit()
    return callers


# --- one call -----------------------------------------------------------------------------


def _values(rule: Rule, family: Family, role: str, who: str) -> dict[str, Any]:
    """The address's parameters from this family; a secret link's token is guessed by anyone
    but the registrant, who holds it."""
    holds = role == "registrant" or who != TOKEN
    kind = next((f for prefix, f in SECRET_OF.items() if rule.rule.startswith(prefix)), "token")
    secret = getattr(family, kind)
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        if arg == "token":
            values[arg] = secret if holds else GUESSED
        elif arg == "filename":
            values[arg] = "css/motesplats.min.css"
        elif arg == "service":
            values[arg] = "google"
        elif hasattr(family, arg):
            values[arg] = getattr(family, arg)
        else:
            pytest.fail(f"{rule.rule}: give Family a field {arg!r} and fill it in World.family")
    return values


def _call(app: Flask, caller: Caller, rule: Rule, method: str, family: Family, who: str,
          spec: Access, values: dict[str, Any] | None = None) -> tuple[str, Any]:  # fmt: skip
    values = values if values is not None else _values(rule, family, caller.role, who)
    with app.test_request_context():
        url = url_for(rule.endpoint, **values)
    query: dict[str, str] = {}
    if who == MATERIAL and caller.role == "registrant":
        query["t"] = family.token
    kwargs: dict[str, Any] = {"method": method, "query_string": query}
    if url.startswith("/api/"):
        if caller.bearer and caller.role != "anonymous":
            kwargs["headers"] = {"Authorization": f"Bearer {caller.bearer}"}
        if method in ("POST", "PATCH", "PUT"):
            kwargs["json"] = dict(spec.data or {})
    elif method != "GET":
        kwargs["data"] = dict(spec.data or {})
    return url, caller.client.open(url, **kwargs)


def _text(response: Any) -> str:
    """The body as a person would read it: a spreadsheet (XLSX, a zip) by its XML parts."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return data.decode("utf-8", "replace")


def _refused(response: Any, family: Family) -> bool:
    """401, 403 or 404, or a redirect to the sign-in page; and nothing of the registrant."""
    if family.email in _text(response):
        return False
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (302, 303):
        return (
            re.search(r"^(https?://[^/]+)?/login(\?|$)", response.headers["Location"]) is not None
        )
    return False


def _granted(response: Any, spec: Access, family: Family) -> bool:
    if response.status_code not in spec.ok:
        return False
    if 300 <= response.status_code < 400:
        return spec.to.format(slug=family.slug) in response.headers.get("Location", "")
    return True


def _shows_a(response: Any, a: Family) -> bool:
    """Whether an organiser's own list or report shows A's registrant or A's material (kept
    for A's registrants). A's title may show: the event is published, and the shared register of
    organisations lists the events their people came to."""
    body = _text(response)
    return any(text in body for text in (a.email, a.material_title))


def _stale_token(caller: Caller, url: str, spec: Access, response: Any) -> bool:
    """A deactivated organiser's API token (or a registrant's manage-link token sent as one) on
    a public route: 401 (the token is refused, as it should be) is as right as the public
    answer."""
    return (
        caller.role in ("deactivated", "registrant")
        and spec.who == PUBLIC
        and url.startswith("/api/")
        and response.status_code == 401
    )


@pytest.mark.parametrize(
    ("endpoint", "method", "path"), RULES, ids=[f"{e}:{m}" for e, m, _ in RULES]
)
def test_access(app: Flask, world: World, endpoint: str, method: str, path: str) -> None:
    spec = access_of(endpoint, method)
    if spec is None:
        pytest.fail(f"{endpoint} {method} is not classified in tests/test_access.py ACCESS")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    callers = _callers(app, world)
    allowed = ALLOWED[spec.who]
    problems = []
    for role in ROLES:
        may = role in allowed
        # A call that changes things gets a fresh copy of event A for each allowed caller.
        family = world.a if (method == "GET" or not may) else world.copy_of_a()
        url, response = _call(app, callers[role], rule, method, family, spec.who, spec)
        status, where = response.status_code, response.headers.get("Location", "")
        if status >= 500:
            problems.append(f"{role}: {method} {url} -> {status}")
        elif may and not (
            _granted(response, spec, family) or _stale_token(callers[role], url, spec, response)
        ):
            problems.append(f"{role} may: {method} {url} -> {status} {where} (expected {spec.ok})")
        elif not may and not _refused(response, family):
            problems.append(f"{role} may not: {method} {url} -> {status} {where}")
        elif role == "other" and spec.who == ORGANISER and _shows_a(response, world.a):
            problems.append(f"other sees event A's data: {method} {url} -> {status}")
    # B's organiser, with B's own address but A's rows in it, is refused too (a scanned ticket
    # of another event may say so, 409, as long as it shows nothing of the person).
    if spec.who == MANAGER and "slug" in rule.arguments and len(rule.arguments) > 1:
        mixed = _values(rule, world.a, "other", spec.who) | {"slug": world.b.slug}
        url, response = _call(app, callers["other"], rule, method, world.a, spec.who, spec, mixed)
        conflict = response.status_code == 409 and world.a.email not in response.get_data(
            as_text=True
        )
        if not (_refused(response, world.a) or conflict):
            problems.append(
                f"other, own slug with A's ids: {method} {url} -> {response.status_code} "
                + response.headers.get("Location", "")
            )
    assert not problems, "\n".join(problems)
