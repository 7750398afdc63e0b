"""Permission checks: `can()`, the `permission_required` decorator, the admin mixin."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user

from gallery.errors import Forbidden, NotConfirmed, NotLoggedIn
from gallery.roles.definitions import CONFIRMED_ONLY

F = TypeVar("F", bound=Callable[..., Any])


def can(permission: str, user: Any = None) -> bool:
    """True when the user (default: the current one) holds the permission."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if permission in CONFIRMED_ONLY and user.confirmed_at is None:
        return False
    return user.has_permission(permission)


def check(permission: str) -> None:
    """Raise the fitting domain error unless the current user holds `permission`."""
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    if permission in CONFIRMED_ONLY and current_user.confirmed_at is None:
        raise NotConfirmed()
    if not current_user.has_permission(permission):
        raise Forbidden(
            _l("You do not have permission to do that (%(permission)s).", permission=permission)
        )


def permission_required(permission: str) -> Callable[[F], F]:
    """View decorator: 401 when anonymous, 403 when unconfirmed or not allowed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            check(permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def needs_two_factor(user: Any = None) -> bool:
    """True for staff (admin-access) without two-factor login while it is required."""
    user = current_user if user is None else user
    return (
        bool(current_app.config["ADMIN_REQUIRES_TWO_FACTOR"])
        and can("admin-access", user)
        and not getattr(user, "tf_primary_method", None)
    )


class AdminAccessMixin:
    """Mixed into every Flask-Admin view, the index included."""

    required_permission = "admin-access"

    def is_accessible(self) -> bool:
        return can("admin-access") and can(self.required_permission) and not needs_two_factor()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        here = request.full_path.rstrip("?")
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=here))
        if needs_two_factor():
            flash(_("Staff must turn on two-factor login before using the admin panel."), "info")
            return redirect(url_for("security.two_factor_setup", next=here))
        raise Forbidden(_l("This part of the admin panel is not open to your account."))
