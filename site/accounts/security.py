"""Accounts: Flask-Security-Too set-up, the login form, the member role on sign-up,
and the rate limits of the account forms."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, flash, g, request, request_started, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_out
from flask_security import LoginForm, SQLAlchemyUserDatastore, user_registered
from flask_security.datastore import UserDatastore
from flask_security.mail_util import MailUtil
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from gallery.accounts import sessions, tokens, twofactor
from gallery.accounts.passwords import GalleryPasswordUtil
from gallery.accounts.registration import (
    GalleryRegisterForm,
    GalleryUsernameUtil,
    same_outcome_for_taken_addresses,
)
from gallery.extensions import db, limiter, security
from gallery.i18n import forget_previous_locale
from gallery.jobs import queue as jobs
from gallery.limits import config_limit
from gallery.models import Role, User
from gallery.urls import is_local_path


class IdentityLoginForm(LoginForm):
    """One field that takes an e-mail address or a username.

    Flask-Security's login view turns the errors of the fields named `email`,
    `username` and `password` into one generic message (so a reply never tells
    whether an account exists); both names point at `identity` for that reason.
    """

    identity = StringField(
        _l("E-mail address or username"),
        validators=[DataRequired(message=_l("Enter your e-mail address or username."))],
        render_kw={"autocomplete": "username"},
    )

    remember = BooleanField(_l("Remember this browser for 30 days"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("email", "username"):
            self._fields.pop(name, None)
            setattr(self, name, self.identity)

    def validate_next(self, field: Any) -> None:
        """A foreign `next` is dropped quietly: the login still works and lands on '/'."""
        if field.data and not is_local_path(field.data):
            field.data = ""

    def validate(self, **kwargs: Any) -> bool:
        value = (self.identity.data or "").strip()
        datastore = current_app.extensions["security"].datastore
        self.ifield = self.identity
        if value:
            attribute = "email" if "@" in value else "username"
            self.user = datastore.find_user(case_insensitive=True, **{attribute: value})
        if super().validate(**kwargs):
            return True
        if self.user_authenticated:
            # The password was right, so the real reason (account disabled) may be told;
            # as a form error it escapes the view's generic-message treatment.
            self.form_errors.extend(self.identity.errors)
            self.identity.errors = []
        return False


class QueuedMailUtil(MailUtil):
    """Flask-Security's mails go through the job queue: no request waits on SMTP,
    and a refused send is retried with back-off (gallery.jobs.tasks.send_mail)."""

    def send_mail(
        self,
        template: str,
        subject: str,
        recipient: Any,
        sender: Any,
        body: str | None,
        html: str | None,
        **kwargs: Any,
    ) -> None:
        message = {
            "template": template,
            "subject": str(subject),
            "recipient": _address(recipient),
            "sender": _address(sender),
            "body": body,
            "html": html,
        }
        jobs.enqueue("send-mail", message=message, key=uuid.uuid4().hex)


def _address(value: Any) -> str:
    """ "Name <address>" from Flask-Security's (name, address) pairs; lazy strings made plain."""
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]} <{value[1]}>"
    return str(value)


def give_member_role(sender: Flask, user: Any, **_: Any) -> None:
    """Every new account starts as a member (it must still confirm its e-mail)."""
    datastore: UserDatastore = sender.extensions["security"].datastore
    role = datastore.find_or_create_role("member")
    datastore.add_role_to_user(user, role)


def say_goodbye(sender: Flask, **extra: Any) -> None:
    """Logging out (the view, not a logout done by the code, e.g. after registration,
    which must look like any other outcome) shows that it worked."""
    if request.endpoint == "security.logout":
        flash(_("You are logged out. See you soon!"), "info")


def forget_previous_user(sender: Flask, **_: Any) -> None:
    """Load the user afresh for every request.

    Flask-Login keeps the user in `g`, and `g` outlives a request whenever an app
    context was already pushed (the test suite, CLI code making requests); a stale
    user there would skip Flask-Security's session checks. The request's API token
    and CSRF state (Flask-WTF keeps the token in `g`) are forgotten likewise.
    """
    for name in ("_login_user", "api_token", "csrf_valid", sender.config["WTF_CSRF_FIELD_NAME"]):
        g.pop(name, None)


