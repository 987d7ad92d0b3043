"""Organiser accounts as an admin runs them, and an organiser's own account and API tokens:
the services' rules, the pages' permissions, and a deactivation that ends sessions and tokens
at once."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import accounts
from core.auth import create_api_token, find_organiser
from core.db import db, utcnow
from core.errors import NotFound, ValidationError
from core.models import ApiToken, Organiser

ADMIN = ("admin@upphandlingsmyndigheten.se", "admin-pass")
ANNA = ("anna@upphandlingsmyndigheten.se", "secret-pass")
# An API call that needs a token: 404 (no such survey) with a valid one, 401 without.
API = "/api/v1/surveys/0"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def change_password(client, current: str, new: str = "brand-new-pass"):
    """The account page's password form, sent."""
    return client.post(
        "/manage/account/password",
        data={"password-current": current, "password-password": new, "password-confirm": new},
    )


@pytest.fixture
def english(client):
    client.get("/?lang=en")
    return client


# --- services -------------------------------------------------------------------------------


def test_create_account_with_a_role(app):
    organiser = accounts.create_account(" Bo  Berg ", "Bo@Example.SE", "organiser", "long-pass")
    admin = accounts.create_account("Cia", "cia@example.se", "admin", "long-pass")
    assert (organiser.name, organiser.email, organiser.role) == (
        "Bo Berg",
        "bo@example.se",
        "organiser",
    )
    assert admin.is_admin and admin.active
    with pytest.raises(ValidationError) as err:
        accounts.create_account("Bo", "bo@example.se", "organiser", "long-pass")
    assert "email" in err.value.fields
    with pytest.raises(ValidationError) as err:
        accounts.create_account("Dan", "dan@example.se", "owner", "long-pass")
    assert "role" in err.value.fields
    with pytest.raises(ValidationError) as err:
        accounts.create_account("Dan", "dan@example.se", "organiser", "short")
    assert "password" in err.value.fields


def test_update_account_changes_name_email_and_role(app, admin, organiser):
    accounts.update_account(organiser, "Anna Andersson", "anna.a@example.se", "admin")
    db.session.expire_all()
    changed = db.session.get(Organiser, organiser.id)
    assert (changed.name, changed.email, changed.role) == (
        "Anna Andersson",
        "anna.a@example.se",
        "admin",
    )
    with pytest.raises(ValidationError) as err:  # another account's address
        accounts.update_account(changed, "Anna", ADMIN[0], "admin")
    assert "email" in err.value.fields
    with pytest.raises(ValidationError):
        accounts.update_account(changed, "   ", "anna.a@example.se", "admin")


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, admin, organiser):
    with pytest.raises(ValidationError) as err:
        accounts.update_account(admin, admin.name, admin.email, "organiser")
    assert "role" in err.value.fields
    with pytest.raises(ValidationError):
        accounts.deactivate_account(admin)
    assert db.session.get(Organiser, admin.id).is_admin
    assert db.session.get(Organiser, admin.id).active

    # With a second active admin, the first may step down.
    accounts.update_account(organiser, organiser.name, organiser.email, "admin")
    accounts.update_account(admin, admin.name, admin.email, "organiser")
    assert not db.session.get(Organiser, admin.id).is_admin
    # And now the other is the last one.
    with pytest.raises(ValidationError):
        accounts.deactivate_account(db.session.get(Organiser, organiser.id))


def test_a_deactivated_admin_does_not_count_as_the_other_admin(app, admin):
    other = accounts.create_account("Bea", "bea@example.se", "admin", "long-pass")
    accounts.deactivate_account(other)
    with pytest.raises(ValidationError):
        accounts.deactivate_account(admin)
    accounts.reactivate_account(other)
    accounts.deactivate_account(admin)
    assert not db.session.get(Organiser, admin.id).active


def test_change_password_needs_the_current_one(app, organiser):
    with pytest.raises(ValidationError) as err:
        accounts.change_password(organiser, "wrong-pass", "new-password", "new-password")
    assert "current" in err.value.fields
    with pytest.raises(ValidationError) as err:
        accounts.change_password(organiser, ANNA[1], "new-password", "other-password")
    assert "confirm" in err.value.fields
    with pytest.raises(ValidationError) as err:
        accounts.change_password(organiser, ANNA[1], "short", "short")
    assert "password" in err.value.fields
    accounts.change_password(organiser, ANNA[1], "new-password", "new-password")
    assert find_organiser(ANNA[0]).check_password("new-password")


