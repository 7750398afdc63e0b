"""Mail over real SMTP: an aiosmtpd server on a free port receives the confirmation
mail of a registration, with its link, as a text + HTML message."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import User
from tests.support.auth import csrf_token_from

CONFIRM_LINK = re.compile(r"http://localhost/confirm/[\w.\-]+")


class Inbox:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = free_port()


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.mark.settings(
    MAIL_BACKEND="smtp",
    MAIL_SERVER="127.0.0.1",
    MAIL_PORT=PORT,
    MAIL_USE_TLS=False,
    MAIL_USE_SSL=False,
    MAIL_TIMEOUT=5,
)
def test_confirmation_mail_arrives_over_smtp(app, client, smtp_inbox):
    response = client.post(
        "/register",
        data={
            "username": "zoe",
            "email": "zoe@example.com",
            "password": "a-long-passphrase",
            "password_confirm": "a-long-passphrase",
            "csrf_token": csrf_token_from(client, "/register"),
        },
    )
    assert response.status_code == 302
    assert not getattr(app.extensions["mailman"], "outbox", [])  # nothing went to locmem

    assert len(smtp_inbox.messages) == 1
    recipients, message = smtp_inbox.messages[0]
    assert recipients == ["zoe@example.com"]
    assert message["To"] == "zoe@example.com"
    assert "no-reply@gallery.local" in message["From"]
    assert message["Subject"] == app.config["SECURITY_EMAIL_SUBJECT_REGISTER"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = CONFIRM_LINK.search(plain)
    assert link, plain
    assert f'href="{link.group(0)}"' in html

    client.post("/logout", data={"csrf_token": csrf_token_from(client, "/reset")})
    confirmed = client.get(link.group(0).removeprefix("http://localhost"))
    assert confirmed.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "zoe"))
    assert user.confirmed_at is not None


@pytest.mark.settings(MAIL_BACKEND="console")
def test_console_backend_prints_a_readable_link(app, client, capsys):
    """`make run` has no mail server: the mail, link included, goes to the console."""
    client.set_cookie("lang", "zh")  # non-ASCII text must not hide the link in base64
    client.post(
        "/register",
        data={
            "username": "zoe",
            "email": "zoe@example.com",
            "password": "a-long-passphrase",
            "password_confirm": "a-long-passphrase",
            "csrf_token": csrf_token_from(client, "/register"),
        },
    )
    printed = capsys.readouterr().out
    assert "To: zoe@example.com" in printed
    assert CONFIRM_LINK.search(printed)
    assert "请打开这个链接确认你的邮箱地址" in printed


REFUSING_PORT = free_port()  # nothing listens here until the test starts a server


@pytest.mark.settings(
    MAIL_BACKEND="smtp",
    MAIL_SERVER="127.0.0.1",
    MAIL_PORT=REFUSING_PORT,
    MAIL_USE_TLS=False,
    MAIL_USE_SSL=False,
    MAIL_TIMEOUT=5,
)
def test_smtp_refusing_at_registration_creates_the_account_and_resend_works(app, client):
    """A refused connection used to be a 500 (and the account was made all the same)."""
    response = client.post(
        "/register",
        data={
            "username": "zoe",
            "email": "zoe@example.com",
            "password": "a-long-passphrase",
            "password_confirm": "a-long-passphrase",
            "csrf_token": csrf_token_from(client, "/register"),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "zoe")) is not None

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=REFUSING_PORT)
    controller.start()
    try:
        resent = client.post(
            "/confirm",
            data={"email": "zoe@example.com", "csrf_token": csrf_token_from(client, "/confirm")},
        )
        assert resent.status_code in (200, 302)
    finally:
        controller.stop()
    assert [recipients for recipients, _ in inbox.messages] == [["zoe@example.com"]]
    assert CONFIRM_LINK.search(inbox.messages[0][1].get_body(("plain",)).get_content())
