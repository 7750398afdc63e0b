"""Accounts: Flask-Security-Too set-up, the login form, the member role on sign-up."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_security import LoginForm, SQLAlchemyUserDatastore, user_registered
from flask_security.datastore import UserDatastore
from wtforms import StringField
from wtforms.validators import DataRequired


class IdentityLoginForm(LoginForm):
    """One field that takes an e-mail address or a username."""

    identity = StringField(
        _l("E-mail or username"),
        validators=[DataRequired(message=_l("Enter your e-mail address or username."))],
        render_kw={"autocomplete": "username"},
    )
    email = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "username" in self._fields:
            del self["username"]

    def validate(self, **kwargs: Any) -> bool:
        from flask_security import current_app

        value = (self.identity.data or "").strip()
        datastore = current_app.extensions["security"].datastore
        self.ifield = self.identity
        if value:
            attribute = "email" if "@" in value else "username"
            self.user = datastore.find_user(case_insensitive=True, **{attribute: value})
        return super().validate(**kwargs)


def give_member_role(sender: Flask, user: Any, **_: Any) -> None:
    """Every new account starts as a member (it must still confirm its e-mail)."""
    datastore: UserDatastore = sender.extensions["security"].datastore
    role = datastore.find_or_create_role("member")
    datastore.add_role_to_user(user, role)


def init_app(app: Flask) -> None:
    """Bind Flask-Security-Too, the member-role signal and the login rate limit."""
    from gallery.extensions import db, limiter, security
    from gallery.models import Role, User

    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore, login_form=IdentityLoginForm)
    user_registered.connect(give_member_role, app)
    login_view = app.view_functions["security.login"]
    app.view_functions["security.login"] = limiter.limit(
        lambda: app.config["LOGIN_RATE_LIMIT"], methods=["POST"]
    )(login_view)
