"""The shared layout: navbar links by permission, POST logout, flashes as alerts."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import create_user


def navbar(client) -> str:
    html = client.get("/reset").get_data(as_text=True)
    return html[html.index("<nav") : html.index("</nav>")]


@pytest.mark.parametrize(
    ("role", "confirmed", "upload", "admin"),
    [
        (None, True, False, False),
        ("member", False, False, False),
        ("member", True, True, False),
        ("moderator", True, True, True),
        ("operator", True, True, True),
        ("admin", True, True, True),
    ],
)
def test_navbar_links_follow_permissions(client, auth, role, confirmed, upload, admin):
    if role:
        create_user("someone", roles=[role], confirmed=confirmed)
        auth.login("someone", "password-someone")
    nav = navbar(client)
    assert ('href="/upload"' in nav) is upload
    assert ('href="/admin/"' in nav) is admin
    assert ("someone" in nav) is bool(role)
    assert ('href="/login"' in nav) is not bool(role)
    if role:
        logout = re.search(r'<form method="post" action="/logout">(.*?)</form>', nav, re.S)
        assert logout and 'name="csrf_token"' in logout.group(1)
        assert 'href="/logout"' not in nav


def test_flashes_are_dismissible_alerts_by_category(app, client, auth):
    create_user("alice")
    response = client.post(
        "/reset",
        data={"email": "alice@example.com", "csrf_token": auth.csrf_token()},
    )
    html = response.get_data(as_text=True)
    alert = re.search(
        r'<div class="alert alert-(\w+) alert-dismissible[^"]*"[^>]*>(.*?)</div>', html, re.S
    )
    assert alert, html
    assert alert.group(1) in {"info", "success"}
    assert "alice@example.com" in alert.group(2)
    assert 'data-bs-dismiss="alert"' in alert.group(2)
    assert "alert-dismissible" not in client.get("/login").get_data(as_text=True)  # shown once


@pytest.mark.settings(MAX_CONTENT_LENGTH=1024)
def test_413_page(client):
    response = client.post("/login", data={"identity": "x" * 4096, "password": "p"})
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)
