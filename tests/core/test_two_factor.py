"""Two-factor sign-in: the services on a clock the test sets (pyotp's TOTP.at), and the sign-in
through the real pages: the code step, recovery codes, reuse refused, the pending marker's
reach and lifetime, an admin requiring it of everyone, and the admin-only switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import request_started

from core import two_factor
from core.auth import create_organiser
from core.db import db
from core.models import RecoveryCode, SiteSetting
from tests.conftest import _fresh_request_globals

EMAIL = "anna@upphandlingsmyndigheten.se"
PASSWORD = "secret-pass"
T0 = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)  # a step boundary: 09:00:00 is divisible by 30


def enable(organiser, now=T0):
    """Two-factor on for the organiser, as the setup page does; returns (secret, codes)."""
    secret = two_factor.begin_setup()
    codes = two_factor.confirm_setup(organiser, secret, pyotp.TOTP(secret).at(now), now=now)
    assert codes is not None
    return secret, codes


# --- services ------------------------------------------------------------------------------------


def test_setup_is_saved_only_when_a_code_confirms_it(app, organiser):
    secret = two_factor.begin_setup()
    assert len(secret) >= 32 and organiser.totp_secret is None
    wrong = pyotp.TOTP(two_factor.begin_setup()).at(T0)  # a code from another secret
    assert two_factor.confirm_setup(organiser, secret, wrong, now=T0) is None
    assert organiser.totp_secret is None
    assert db.session.query(RecoveryCode).count() == 0
    codes = two_factor.confirm_setup(organiser, secret, pyotp.TOTP(secret).at(T0), now=T0)
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    assert organiser.totp_secret == secret
    stored = {r.code_hash for r in db.session.query(RecoveryCode)}
    assert len(stored) == 10 and not any(code in h for code in codes for h in stored)  # hashed


def test_a_code_is_accepted_one_step_either_side_and_not_further(app, organiser):
    secret, _ = enable(organiser, now=T0 - timedelta(minutes=10))
    totp = pyotp.TOTP(secret)
    now = T0 + timedelta(seconds=45)  # in the step 09:00:30-09:01:00
    assert not two_factor.verify_code(organiser, totp.at(now - timedelta(seconds=60)), now=now)
    assert not two_factor.verify_code(organiser, totp.at(now + timedelta(seconds=60)), now=now)
    assert two_factor.verify_code(organiser, totp.at(now - timedelta(seconds=30)), now=now)
    assert not two_factor.verify_code(organiser, "12345", now=now)
    assert not two_factor.verify_code(organiser, "abcdef", now=now)


def test_a_code_is_refused_the_second_time_and_so_is_an_earlier_one(app, organiser):
    secret, _ = enable(organiser, now=T0 - timedelta(minutes=10))
    totp = pyotp.TOTP(secret)
    now = T0 + timedelta(seconds=10)
    code = totp.at(now)
    assert two_factor.verify_code(organiser, code, now=now)
    assert not two_factor.verify_code(organiser, code, now=now + timedelta(seconds=5))
    # The previous step's code is still inside the window, but older than the one accepted.
    assert not two_factor.verify_code(organiser, totp.at(now - timedelta(seconds=30)), now=now)
    # The next step's code is new.
    later = now + timedelta(seconds=30)
    spaced = " " + totp.at(later)[:3] + " " + totp.at(later)[3:]  # as an app shows it
    assert two_factor.verify_code(organiser, spaced, now=later)


def test_the_confirming_code_cannot_sign_in_again(app, organiser):
    secret = two_factor.begin_setup()
    code = pyotp.TOTP(secret).at(T0)
    assert two_factor.confirm_setup(organiser, secret, code, now=T0)
    assert not two_factor.verify_code(organiser, code, now=T0 + timedelta(seconds=20))


def test_a_recovery_code_works_once(app, organiser):
    _, codes = enable(organiser)
    assert two_factor.remaining_recovery_codes(organiser) == 10
    assert two_factor.use_recovery_code(organiser, codes[0].upper().replace("-", " "))
    assert not two_factor.use_recovery_code(organiser, codes[0])
    assert not two_factor.use_recovery_code(organiser, "aaaaa-aaaaa")
    assert two_factor.remaining_recovery_codes(organiser) == 9
    other = create_organiser("bo@upphandlingsmyndigheten.se", "Bo", PASSWORD)
    enable(other)
    assert not two_factor.use_recovery_code(other, codes[1])  # Anna's code is not Bo's


def test_new_recovery_codes_replace_the_old_and_need_a_code_or_the_password(app, organiser):
    secret, old = enable(organiser)
    assert two_factor.regenerate_recovery_codes(organiser, "wrong-pass") is None
    assert two_factor.regenerate_recovery_codes(organiser, "") is None
    new = two_factor.regenerate_recovery_codes(organiser, PASSWORD)
    assert new is not None and len(new) == 10 and not set(new) & set(old)
    assert not two_factor.use_recovery_code(organiser, old[0])
    now = T0 + timedelta(minutes=1)
    assert two_factor.regenerate_recovery_codes(organiser, pyotp.TOTP(secret).at(now), now=now)


def test_disable_needs_a_current_code_or_the_password(app, organiser):
    secret, _ = enable(organiser)
    assert not two_factor.disable(organiser, "wrong-pass")
    assert not two_factor.disable(organiser, "000000", now=T0 + timedelta(minutes=5))
    now = T0 + timedelta(minutes=5)
    assert two_factor.disable(organiser, pyotp.TOTP(secret).at(now), now=now)
    db.session.expire_all()
    assert organiser.totp_secret is None
    assert db.session.query(RecoveryCode).count() == 0
    assert db.session.get(SiteSetting, f"two_factor_step:{organiser.id}") is None
    enable(organiser)
    assert two_factor.disable(organiser, PASSWORD)


def test_only_an_admin_requires_two_factor(app, organiser, admin):
    assert two_factor.two_factor_required() is False
    with pytest.raises(two_factor.Forbidden):
        two_factor.set_two_factor_required(organiser, True)
    assert two_factor.two_factor_required() is False
    two_factor.set_two_factor_required(admin, True)
    assert two_factor.two_factor_required() is True
    assert two_factor.organisers_without_two_factor() == 2
    two_factor.set_two_factor_required(admin, False)
    assert two_factor.two_factor_required() is False


def test_the_qr_code_is_inline_svg_named_for_screen_readers(app, organiser):
    secret = two_factor.begin_setup()
    uri = two_factor.provisioning_uri(organiser, secret)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert "issuer=M%C3%B6tesplats" in uri
    svg = str(two_factor.qr_svg(uri, "QR <code>"))
    assert svg.startswith('<svg role="img" aria-label="QR &lt;code&gt;"')
    assert "<script" not in svg and "style=" not in svg


# --- sign-in through the pages ------------------------------------------------------------------


def sign_in_password(client, email=EMAIL, password=PASSWORD, **data):
    return client.post("/login", data={"email": email, "password": password, **data})


def test_without_two_factor_the_password_signs_in(client, organiser):
    response = sign_in_password(client)
    assert response.status_code == 302 and response.location.endswith("/manage/")
    assert client.get("/manage/").status_code == 200
    db.session.expire_all()
    assert organiser.last_login_at is not None


def test_with_two_factor_the_password_leads_to_the_code_step(client, organiser):
    secret, _ = enable(organiser)
    response = client.post(
        "/login?next=/manage/surveys", data={"email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location.endswith("/login/code")
    with client.session_transaction() as session:
        assert "_user_id" not in session  # not signed in: only the marker
        assert session[two_factor.PENDING]["id"] == organiser.id
    # The pending marker opens no management page.
    assert client.get("/manage/").status_code == 302
    assert "/login" in client.get("/manage/").location
    assert client.get("/manage/account/two-factor").status_code == 302
    page = client.get("/login/code", headers={"Accept-Language": "en"})
    assert "Enter your sign-in code" in page.get_data(as_text=True)
    assert client.post("/login/code", data={"code": "000000"}).status_code == 422
    assert client.get("/manage/").status_code == 302
    db.session.expire_all()
    assert organiser.last_login_at is None
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.location.endswith("/manage/surveys")
    assert client.get("/manage/").status_code == 200
    with client.session_transaction() as session:
        assert two_factor.PENDING not in session
    db.session.expire_all()
    assert organiser.last_login_at is not None


def test_a_code_used_to_sign_in_cannot_sign_in_again(app, organiser):
    secret, _ = enable(organiser)
    code = pyotp.TOTP(secret).now()
    first, second = app.test_client(), app.test_client()
    sign_in_password(first)
    sign_in_password(second)
    assert first.post("/login/code", data={"code": code}).status_code == 302
    response = second.post("/login/code", data={"code": code}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "The code is wrong or has already been used." in response.get_data(as_text=True)
    assert second.get("/manage/").status_code == 302


def test_a_recovery_code_signs_in_once(app, organiser):
    _, codes = enable(organiser)
    client = app.test_client()
    sign_in_password(client)
    response = client.post("/login/code", data={"recovery_code": codes[3]})
    assert response.status_code == 302
    assert client.get("/manage/").status_code == 200
    client.post("/logout")
    assert client.get("/manage/").status_code == 302
    sign_in_password(client)
    response = client.post(
        "/login/code", data={"recovery_code": codes[3]}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert "already used" in response.get_data(as_text=True)
    assert client.get("/manage/").status_code == 302


def test_an_expired_pending_marker_sends_back_to_the_password(client, organiser, monkeypatch):
    secret, _ = enable(organiser)
    sign_in_password(client)
    later = two_factor.utcnow() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(two_factor, "utcnow", lambda: later)
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(later)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert client.get("/manage/").status_code == 302
    with client.session_transaction() as session:
        assert two_factor.PENDING not in session


def test_a_marker_just_inside_five_minutes_still_works(client, organiser, monkeypatch):
    secret, _ = enable(organiser)
    sign_in_password(client)
    later = two_factor.utcnow() + timedelta(minutes=4, seconds=50)
    monkeypatch.setattr(two_factor, "utcnow", lambda: later)
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(later)})
    assert response.status_code == 302 and response.location.endswith("/manage/")


def test_signing_out_ends_a_half_done_sign_in(client, organiser):
    enable(organiser)
    sign_in_password(client)
    client.post("/logout")
    assert client.get("/login/code").status_code == 302


def test_the_code_step_without_a_password_is_refused(client, organiser):
    enable(organiser)
    assert client.get("/login/code").status_code == 302
    assert client.post("/login/code", data={"code": "123456"}).status_code == 302


def test_remember_me_is_kept_through_the_code_step(client, organiser):
    secret, _ = enable(organiser)
    sign_in_password(client, remember="y")
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") for c in cookies)


# --- failed codes are throttled ----------------------------------------------------------------


@pytest.fixture
def limited(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes",
        LOGIN_FAILURES_PER_ADDRESS="5 per 15 minutes",
    )
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        organiser = create_organiser(EMAIL, "Anna", PASSWORD)
        yield app, enable(organiser)[0]
        db.session.remove()


def test_failed_codes_are_throttled_per_account(limited):
    app, secret = limited
    for n in range(3):
        client = app.test_client()
        sign_in_password(client)
        response = client.post(
            "/login/code", data={"code": "000000"}, environ_overrides={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert response.status_code == 422
    client = app.test_client()
    sign_in_password(client)
    response = client.post(
        "/login/code",
        data={"code": pyotp.TOTP(secret).now()},
        environ_overrides={"REMOTE_ADDR": "10.0.1.1"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/manage/").status_code == 302


def test_a_right_code_is_not_counted(limited):
    app, secret = limited
    for n in range(4):
        client = app.test_client()
        sign_in_password(client)
        at = two_factor.utcnow() + timedelta(seconds=30 * (n - 1))  # a fresh step each time
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(two_factor, "utcnow", lambda at=at: at)
            code = pyotp.TOTP(secret).at(at)
            assert client.post("/login/code", data={"code": code}).status_code == 302


# --- an admin requires it of everyone ----------------------------------------------------------


def setup_key(page: str) -> str:
    match = re.search(r'<code id="two-factor-key"[^>]*>([A-Z2-7 ]+)</code>', page)
    assert match, page
    return match.group(1).replace(" ", "")


def test_when_required_an_organiser_without_it_sets_it_up_before_managing(client, organiser, admin):
    two_factor.set_two_factor_required(admin, True)
    response = sign_in_password(client)
    assert response.status_code == 302 and response.location.endswith("/login/setup")
    assert client.get("/manage/").status_code == 302  # not signed in yet
    page = client.get("/login/setup", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "An administrator requires two-factor sign-in" in page
    assert '<svg role="img"' in page
    secret = setup_key(page)
    assert setup_key(client.get("/login/setup").get_data(as_text=True)) == secret  # kept
    db.session.expire_all()
    assert organiser.totp_secret is None  # not saved before it is confirmed
    assert client.post("/login/setup", data={"code": "000000"}).status_code == 422
    response = client.post(
        "/login/setup",
        data={"code": pyotp.TOTP(secret).now()},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)
    assert len(codes) == 10
    db.session.expire_all()
    assert organiser.totp_secret == secret
    assert client.get("/manage/").status_code == 200
    # The next time: password, then the code.
    client.post("/logout")
    assert sign_in_password(client).location.endswith("/login/code")
    assert client.post("/login/code", data={"recovery_code": codes[0]}).status_code == 302


def test_a_half_done_setup_cannot_replace_one_made_meanwhile(app, organiser, admin):
    two_factor.set_two_factor_required(admin, True)
    stranger = app.test_client()
    assert sign_in_password(stranger).location.endswith("/login/setup")
    secret = setup_key(stranger.get("/login/setup").get_data(as_text=True))
    own, _ = enable(organiser, now=two_factor.utcnow())  # Anna sets it up elsewhere
    response = stranger.post("/login/setup", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.location.endswith("/login")
    db.session.expire_all()
    assert organiser.totp_secret == own
    assert stranger.get("/manage/").status_code == 302


def test_when_required_a_session_from_before_is_sent_to_setup(client, organiser, admin):
    sign_in_password(client)
    assert client.get("/manage/").status_code == 200
    two_factor.set_two_factor_required(admin, True)
    response = client.get("/manage/")
    assert response.status_code == 302
    assert response.location.endswith("/manage/account/two-factor/setup")
    assert client.get("/manage/account/two-factor").status_code == 200
    page = client.get("/manage/account/two-factor/setup").get_data(as_text=True)
    secret = setup_key(page)
    response = client.post(
        "/manage/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 200
    assert client.get("/manage/").status_code == 200


def test_an_organiser_with_two_factor_is_not_held_up_when_required(client, organiser, admin):
    secret, _ = enable(organiser)
    two_factor.set_two_factor_required(admin, True)
    sign_in_password(client)
    client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/manage/").status_code == 200


# --- the pages ---------------------------------------------------------------------------------


def test_the_account_page_sets_up_shows_and_turns_off(client, organiser, login):
    login()
    page = client.get("/manage/account/two-factor", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Off" in page.get_data(as_text=True)
    secret = setup_key(client.get("/manage/account/two-factor/setup").get_data(as_text=True))
    now = two_factor.utcnow()
    assert (
        client.post(
            "/manage/account/two-factor/setup", data={"code": pyotp.TOTP(secret).at(now)}
        ).status_code
        == 200
    )
    page = client.get("/manage/account/two-factor", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Recovery codes left" in text and ">10<" in text.replace("\n", "").replace(" ", "")
    # New recovery codes need the password (or a code).
    response = client.post(
        "/manage/account/two-factor/recovery-codes", data={"recovery-secret": "x"}
    )
    assert response.status_code == 422
    response = client.post(
        "/manage/account/two-factor/recovery-codes", data={"recovery-secret": PASSWORD}
    )
    assert response.status_code == 200
    assert len(re.findall(r"<li><code>", response.get_data(as_text=True))) == 10
    # Turning off needs it too.
    response = client.post("/manage/account/two-factor/disable", data={"disable-secret": "x"})
    assert response.status_code == 422
    response = client.post("/manage/account/two-factor/disable", data={"disable-secret": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert organiser.totp_secret is None


def test_the_admin_switch_is_for_admins_only(app, organiser, admin):
    anna = app.test_client()
    sign_in_password(anna)
    assert anna.get("/manage/security").status_code == 403
    assert anna.post("/manage/security", data={"required": "y"}).status_code == 403
    assert two_factor.two_factor_required() is False
    assert app.test_client().get("/manage/security").status_code == 302  # anonymous: sign in
    ada = app.test_client()
    sign_in_password(ada, "admin@upphandlingsmyndigheten.se", "admin-pass")
    page = ada.get("/manage/security", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "2 active organisers have not set up two-factor sign-in." in page.get_data(True)
    assert ada.post("/manage/security", data={"required": "y"}).status_code == 302
    assert two_factor.two_factor_required() is True
    # The admin without two-factor is sent to set it up, like everyone else.
    assert ada.get("/manage/security").location.endswith("/manage/account/two-factor/setup")


def test_the_command_line_resets_two_factor(app, organiser):
    enable(organiser)
    result = app.test_cli_runner().invoke(args=["two-factor", "reset", EMAIL.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert organiser.totp_secret is None
    result = app.test_cli_runner().invoke(args=["two-factor", "reset", "nobody@example.org"])
    assert result.exit_code != 0