def keep_account_redirects_local(response: Response) -> Response:
    """Flask-Security's pages redirect to local paths only, whatever `next` said.

    Flask-Security checks `next` itself, but lets through forms that some browsers
    turn into another host ('/%5Cevil.com') and rewrites others ('///evil.com'
    becomes '/evil.com'); gallery.urls is stricter, and a foreign `next` means home.
    """
    if request.blueprint != "security" or response.location is None:
        return response
    asked = [value for value in (request.args.get("next"), request.form.get("next")) if value]
    if not is_local_path(response.location) or not all(map(is_local_path, asked)):
        response.location = "/"
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Security-Too with our forms and rules, then sessions, two-factor,
    API tokens and the rate limits of the account forms."""
    # Flask-Security's own Chinese catalogue first, then ours on top of it
    # (site/translations/zh/LC_MESSAGES/flask_security.po fills its gaps).
    app.config.setdefault(
        "SECURITY_I18N_DIRNAME", ["builtin", str(Path(app.root_path) / "translations")]
    )
    twofactor.configure(app)
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    # Security() takes these classes only in its constructor, and the unbound object
    # in gallery.extensions cannot import ours; init_app instantiates them per app.
    security._password_util_cls = GalleryPasswordUtil
    security._username_util_cls = GalleryUsernameUtil
    security._mail_util_cls = QueuedMailUtil  # mails are jobs: sent and retried by workers
    with warnings.catch_warnings():
        # SECURITY_AUTO_LOGIN_AFTER_RESET is deprecated upstream but still the one path
        # that logs in after a reset *through* two-factor when that is on (tf_enter).
        warnings.filterwarnings("ignore", "The auto-login after successful password reset")
        security.init_app(
            app, datastore, login_form=IdentityLoginForm, register_form=GalleryRegisterForm
        )
    user_registered.connect(give_member_role, app)
    user_logged_out.connect(say_goodbye, app)
    request_started.connect(forget_previous_user, app)
    request_started.connect(forget_previous_locale, app)
    app.after_request(keep_account_redirects_local)
    sessions.init_app(app)
    twofactor.init_app(app)
    tokens.init_app(app)
    views = app.view_functions
    views["security.register"] = same_outcome_for_taken_addresses(views["security.register"])
    for endpoint, by_address in RATE_LIMITED.items():
        if endpoint in views:
            views[endpoint] = rate_limited(views[endpoint], endpoint, by_address)


#: account views limited on POST: endpoint → what counts "per address" (None: client only)
RATE_LIMITED: dict[str, Callable[[], str | None] | None] = {}


def form_address() -> str | None:
    """The e-mail address (or username) a form is about, folded, for per-address limits."""
    value = request.form.get("email") or request.form.get("identity") or ""
    return value.strip().casefold() or None


def two_factor_account() -> str | None:
    """The account whose code is being entered (Flask-Security keeps it in the session)."""
    user_id = session.get("tf_user_id")
    return str(user_id) if user_id else None


RATE_LIMITED.update(
    {
        "security.login": None,
        "security.register": form_address,
        "security.forgot_password": form_address,
        "security.send_confirmation": form_address,
        "security.two_factor_token_validation": two_factor_account,
        "security.mf_recovery": two_factor_account,
    }
)
LIMIT_SETTINGS = {
    "security.login": "LOGIN_RATE_LIMIT",
    "security.two_factor_token_validation": "TWO_FACTOR_RATE_LIMIT",
    "security.mf_recovery": "TWO_FACTOR_RATE_LIMIT",
}


def rate_limited(
    view: Callable[..., Any], endpoint: str, by_address: Callable[[], str | None] | None
) -> Callable[..., Any]:
    """Count every POST to the view per client and (when it names one) per address.

    The limits live in the shared limiter storage (Redis across nodes). Each is
    entered as a context manager with its own scope: Flask-Limiter registers it
    under this code location once, whereas decorating the view would add one more
    limit for every app the process creates (the test suite creates many).
    """
    setting = LIMIT_SETTINGS.get(endpoint, "ACCOUNT_RATE_LIMIT")
    scope = endpoint.removeprefix("security.")

    @wraps(view)
    def limited_view(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            with limiter.limit(config_limit(setting), scope=f"{scope}:client"):
                pass
            address = by_address() if by_address else None
            if address:
                with limiter.limit(
                    config_limit(f"{setting}_PER_ADDRESS"),
                    scope=f"{scope}:address",
                    key_func=lambda: f"address:{address}",
                ):
                    pass
        return view(*args, **kwargs)

    return limited_view
