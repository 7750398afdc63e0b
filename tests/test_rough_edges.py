"""The small things of issue 12: icons, flash messages on logout and after a reset
(which now logs in), one wording per field in both languages, the CJK font stack,
and a friendly "confirm your e-mail first" page instead of a bare 403."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery import ROOT
from tests.support.auth import csrf_token_from, login_as
from tests.support.factories import create_user

RESET_LINK = re.compile(r"http://localhost(/reset/[\w.\-]+)")


def outbox(app: Flask) -> list[Any]:
    return getattr(app.extensions["mailman"], "outbox", [])


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/favicon.ico", "image/vnd.microsoft.icon"),
        ("/apple-touch-icon.png", "image/png"),
        ("/apple-touch-icon-precomposed.png", "image/png"),
        ("/static/icons/favicon.svg", "image/svg+xml"),
        ("/static/icons/icon-192.png", "image/png"),
    ],
)
def test_icons_are_served(client: FlaskClient, path: str, mimetype: str) -> None:
    with client.get(path) as response:
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.data


def test_pages_link_the_icons(client: FlaskClient, app: Flask) -> None:
    html = text(client.get("/login"))
    assert 'rel="icon" href="/static/favicon.ico"' in html
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in html


def test_logout_says_so(client: FlaskClient, auth: Any, app: Flask) -> None:
    create_user("alice")
    auth.login()
    response = auth.logout()
    assert response.status_code == 302
    assert "You are logged out." in text(client.get("/"))


def test_reset_logs_in_with_a_clear_message(client: FlaskClient, app: Flask) -> None:
    create_user("alice")
    client.post(
        "/reset",
        data={"email": "alice@example.com", "csrf_token": csrf_token_from(client, "/reset")},
    )
    link = RESET_LINK.search(outbox(app)[-1].body)
    assert link
    response = client.post(
        link.group(1),
        data={
            "password": "brand-new-passphrase",
            "password_confirm": "brand-new-passphrase",
            "csrf_token": csrf_token_from(client, link.group(1)),
        },
        follow_redirects=True,
    )
    page = text(response)
    assert "Your new password is set, and you are logged in." in page
    assert "Please authenticate" not in page
    assert client.get("/account/profile").status_code == 200  # logged in (else 302)


@pytest.mark.parametrize(
    ("lang", "wanted", "unwanted"),
    [
        (
            "en",
            ["E-mail address", "Repeat password", "Username", "Password"],
            ["Email Address", "Retype Password", "E-mail or username"],
        ),
        ("zh", ["邮箱地址", "再次输入密码", "用户名"], ["Email Address", "Retype Password"]),
    ],
)
def test_one_wording_per_field(
    client: FlaskClient, lang: str, wanted: list[str], unwanted: list[str]
) -> None:
    client.set_cookie("lang", lang)
    pages = text(client.get("/register")) + text(client.get("/login")) + text(client.get("/reset"))
    for label in wanted:
        assert label in pages, label
    for label in unwanted:
        assert label not in pages, label
    login = text(client.get("/login"))
    assert "Remember Me" not in login  # the login form's own "Remember this browser…"
    assert ("E-mail address or username" if lang == "en" else "邮箱地址或用户名") in login


def test_css_has_a_cjk_font_stack() -> None:
    css = (ROOT / "site" / "static" / "css" / "site.css").read_text()
    stack = re.search(r"--bs-body-font-family:([^;]+);", css)
    assert stack
    fonts = stack.group(1)
    for font in ('"PingFang SC"', '"Hiragino Sans GB"', '"Microsoft YaHei"', '"Noto Sans CJK SC"'):
        assert font in fonts


def test_unconfirmed_member_gets_a_friendly_page_with_resend(
    client: FlaskClient, app: Flask
) -> None:
    newbie = create_user("newbie", confirmed=False)
    login_as(client, newbie)
    response = client.get("/upload")
    assert response.status_code == 403
    page = text(response)
    assert "data-confirm-first" in page and "newbie@example.com" in page
    assert (
        "/confirm" not in re.sub(r'action="[^"]*"', "", page).split("<main")[1].split("</main>")[0]
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sent = len(outbox(app))
    response = client.post("/confirm", data={"email": "newbie@example.com", "csrf_token": token})
    assert response.status_code in (200, 302)
    assert len(outbox(app)) == sent + 1
    # the API keeps its JSON answer
    response = client.post("/api/images/1/like", headers={"X-CSRFToken": token})
    assert response.status_code == 403 and response.json["error"] == "not_confirmed"
