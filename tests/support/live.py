"""The e2e live server and browser helpers (the fixtures are in tests/e2e/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

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


BODY_KEY = "gallery.test.body"


class ClosingRequestHandler(WSGIRequestHandler):
    """Werkzeug's development server skips closing a response when the browser drops
    the connection while it drains the request (a page left while a thumbnail was
    still loading): the open file is then reported as a ResourceWarning in whatever
    test runs next. This handler closes it."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        body = (environ or {}).pop(BODY_KEY, None)
        if body is not None and hasattr(body, "close"):
            body.close()


def live_wsgi_server(app: Flask, port: int) -> BaseWSGIServer:
    """A threaded development server for the browser tests on 127.0.0.1:`port`."""

    def remembering(environ: dict[str, Any], start_response: Any) -> Any:
        body = app(environ, start_response)
        environ[BODY_KEY] = body
        return body

    return make_server(
        "127.0.0.1", port, remembering, threaded=True, request_handler=ClosingRequestHandler
    )


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
