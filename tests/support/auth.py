"""Sessions in tests: CSRF tokens, logging in through the form or straight into the
session, and a logged-in client that sends JSON with the CSRF header."""

from __future__ import annotations

import re
from typing import Any

from flask import g
from flask.testing import FlaskClient

from tests.support.factories import create_user

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token_from(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read the CSRF token from its <meta> tag."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, f"no csrf meta tag on {path}"
    return match.group(1)


def csrf(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page's <meta> tag."""
    return csrf_token_from(client, "/no-such-page")  # the 404 page carries the meta tag


def post_json(client: FlaskClient, path: str, body: Any, token: str | None = None) -> Any:
    """POST JSON with the X-CSRFToken header (None: read a fresh token first)."""
    headers = {"X-CSRFToken": token if token is not None else csrf(client)}
    return client.post(path, json=body, headers=headers)


def login_as(client: FlaskClient, user: Any) -> None:
    """Start a session for `user` the way Flask-Login stores it (no form round trip)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.fs_uniquifier
        session["_fresh"] = True
        session["fs_cc"] = "set"
    # The app fixture keeps one app context open, so `g` outlives a request and
    # Flask-Login would go on using the user it cached there.
    g.pop("_login_user", None)


class AuthActions:
    """Log in and out through the real forms (CSRF disabled only via the test token)."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def csrf_token(self) -> str:
        return csrf_token_from(self._client)

    def login(self, identity: str = "alice", password: str = "password-alice") -> Any:
        return self._client.post(
            "/login",
            data={"identity": identity, "password": password, "csrf_token": self.csrf_token()},
        )

    def logout(self) -> Any:
        return self._client.post("/logout", data={"csrf_token": self.csrf_token()})


class Member:
    """A new user, logged in through the form: a client that sends JSON with the CSRF token."""

    def __init__(self, client: FlaskClient, username: str, **user_fields: Any) -> None:
        self.user = create_user(username, **user_fields)
        self.client = client
        # The test's app context spans requests, so Flask-WTF's per-request token
        # cache in `g` would leak from another client's session.
        g.pop("csrf_token", None)
        token = csrf_token_from(client)
        response = client.post(
            "/login",
            data={"identity": username, "password": f"password-{username}", "csrf_token": token},
        )
        assert response.status_code == 302, response.status_code
        self.token = token

    def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=payload, headers={"X-CSRFToken": self.token}, **kwargs)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers={"X-CSRFToken": self.token})
