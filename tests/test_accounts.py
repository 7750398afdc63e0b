"""Accounts: registration, confirmation, login by username or e-mail, logout,
generic errors, the rate limit, unconfirmed and deactivated users, CSRF."""

from __future__ import annotations

import re

import pytest
from flask_security import current_user
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import User
from gallery.roles import permission_required
from tests.support.accounts import field_errors, outbox, page_text, register
from tests.support.auth import csrf_token_from
from tests.support.factories import create_user

CONFIRM_LINK = re.compile(r"http://localhost(/confirm/[\w.\-]+)")
RESET_LINK = re.compile(r"http://localhost(/reset/[\w.\-]+)")


def test_register_confirm_login_logout(app, client, auth):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zoe"))
    assert user is not None and user.confirmed_at is None
    assert [role.name for role in user.roles] == ["member"]

    mails = outbox(app)
    assert len(mails) == 1
    mail = mails[0]
    assert mail.to == ["zoe@example.com"]
    link = CONFIRM_LINK.search(mail.body)
    assert link, mail.body
    html_part = dict((kind, body) for body, kind in mail.alternatives).get("text/html", "")
    assert link.group(1) in html_part

    auth.logout()
    response = client.get(link.group(1))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).confirmed_at is not None

    for identity in ("zoe", "Zoe", "zoe@example.com", "ZOE@Example.com"):
        response = auth.login(identity, "a-long-passphrase")
        assert response.status_code == 302, identity
        assert response.headers["Location"] == "/"
        with client:
            client.get("/reset")
            assert current_user.is_authenticated and current_user.username == "zoe"
        response = auth.logout()
        assert response.status_code == 302
        with client:
            client.get("/reset")
            assert not current_user.is_authenticated


def test_registration_messages_a_person_understands(client):
    response = client.post(
        "/register",
        data={
            "username": "z",
            "email": "not-an-address",
            "password": "short",
            "password_confirm": "different",
            "csrf_token": csrf_token_from(client, "/register"),
        },
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert len(errors) >= 3, errors
    text = " ".join(errors)
    assert "Username" in text and "characters" in text
    assert "email" in text.lower()
    assert "match" in text.lower() or "Password" in text


def test_register_taken_address_looks_exactly_like_a_free_one(app, client):
    """Audit: a free address ended logged in, a taken one did not. Now both end on
    the same redirect, logged out, with the same page text; only the mail differs."""
    create_user("alice")
    outcomes = []
    for username, email in (("alicia", "alice@example.com"), ("zoe", "zoe@example.com")):
        response = register(client, username=username, email=email)
        with client:
            page = client.get(response.headers["Location"])
            outcomes.append(
                (
                    response.status_code,
                    response.headers["Location"],
                    current_user.is_authenticated,
                    page_text(page).replace(email, "EMAIL"),
                )
            )
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:3] == (302, "/", False)
    assert db.session.scalar(select(User).where(User.username == "alicia")) is None
    mails = {mail.to[0]: mail for mail in outbox(app)}
    assert "/reset" in mails["alice@example.com"].body  # you already have an account
    assert CONFIRM_LINK.search(mails["zoe@example.com"].body)


def test_register_taken_username_is_said_next_to_the_field(app, client):
    """Usernames are public (/u/<name>), so a taken one is said plainly, with the
    typed values kept; no mail is sent."""
    create_user("alice")
    response = register(client, username="Alice", email="other@example.com")
    assert response.status_code == 200
    text = page_text(response)
    errors = re.findall(r"invalid-feedback[^>]*>\s*([^<]+?)\s*<", text)
    assert any("Alice" in error and "already" in error for error in errors), errors
    assert 'value="Alice"' in text and 'value="other@example.com"' in text
    assert outbox(app) == []
    assert db.session.scalar(select(User).where(User.email == "other@example.com")) is None


def test_unconfirmed_user_can_ask_for_a_new_confirmation_mail(app, client, auth):
    create_user("newbie", confirmed=False)
    auth.login("newbie", "password-newbie")
    page = client.get("/reset")
    assert 'href="/confirm"' in page_text(page)  # the banner links to the resend form
    assert 'value="newbie@example.com"' in page_text(client.get("/confirm"))  # pre-filled
    response = client.post(
        "/confirm",
        data={"email": "newbie@example.com", "csrf_token": auth.csrf_token()},
    )
    assert response.status_code in (200, 302)
    mails = outbox(app)
    assert len(mails) == 1 and mails[0].to == ["newbie@example.com"]
    assert CONFIRM_LINK.search(mails[0].body)


