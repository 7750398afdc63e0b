"""Mail over real SMTP: an aiosmtpd server on a free port receives the confirmation
mail of a registration, with its link, as a text + HTML message."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import User
from tests.support.accounts import outbox, register
from tests.support.auth import csrf_token_from
from tests.support.mail import Inbox, free_port, smtp_server, smtp_settings

CONFIRM_LINK = re.compile(r"http://localhost/confirm/[\w.\-]+")
PORT = free_port()


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    with smtp_server(PORT) as inbox:
        yield inbox


@pytest.mark.settings(**smtp_settings(PORT))
def test_confirmation_mail_arrives_over_smtp(app, client, smtp_inbox):
    response = register(client)
    assert response.status_code == 302
    assert not outbox(app)  # nothing went to locmem

    assert len(smtp_inbox.received) == 1
    recipients, message = smtp_inbox.received[0]
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
    register(client)
    printed = capsys.readouterr().out
    assert "To: zoe@example.com" in printed
    assert CONFIRM_LINK.search(printed)
    assert "请打开这个链接确认你的邮箱地址" in printed


REFUSING_PORT = free_port()  # nothing listens here until the test starts a server


@pytest.mark.settings(**smtp_settings(REFUSING_PORT))
def test_smtp_refusing_at_registration_creates_the_account_and_resend_works(app, client):
    """A refused connection used to be a 500 (and the account was made all the same)."""
    response = register(client)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "zoe")) is not None

    with smtp_server(REFUSING_PORT) as inbox:
        resent = client.post(
            "/confirm",
            data={"email": "zoe@example.com", "csrf_token": csrf_token_from(client, "/confirm")},
        )
        assert resent.status_code in (200, 302)
    assert [recipients for recipients, _ in inbox.received] == [["zoe@example.com"]]
    assert CONFIRM_LINK.search(inbox.plain_text())
