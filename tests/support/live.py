"""The e2e live server and browser helpers (the fixtures are in tests/e2e/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from gallery.extensions import db
from tests.support.factories import create_user
from tests.support.mail import free_port as free_port  # the e2e tests take it from here

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unique(prefix: str = "user") -> str:
    """A username nobody else in this session uses (the live database is shared)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class LiveServer:
    """A running app: its base URL, the app object and helpers that use its database."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of a path on this server."""
        return self.url + path

    @contextmanager
    def app_context(self) -> Iterator[Any]:
        """An app context whose session is removed afterwards (no leaks between threads)."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def create_user(self, username: str | None = None, **kwargs: Any) -> dict[str, str]:
        """Create a user in the live database; returns username, email and password."""
        username = username or unique()
        with self.app_context():
            user = create_user(username, **kwargs)
            email = user.email
        password = kwargs.get("password") or f"password-{username}"
        return {"username": username, "email": email, "password": password}

    def outbox(self) -> list[Any]:
        """The mails sent so far (Flask-Mailman's locmem backend keeps them on the app)."""
        return getattr(self.app.extensions["mailman"], "outbox", [])

    def mails_to(self, address: str) -> list[Any]:
        return [mail for mail in self.outbox() if address in mail.to]


def forget_browser(page: Any) -> None:
    """Leave the page, then drop every cookie: a fetch the page still had running could
    otherwise answer after the cookies were cleared and set the session cookie again."""
    page.goto("about:blank")
    page.context.clear_cookies()


def login_through_form(page: Any, identity: str, password: str, next_path: str = "") -> None:
    """Log in with the real login form and wait until the browser has left /login."""
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=identity]", identity)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[name=login_user_form] [type=submit]")
