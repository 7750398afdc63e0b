"""The account's security pages: two-factor status, sessions ("log out everywhere")
and API tokens (create, list, revoke)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import current_user

from gallery.accounts import sessions, tokens
from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.models import utcnow
from gallery.public.blueprints import bp


def login_first() -> Any:
    """None for a logged-in member, else the redirect to the login page."""
    if current_user.is_authenticated:
        return None
    return redirect(url_for("security.login", next=request.full_path.rstrip("?")))


@bp.get("/account/security")
def account_security() -> Any:
    """Two-factor login and sessions of the current member."""
    return login_first() or render_template("account/security.html")


@bp.post("/account/sessions/end-others")
def end_other_sessions() -> Any:
    """ "Log out everywhere": every other browser and remember-me cookie is logged out."""
    if redirected := login_first():
        return redirected
    sessions.log_out_everywhere(current_user._get_current_object())
    db.session.commit()
    flash(_("Every other session of your account has ended."), "success")
    return redirect(url_for("public.account_security"))


@bp.get("/account/tokens")
def account_tokens() -> Any:
    """The member's API tokens and the form for a new one."""
    if redirected := login_first():
        return redirected
    return render_tokens()


@bp.post("/account/tokens")
def create_api_token() -> Any:
    """Create a token and show its secret, once, on the page itself (never in a redirect)."""
    if redirected := login_first():
        return redirected
    expiry = request.form.get("expires_in_days", "")
    days = int(expiry) if expiry.isdigit() else (None if not expiry else -1)
    try:
        token, secret = tokens.create_token(
            current_user._get_current_object(), request.form.get("name", ""), days
        )
    except BadRequest as error:
        return render_tokens(error=str(error.message)), 400
    db.session.commit()
    return render_tokens(new_token=token, secret=secret), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_api_token(token_id: int) -> Any:
    if redirected := login_first():
        return redirected
    token = tokens.revoke_token(current_user._get_current_object(), token_id)
    db.session.commit()
    flash(_("The token “%(name)s” was revoked; scripts using it stop working.", name=token.name))
    return redirect(url_for("public.account_tokens"))


def render_tokens(**extra: Any) -> str:
    context = {"new_token": None, "secret": None, "error": None, **extra}
    return render_template(
        "account/tokens.html",
        api_tokens=tokens.active_tokens(current_user),
        expiry_choices=tokens.EXPIRY_CHOICES,
        now=utcnow(),
        **context,
    )