def members_only_route(app):
    """A members-only JSON endpoint added to the test app."""

    @app.post("/api/test/members-only")
    @permission_required("like")
    def members_only() -> dict[str, bool]:
        return {"ok": True}


@pytest.mark.fresh_app  # adds a route
def test_unconfirmed_user_gets_403_json_with_a_clear_message(app, client, auth):
    members_only_route(app)
    create_user("newbie", confirmed=False)
    create_user("alice")
    headers = {"X-CSRFToken": auth.csrf_token()}

    response = client.post("/api/test/members-only", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "not_logged_in"

    auth.login("newbie", "password-newbie")
    response = client.post("/api/test/members-only", headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "not_confirmed"
    assert "confirm your e-mail" in body["message"]
    assert "/confirm" in body["message"]

    auth.logout()
    auth.login("alice", "password-alice")
    response = client.post("/api/test/members-only", headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 200 and response.get_json() == {"ok": True}


MEMBERS_ONLY = [
    ("post", "/api/images/{id}/like", None),
    ("delete", "/api/images/{id}/like", None),
    ("post", "/api/images/{id}/comments", {"body": "hello"}),
    ("post", "/api/reports", {"target": "image", "id": "{id}", "reason": "spam"}),
    ("post", "/api/images", None),
]


@pytest.mark.parametrize(("method", "path", "body"), MEMBERS_ONLY)
def test_unconfirmed_user_is_refused_by_every_members_only_endpoint(
    app, client, auth, method, path, body
):
    from tests.support.factories import create_image

    image = create_image(create_user("alice"))
    create_user("newbie", confirmed=False)
    auth.login("newbie", "password-newbie")
    if body and body.get("id") == "{id}":
        body = {**body, "id": image.id}
    response = getattr(client, method)(
        path.format(id=image.id), json=body, headers={"X-CSRFToken": auth.csrf_token()}
    )
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.get_json()["error"] == "not_confirmed"
    assert "/confirm" in response.get_json()["message"]
    assert image.like_count == 0 and image.comment_count == 0


def test_wrong_password_and_unknown_user_get_the_same_answer(client, auth):
    create_user("alice")
    answers = []
    for identity, password in [
        ("alice", "wrong"),
        ("alice@example.com", "wrong"),
        ("nobody", "wrong"),
        ("nobody@example.com", "wrong"),
    ]:
        response = auth.login(identity, password)
        assert response.status_code == 200
        html = page_text(response)
        errors = re.findall(r"(?:alert-danger|invalid-feedback)[^>]*>\s*([^<]+?)\s*<", html)
        answers.append(errors)
    assert answers[0], "an error is shown"
    assert all(errors == answers[0] for errors in answers), answers


def test_password_reset_does_not_reveal_which_addresses_exist(app, client):
    create_user("alice")
    answers = []
    for email in ("alice@example.com", "nobody@example.com"):
        response = client.post(
            "/reset",
            data={"email": email, "csrf_token": csrf_token_from(client, "/reset")},
            follow_redirects=True,
        )
        html = re.sub(r'name="csrf_token"[^>]*|content="[^"]*"', "", page_text(response))
        html = html.replace(email, "<typed address>")
        answers.append((response.status_code, html))
    assert answers[0] == answers[1]
    assert [mail.to for mail in outbox(app)] == [["alice@example.com"]]


def test_password_reset_and_change(app, client, auth):
    create_user("alice")
    client.post(
        "/reset",
        data={"email": "alice@example.com", "csrf_token": csrf_token_from(client, "/reset")},
    )
    link = RESET_LINK.search(outbox(app)[-1].body)
    assert link
    token_page = client.get(link.group(1))
    assert token_page.status_code == 200
    response = client.post(
        link.group(1),
        data={
            "password": "brand-new-passphrase",
            "password_confirm": "brand-new-passphrase",
            "csrf_token": csrf_token_from(client, link.group(1)),
        },
    )
    assert response.status_code == 302
    assert outbox(app)[-1].to == ["alice@example.com"]  # the reset notice
    auth.logout()
    assert auth.login("alice", "password-alice").status_code == 200
    assert auth.login("alice", "brand-new-passphrase").status_code == 302

    response = client.post(
        "/change",
        data={
            "password": "brand-new-passphrase",
            "new_password": "third-passphrase-ok",
            "new_password_confirm": "third-passphrase-ok",
            "csrf_token": csrf_token_from(client, "/change"),
        },
    )
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == "/", response.headers["Location"]
    assert "password" in outbox(app)[-1].subject.lower()
    auth.logout()
    assert auth.login("alice", "third-passphrase-ok").status_code == 302


@pytest.mark.settings(LOGIN_RATE_LIMIT="3 per minute")
def test_login_rate_limit_returns_429(client, auth):
    create_user("alice")
    for _ in range(3):
        assert auth.login("alice", "wrong").status_code == 200
    response = auth.login("alice", "password-alice")
    assert response.status_code == 429
    assert "Too many requests" in page_text(response)
    json_response = client.post(
        "/login",
        json={"identity": "alice", "password": "x"},
        headers={"X-CSRFToken": auth.csrf_token(), "Accept": "application/json"},
    )
    assert json_response.status_code == 429
    assert json_response.get_json()["error"] == "too_many_requests"


def test_deactivated_user_cannot_log_in(client, auth):
    create_user("mallory", active=False)
    response = auth.login("mallory", "password-mallory")
    assert response.status_code == 200
    assert "Account is disabled" in page_text(response)  # told only with the right password
    assert "Account is disabled" not in page_text(auth.login("mallory", "wrong"))
    with client:
        client.get("/reset")
        assert not current_user.is_authenticated


def test_deactivated_user_loses_a_running_session(app, client, auth):
    user = create_user("mallory")
    assert auth.login("mallory", "password-mallory").status_code == 302
    user.active = False
    db.session.commit()
    with client:
        client.get("/reset")
        assert not current_user.is_authenticated


@pytest.mark.parametrize("path", ["/login", "/register", "/reset", "/confirm", "/logout"])
def test_post_without_csrf_token_is_refused(client, path):
    create_user("alice")
    response = client.post(
        path, data={"identity": "alice", "password": "password-alice", "email": "alice@example.com"}
    )
    assert response.status_code == 400
    assert "security token" in page_text(response)


def test_logout_is_post_only(client, auth):
    create_user("alice")
    auth.login()
    assert client.get("/logout").status_code == 405
    with client:
        client.get("/reset")
        assert current_user.is_authenticated


@pytest.mark.parametrize(
    "path", ["/login", "/register", "/reset", "/confirm", "/login?next=/u/alice"]
)
def test_account_pages_use_the_site_layout(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = page_text(response)
    assert 'class="navbar' in html and "bootstrap.min.css" in html
    assert "fs-div" not in html  # Flask-Security's unstyled markup is not used


@pytest.mark.parametrize("path", ["/change", "/verify", "/confirm"])
def test_logged_in_account_pages_use_the_site_layout(client, auth, path):
    create_user("alice")
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    html = page_text(response)
    assert 'class="navbar' in html and "alice" in html
    assert 'name="password"' in html or 'name="email"' in html
    assert "fs-div" not in html


def test_unconfirmed_user_can_browse(client, auth):
    create_user("newbie", confirmed=False)
    auth.login("newbie", "password-newbie")
    for path in ("/", "/u/newbie"):
        assert client.get(path).status_code == 200, path


def test_production_hashes_passwords_with_argon2(monkeypatch, tmp_path):
    from flask_security import hash_password, verify_password

    from gallery import create_app

    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.sqlite3"})
    assert app.config["SECURITY_PASSWORD_HASH"] == "argon2"
    with app.app_context():
        hashed = hash_password("correct horse")
        assert hashed.startswith("$argon2")
        assert verify_password("correct horse", hashed)
        assert not verify_password("wrong horse", hashed)


def test_unconfirmed_user_sees_how_to_confirm_on_the_upload_page(client, auth):
    create_user("newbie", confirmed=False)
    auth.login("newbie", "password-newbie")
    response = client.get("/upload")
    assert response.status_code == 403
    html = page_text(response)
    assert "Please confirm your e-mail address" in html
    # a friendly page with the resend button (a form posting to /confirm), not a bare 403
    assert 'action="/confirm"' in html and "data-resend" in html
