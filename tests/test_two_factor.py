"""Issue 11, two-factor login: set-up with a QR code and key, login with codes,
recovery codes, "remember this browser", mails, staff required to use it, demo keys."""

from __future__ import annotations

import re

import pytest

from gallery.extensions import db
from gallery.models import User
from tests.support.accounts import logged_in, outbox, page_text
from tests.support.auth import csrf_token_from
from tests.support.factories import create_user
from tests.support.two_factor import (
    KEY_ON_PAGE,
    STAFF_KEY,
    code,
    create_staff,
    login_with_code,
)

pytestmark = pytest.mark.settings(ADMIN_REQUIRES_TWO_FACTOR=True)


def set_up_two_factor(client) -> str:
    """Choose the authenticator app, read the key off the page, confirm a code: the key."""
    response = client.post(
        "/tf-setup",
        data={"setup": "authenticator", "csrf_token": csrf_token_from(client, "/tf-setup")},
    )
    assert response.status_code == 200
    text = page_text(response)
    assert 'id="qrcode"' in text and "data:image/svg+xml" in text
    key = KEY_ON_PAGE.search(text).group(1)
    response = client.post(
        "/tf-validate",
        data={"code": code(key), "csrf_token": csrf_token_from(client, "/tf-validate")},
    )
    assert response.status_code == 302, page_text(response)
    return key


def test_staff_without_two_factor_are_sent_to_set_it_up(client, auth):
    create_user("mod", roles=["moderator"])
    auth.login("mod", "password-mod")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/tf-setup")
    assert client.get("/admin/comment/").status_code == 302


def test_the_staff_notice_survives_a_missing_image_on_the_way(client, auth):
    """Browser run: a missing thumbnail's 404 page, requested between the redirect
    and the set-up page, rendered the layout and took the flashed notice."""
    create_user("mod", roles=["moderator"])
    auth.login("mod", "password-mod")
    setup = client.get("/admin/").headers["Location"]
    missing = client.get("/media/no-such-file-thumb.jpg", headers={"Sec-Fetch-Dest": "image"})
    assert missing.status_code == 404
    assert missing.mimetype == "text/plain"
    page = client.get(setup).get_data(as_text=True)
    assert "Staff must turn on two-factor login" in page


def test_the_setup_page_says_two_factor_is_on_only_when_it_is(client, auth):
    """Flask-Security passes primary_method as a translated name ("none" when off),
    so the page said "Two-factor login is on" to everyone."""
    create_user("alice")
    auth.login("alice", "password-alice")
    page = client.get("/tf-setup").get_data(as_text=True)
    assert "Two-factor login is on for your account" not in page
    assert "Use an authenticator app" in page


def test_members_may_use_the_site_without_two_factor(client, auth):
    create_user("alice")
    auth.login("alice", "password-alice")
    assert client.get("/account/security").status_code == 200


def test_set_up_then_log_in_with_a_code(app, client, auth):
    create_user("mod", roles=["moderator"])
    auth.login("mod", "password-mod")
    key = set_up_two_factor(client)
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.username == "mod"))
    assert user.tf_primary_method == "authenticator"
    assert key not in (user.tf_totp_secret or "")  # stored encrypted
    assert "turned on" in outbox(app)[-1].body
    assert client.get("/admin/reports/").status_code == 200

    auth.logout()
    response = auth.login("mod", "password-mod")
    assert "/tf-validate" in response.headers["Location"]
    assert not logged_in(client)
    wrong = client.post(
        "/tf-validate",
        data={"code": "000000", "csrf_token": csrf_token_from(client, "/tf-validate")},
    )
    assert wrong.status_code == 200 and "Invalid code" in page_text(wrong)
    assert not logged_in(client)
    response = client.post(
        "/tf-validate",
        data={"code": code(key), "csrf_token": csrf_token_from(client, "/tf-validate")},
    )
    assert response.status_code == 302
    assert logged_in(client)
    assert client.get("/admin/reports/").status_code == 200


