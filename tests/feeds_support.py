"""Helpers shared by the feeds, API, hot, picks, views and cache tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import event

from gallery.extensions import db
from gallery.models import Image, User, utcnow
from tests.factories import create_image, create_user, csrf_token_from


def make_images(
    author: User,
    count: int,
    *,
    start: dt.datetime | None = None,
    step: dt.timedelta = dt.timedelta(seconds=1),
    **fields: Any,
) -> list[Image]:
    """`count` images `step` apart (newest last), committed."""
    start = start or utcnow() - dt.timedelta(hours=1)
    return [
        create_image(author, created_at=start + step * i, caption=f"caption {i}", **fields)
        for i in range(count)
    ]


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Record every SQL statement run on the app's engine."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


class Member:
    """A logged-in test client that sends JSON with the CSRF token."""

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


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]
