"""Two-factor helpers for tests: codes computed from a key, staff with a fixed key."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from gallery.accounts import twofactor
from gallery.extensions import db
from tests.support.auth import csrf_token_from
from tests.support.factories import create_user

STAFF_KEY = "STAFFTESTTOTPKEYSTAFFTESTTOTPKEY"
KEY_ON_PAGE = re.compile(r'id="totp-key"[^>]*>([A-Z2-7 -]+)<')


def code(key: str) -> str:
    """The code an authenticator app shows now for `key` (spaces and dashes allowed)."""
    return pyotp.TOTP(re.sub(r"[ -]", "", key)).now()


def create_staff(username: str, roles: tuple[str, ...] = ("moderator",), key: str = STAFF_KEY):
    """A confirmed staff member whose two-factor key is `key`."""
    user = create_user(username, roles=roles)
    twofactor.set_fixed_key(user, key)
    db.session.commit()
    return user


def login_with_code(client: Any, identity: str, password: str, key: str, **form: Any) -> Any:
    """Password first, then the code: the answer of the code form."""
    token = csrf_token_from(client, "/login")
    response = client.post(
        "/login", data={"identity": identity, "password": password, "csrf_token": token, **form}
    )
    assert response.status_code == 302 and "/tf-validate" in response.headers["Location"], (
        response.status_code,
        response.headers.get("Location"),
    )
    return client.post(
        "/tf-validate",
        data={"code": code(key), "csrf_token": csrf_token_from(client, "/tf-validate")},
    )