def test_remember_this_browser_skips_the_code_for_30_days(app, client, fixed_clock):
    create_staff("mod")
    response = login_with_code(client, "mod", "password-mod", STAFF_KEY, remember="y")
    assert response.status_code == 302
    assert client.get_cookie("tf_validity", domain="localhost") is not None
    client.post("/logout", data={"csrf_token": csrf_token_from(client, "/login")})
    again = client.post(
        "/login",
        data={
            "identity": "mod",
            "password": "password-mod",
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )
    assert again.headers["Location"] == "/"
    assert logged_in(client)

    other = app.test_client()  # a browser without the cookie is asked for a code
    response = other.post(
        "/login",
        data={
            "identity": "mod",
            "password": "password-mod",
            "csrf_token": csrf_token_from(other, "/login"),
        },
    )
    assert "/tf-validate" in response.headers["Location"]


def test_recovery_codes_are_shown_once_and_work_once(app, client):
    create_staff("mod")
    login_with_code(client, "mod", "password-mod", STAFF_KEY)
    response = client.post(
        "/mf-recovery-codes",
        data={
            "generate_new_codes": "1",
            "csrf_token": csrf_token_from(client, "/mf-recovery-codes"),
        },
    )
    codes = re.findall(r"<li>([\w-]+)</li>", page_text(response).split('id="recovery-codes"')[1])
    assert len(codes) == 8
    later = page_text(client.get("/mf-recovery-codes?show_codes=1"))
    assert not any(c in later for c in codes)

    client.post("/logout", data={"csrf_token": csrf_token_from(client, "/login")})
    client.post(
        "/login",
        data={
            "identity": "mod",
            "password": "password-mod",
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )
    response = client.post(
        "/mf-recovery",
        data={"code": codes[0], "csrf_token": csrf_token_from(client, "/mf-recovery")},
    )
    assert response.status_code == 302
    assert logged_in(client)
    client.post("/logout", data={"csrf_token": csrf_token_from(client, "/login")})
    client.post(
        "/login",
        data={
            "identity": "mod",
            "password": "password-mod",
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )
    reused = client.post(
        "/mf-recovery",
        data={"code": codes[0], "csrf_token": csrf_token_from(client, "/mf-recovery")},
    )
    assert reused.status_code == 200
    assert not logged_in(client)


def test_turning_two_factor_off_sends_a_mail(app, client):
    create_staff("mod", roles=("member",))
    login_with_code(client, "mod", "password-mod", STAFF_KEY)
    response = client.post(
        "/tf-setup",
        data={"setup": "disable", "csrf_token": csrf_token_from(client, "/tf-setup")},
    )
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert (
        db.session.scalar(db.select(User).where(User.username == "mod")).tf_primary_method is None
    )
    assert "turned off" in outbox(app)[-1].body


@pytest.mark.settings(TWO_FACTOR_RATE_LIMIT="3 per minute")
def test_the_code_form_is_rate_limited(client):
    create_staff("mod")
    client.post(
        "/login",
        data={
            "identity": "mod",
            "password": "password-mod",
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )
    token = csrf_token_from(client, "/tf-validate")
    statuses = [
        client.post("/tf-validate", data={"code": "000000", "csrf_token": token}).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


def test_seed_demo_prints_the_staff_keys_and_they_log_in(app, client, runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split()[0]: line for line in result.output.splitlines() if "@gallery.local" in line
    }
    match = re.search(r"two-factor key: ([A-Z2-7]{32})", lines["moderator"])
    assert match and "moderator-demo-pass" in lines["moderator"]
    assert "two-factor key" in lines["admin"] and "two-factor key" in lines["operator"]
    assert "two-factor key" not in lines["alice"]
    readme = app.root_path + "/../README.md"
    with open(readme, encoding="utf-8") as handle:
        assert match.group(1) in handle.read()
    response = login_with_code(client, "moderator", "moderator-demo-pass", match.group(1))
    assert response.status_code == 302
    assert client.get("/admin/reports/").status_code == 200
