"""API tokens: members name, create, list and revoke them; `Authorization: Bearer`
authenticates a request to /api without cookies (and so without a CSRF token)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from gallery.errors import BadRequest, GalleryError, NotFound
from gallery.extensions import csrf, db
from gallery.models import ApiToken, utcnow

PREFIX = "gal_"
MAX_TOKENS = 20
EXPIRY_CHOICES = (7, 30, 90, 365)  # days; None (never) is allowed too
LAST_USE_PRECISION = dt.timedelta(minutes=1)  # last use is written at most this often


class BadToken(GalleryError):
    status, code = 401, "bad_token"
    message = _l("This API token is unknown, expired or revoked.")


def digest(secret: str) -> str:
    """The stored form of a secret: SHA-256 (a token carries 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: Any, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret (shown once, never stored). Caller commits."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise BadRequest(_("Give the token a name of 1 to 64 characters."), code="bad_name")
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES:
        raise BadRequest(_("Choose one of the offered expiry periods."), code="bad_expiry")
    if len(active_tokens(user)) >= MAX_TOKENS:
        raise BadRequest(
            _("You have %(n)s tokens already; revoke one first.", n=MAX_TOKENS), code="too_many"
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(secret),
        prefix=secret[: len(PREFIX) + 6],
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def active_tokens(user: Any) -> list[ApiToken]:
    """The member's tokens that are not revoked, newest first (expired ones included)."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def revoke_token(user: Any, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens. Caller commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("There is no such token."))
    token.revoked_at = utcnow()
    return token


def authenticate(secret: str) -> ApiToken:
    """The live token with this secret, its last use noted; BadToken otherwise."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.active
    ):
        raise BadToken()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return token


def bearer_secret() -> str | None:
    """The secret of an `Authorization: Bearer …` header on an /api request."""
    if not request.path.startswith("/api/"):
        return None
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or "-"


def authenticate_request() -> None:
    """Log the request in by its token, or check its CSRF token like any cookie request.

    The token's owner becomes current_user for this request only: nothing goes
    into the session, so no cookie is set. A request with a token needs no CSRF
    token (a browser never sends one by itself); every other unsafe request does.
    """
    secret = bearer_secret()
    if secret is None:
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)
        return
    token = authenticate(secret)
    g.api_token = token
    g._login_user = token.user  # Flask-Login's current_user for this request


def init_app(app: Flask) -> None:
    """Run the token check (and otherwise the CSRF check) before every view.

    WTF_CSRF_CHECK_DEFAULT is off in config/default.py so that Flask-WTF's own
    hook stands aside; this hook calls the same check for everything but tokens.
    """
    app.before_request(authenticate_request)
