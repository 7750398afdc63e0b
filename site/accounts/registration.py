"""Registration: usernames (public, so their errors are told next to the field),
look-alike names refused, typed values kept, and one outcome for taken e-mails."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_security import RegisterFormV2, UsernameUtil, current_user, logout_user
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import User
from gallery.skeletons import is_mixed_script, skeleton


class GalleryUsernameUtil(UsernameUtil):
    """Flask-Security's checks, then one script per name and no look-alike of another."""

    def validate(self, username: str) -> tuple[str | None, str | None]:
        message, clean = super().validate(username)
        if message or not clean:
            return message, clean
        if is_mixed_script(clean):
            return _("A username must use letters of one script (no mixing of look-alikes)."), clean
        lookalike = db.session.scalar(
            select(User.username).where(
                User.username_skeleton == skeleton(clean),
                func.lower(User.username) != clean.lower(),
            )
        )
        if lookalike is not None:
            return _("This username looks too much like an existing one; choose another."), clean
        return None, clean


class GalleryRegisterForm(RegisterFormV2):
    """Keeps what the person typed, and tells a taken username (public at /u/<name>)
    next to the field instead of pretending success."""

    def validate(self, **kwargs: Any) -> bool:
        typed = self.username.data
        valid = super().validate(**kwargs)
        if self.username.errors:
            self.username.data = typed  # Flask-Security empties a refused name
        if self.existing_username_user is not None:
            # Leave the "already taken" error on the field: the generic-response
            # handling then only hides a taken e-mail address.
            self.existing_username_user = None
        return valid


def same_outcome_for_taken_addresses(view: Callable[..., Any]) -> Callable[..., Any]:
    """A successful registration does not log in, exactly like one for a taken address.

    Flask-Security logs a new account in at once, while a taken address (answered
    as if it worked) is not logged in; that difference told who has an account.
    Now both end on the same redirect with the same notice, logged out, and only
    the mail differs (a confirmation link, or "you already have an account").
    """

    @wraps(view)
    def register_view(*args: Any, **kwargs: Any) -> Any:
        response = view(*args, **kwargs)
        if request.method == "POST" and current_user.is_authenticated:
            logout_user()
        return response

    return register_view
