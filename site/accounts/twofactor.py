"""Two-factor login (TOTP in an authenticator app) on Flask-Security-Too: the
TOTP secrets, the mails when it is turned on or off, and fixed keys for demo staff."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_security import tf_disabled, tf_profile_changed
from flask_security.utils import send_mail

METHOD = "authenticator"


def configure(app: Flask) -> None:
    """Fill the settings Flask-Security needs for TOTP before it is bound.

    SECURITY_TOTP_SECRETS encrypts each stored key; without its own setting it is
    derived from SECRET_KEY (changing SECRET_KEY then invalidates the stored keys).
    """
    if not app.config["SECURITY_TOTP_SECRETS"]:
        derived = hmac.new(
            str(app.config["SECRET_KEY"]).encode(), b"gallery-totp-secrets", hashlib.sha256
        ).hexdigest()
        app.config["SECURITY_TOTP_SECRETS"] = {"1": derived}


def has_two_factor(user: Any) -> bool:
    return bool(getattr(user, "tf_primary_method", None))


def set_fixed_key(user: Any, base32_key: str) -> None:
    """Give `user` this TOTP key (the demo staff's, printed by `flask seed demo`)."""
    factory = current_app.extensions["security"]._totp_factory
    user.tf_totp_secret = factory._totp(key=base32_key, format="base32").to_json()
    user.tf_primary_method = METHOD


def mail_on(sender: Flask, user: Any, method: str | None = None, **extra: Any) -> None:
    """Tell the owner that two-factor login was turned on (or its method changed)."""
    send_mail(_("Two-factor login is on"), user.email, "security/email/two_factor_on", user=user)


def mail_off(sender: Flask, user: Any, **extra: Any) -> None:
    """Tell the owner that two-factor login was turned off."""
    send_mail(_("Two-factor login is off"), user.email, "security/email/two_factor_off", user=user)


def init_app(app: Flask) -> None:
    """Mail the owner whenever two-factor login changes."""
    tf_profile_changed.connect(mail_on, app)
    tf_disabled.connect(mail_off, app)
