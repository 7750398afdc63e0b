"""Account forms in tests: registering through /register, reading field errors and
page text, the mail outbox, and whether a client is logged in."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_security import current_user

from tests.support.auth import csrf_token_from

FIELD_ERRORS = re.compile(r"invalid-feedback[^>]*>\s*([^<]+?)\s*<")


def outbox(app: Flask) -> list[Any]:
    return getattr(app.extensions["mailman"], "outbox", [])


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def field_errors(response: Any) -> list[str]:
    return FIELD_ERRORS.findall(page_text(response))


def register(
    client: FlaskClient,
    username: str = "zoe",
    email: str = "zoe@example.com",
    password: str = "a-long-passphrase",
) -> Any:
    return client.post(
        "/register",
        data={
            "username": username,
            "email": email,
            "password": password,
            "password_confirm": password,
            "csrf_token": csrf_token_from(client, "/register"),
        },
    )


def logged_in(client: FlaskClient) -> bool:
    """Whether the client's session is logged in (asked of a page that is always there)."""
    with client:
        client.get("/reset")
        return bool(current_user.is_authenticated)
