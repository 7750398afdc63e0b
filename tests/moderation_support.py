"""Helpers shared by the moderation, reports and admin tests."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.testing import FlaskClient

from tests.factories import csrf_token_from


def login_as(client: FlaskClient, user: Any) -> None:
    """Start a session for `user` the way Flask-Login stores it (no form round trip)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.fs_uniquifier
        session["_fresh"] = True
        session["fs_cc"] = "set"
    # The app fixture keeps one app context open, so `g` outlives a request and
    # Flask-Login would go on using the user it cached there.
    g.pop("_login_user", None)


def csrf(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page's <meta> tag."""
    return csrf_token_from(client, "/no-such-page")  # the 404 page carries the meta tag


def post_json(client: FlaskClient, path: str, body: Any, token: str | None = None) -> Any:
    """POST JSON with the X-CSRFToken header (None: read a fresh token first)."""
    headers = {"X-CSRFToken": token if token is not None else csrf(client)}
    return client.post(path, json=body, headers=headers)