def test_api_token_keeps_label_and_hint_and_only_its_owner_revokes_it(app, admin, organiser):
    token = create_api_token(organiser, "  Rapport  verktyg ")
    [row] = accounts.own_tokens(organiser)
    assert (row.label, row.hint) == ("Rapport verktyg", token[-4:])
    assert token not in (row.token_hash, row.label, row.hint)
    with pytest.raises(NotFound):
        accounts.revoke_api_token(admin, row.id)
    accounts.revoke_api_token(organiser, row.id)
    assert accounts.own_tokens(organiser) == []


def test_using_a_token_records_when_it_was_last_used(app, client, organiser):
    token = create_api_token(organiser, "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(API, headers=headers).status_code == 404
    row = db.session.scalar(sa.select(ApiToken))
    db.session.refresh(row)
    first = row.last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    # Within a minute it is not written again (no write per request)…
    client.get(API, headers=headers)
    db.session.refresh(row)
    assert row.last_used_at == first
    # …after a minute it is.
    row.last_used_at = first - timedelta(minutes=5)
    db.session.commit()
    client.get(API, headers=headers)
    db.session.refresh(row)
    assert row.last_used_at > first - timedelta(minutes=5)


# --- deactivation ends sessions and tokens at once -----------------------------------------


def test_deactivation_ends_the_session_the_remember_cookie_and_the_token(app, admin, organiser):
    client = app.test_client()
    client.post("/login", data={"email": ANNA[0], "password": ANNA[1], "remember": "y"})
    assert client.get("/manage/").status_code == 200
    remembered = app.test_client()  # only the remember cookie, as after closing the browser
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert remembered.get("/manage/").status_code == 200
    token = create_api_token(organiser)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(API, headers=headers).status_code == 404

    accounts.deactivate_account(db.session.get(Organiser, organiser.id))

    assert client.get("/manage/").status_code == 302  # to the login page, at once
    assert "/login" in client.get("/manage/").location
    assert remembered.get("/manage/").status_code == 302
    assert app.test_client().get(API, headers=headers).status_code == 401
    # Nor can it sign in again.
    again = app.test_client().post("/login", data={"email": ANNA[0], "password": ANNA[1]})
    assert again.status_code == 422

    accounts.reactivate_account(db.session.get(Organiser, organiser.id))
    assert app.test_client().get(API, headers=headers).status_code == 404


# --- the admin's pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/manage/organisers"),
        ("post", "/manage/organisers"),
        ("get", "/manage/organisers/{id}"),
        ("post", "/manage/organisers/{id}"),
        ("post", "/manage/organisers/{id}/deactivate"),
        ("post", "/manage/organisers/{id}/reactivate"),
    ],
)
def test_admin_pages_are_for_admins(app, client, login, admin, organiser, method, path):
    path = path.format(id=admin.id)
    anonymous = getattr(app.test_client(), method)(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    login(*ANNA)
    assert getattr(client, method)(path).status_code == 403
    assert db.session.get(Organiser, admin.id).active


def test_admin_lists_creates_edits_and_deactivates(app, english, login, admin, organiser):
    client = english
    login(*ADMIN)
    listing = client.get("/manage/organisers")
    assert listing.status_code == 200
    page = text(listing)
    assert "Anna Organiser" in page and f'href="/manage/organisers/{organiser.id}"' in page
    assert "Never" in page  # no sign-in recorded yet

    organiser.last_login_at = utcnow().replace(month=7, day=1, hour=10, minute=5)
    db.session.commit()
    page = text(client.get("/manage/organisers"))
    assert "12:05" in page  # summer time in Stockholm: UTC+2

    created = client.post(
        "/manage/organisers",
        data={"name": "Bo Berg", "email": "bo@example.se", "role": "organiser", "password": "x"},
    )
    assert created.status_code == 422
    assert "The password must have at least 8 characters." in text(created)
    created = client.post(
        "/manage/organisers",
        data={
            "name": "Bo Berg",
            "email": "bo@example.se",
            "role": "organiser",
            "password": "long-pass",
        },
    )
    assert created.status_code == 302
    bo = find_organiser("bo@example.se")
    assert bo.role == "organiser"

    edit = client.get(f"/manage/organisers/{bo.id}")
    assert edit.status_code == 200 and 'value="bo@example.se"' in text(edit)
    saved = client.post(
        f"/manage/organisers/{bo.id}",
        data={"name": "Bo Bergström", "email": "bo.b@example.se", "role": "admin"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert (bo.name, bo.email, bo.role) == ("Bo Bergström", "bo.b@example.se", "admin")

    assert client.post(f"/manage/organisers/{bo.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not bo.active
    assert "Deactivated" in text(client.get("/manage/organisers"))
    assert client.post(f"/manage/organisers/{bo.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert bo.active
    assert client.get("/manage/organisers/99999").status_code == 404


def test_the_last_admin_is_told_why_they_cannot_deactivate_themself(english, login, admin):
    login(*ADMIN)
    response = english.post(f"/manage/organisers/{admin.id}/deactivate", follow_redirects=True)
    assert "This is the last active administrator account." in text(response)
    demoted = english.post(
        f"/manage/organisers/{admin.id}",
        data={"name": admin.name, "email": admin.email, "role": "organiser"},
    )
    assert demoted.status_code == 422
    assert "This is the last active administrator account." in text(demoted)
    db.session.expire_all()
    assert admin.active and admin.is_admin


# --- an organiser's own account -------------------------------------------------------------


def test_account_page_needs_sign_in(app):
    response = app.test_client().get("/manage/account")
    assert response.status_code == 302 and "/login" in response.location


def test_organiser_creates_sees_and_revokes_their_tokens(app, english, login, admin, organiser):
    client = english
    login(*ANNA)
    page = client.get("/manage/account")
    assert page.status_code == 200
    assert "You have no API tokens." in text(page)

    assert client.post("/manage/account/tokens", data={"token-label": ""}).status_code == 422
    created = client.post("/manage/account/tokens", data={"token-label": "Statistics export"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    [row] = accounts.own_tokens(organiser)
    token = text(created).split('id="new-token" type="text" value="')[1].split('"')[0]
    assert token.endswith(row.hint) and len(token) > 30
    # The token works, and the page shows when it was last used, in Stockholm time.
    assert client.get(API, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    listing = text(client.get("/manage/account"))
    assert "Statistics export" in listing and f"…{row.hint}" in listing
    assert token not in listing  # shown once only
    assert "Never" not in listing

    # Another organiser's token cannot be revoked by this one.
    other = create_api_token(admin, "admin's")
    other_row = accounts.own_tokens(admin)[0]
    assert client.post(f"/manage/account/tokens/{other_row.id}/revoke").status_code == 404
    assert accounts.own_tokens(admin) != []

    assert client.post(f"/manage/account/tokens/{row.id}/revoke").status_code == 302
    assert accounts.own_tokens(organiser) == []
    revoked = app.test_client().get(API, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert other


def test_organiser_renames_themself_and_changes_password(app, english, login, organiser):
    client = english
    login(*ANNA)
    assert client.post("/manage/account/name", data={"name-name": "Anna A"}).status_code == 302
    db.session.expire_all()
    assert organiser.name == "Anna A"
    wrong = change_password(client, "nope")
    assert wrong.status_code == 422 and "The current password is wrong." in text(wrong)
    changed = change_password(client, ANNA[1])
    assert changed.status_code == 302
    db.session.expire_all()
    assert organiser.check_password("brand-new-pass")


def test_create_api_token_command_still_prints_a_working_token(app, organiser):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-api-token", ANNA[0]])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    [row] = accounts.own_tokens(organiser)
    assert row.hint == token[-4:]
    response = app.test_client().get(API, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_a_new_password_ends_every_other_session_but_the_one_that_set_it(app, organiser):
    """A person who fears their password is known changes it: a browser signed in elsewhere
    and a remember cookie left on another computer are signed out; their own stays in."""
    own = app.test_client()
    own.post("/login", data={"email": ANNA[0], "password": ANNA[1], "remember": "y"})
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": ANNA[0], "password": ANNA[1]})
    left_behind = app.test_client()
    left_behind.set_cookie("remember_token", own.get_cookie("remember_token").value)
    for client in (own, elsewhere, left_behind):
        assert client.get("/manage/").status_code == 200

    changed = change_password(own, ANNA[1])
    assert changed.status_code == 302

    assert own.get("/manage/").status_code == 200
    assert "/login" in elsewhere.get("/manage/").location
    assert "/login" in left_behind.get("/manage/").location
    # The session's own remember cookie was renewed under the new password.
    renewed = app.test_client()
    renewed.set_cookie("remember_token", own.get_cookie("remember_token").value)
    assert renewed.get("/manage/").status_code == 200


def test_a_password_set_through_the_reset_link_ends_the_sessions_too(app, organiser):
    client = app.test_client()
    client.post("/login", data={"email": ANNA[0], "password": ANNA[1]})
    assert client.get("/manage/").status_code == 200
    accounts.set_password(db.session.get(Organiser, organiser.id), "reset-by-link-1")
    assert "/login" in client.get("/manage/").location
