"""Users (admins only): search, roles, deactivate/reactivate, their content, hide it all."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_admin.actions import action
from flask_admin.form import Select2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectMultipleField

from gallery.admin.base import ORIGIN, SecureModelView, actor, apply_to
from gallery.extensions import db
from gallery.models import Role, User
from gallery.moderation import actions as moderation
from gallery.roles.access import check


def all_roles() -> list[Role]:
    return list(db.session.scalars(select(Role).order_by(Role.name)))


def content_links(view: Any, context: Any, user: User, name: str) -> Markup:
    """Links to this user's images and comments in the admin lists."""
    return Markup('<a href="{}">{}</a> · <a href="{}">{}</a>').format(
        url_for("image.index_view", flt0_author_equals=user.username or ""),
        _("images"),
        url_for("comment.index_view", flt0_author_equals=user.username or ""),
        _("comments"),
    )


def role_names(view: Any, context: Any, user: User, name: str) -> str:
    return ", ".join(sorted(role.name for role in user.roles))


class UserView(SecureModelView):
    """Accounts; only admins (user-manage) see this view."""

    required_permission = "user-manage"
    action_permissions = {
        "deactivate": "user-manage",
        "reactivate": "user-manage",
        "hide_all": "image-hide",
    }
    can_edit = True
    column_list = (
        "username",
        "email",
        "roles",
        "active",
        "confirmed_at",
        "create_datetime",
        "last_login_at",
        "content",
    )
    column_sortable_list = ("username", "email", "active", "create_datetime", "last_login_at")
    column_default_sort = ("create_datetime", True)
    column_searchable_list = ("username", "email")
    column_filters = ("active", "roles.name", "create_datetime")
    column_formatters = {"content": content_links, "roles": role_names}
    form_columns = ("active", "role_names")
    form_extra_fields = {
        "role_names": SelectMultipleField(_l("Roles"), widget=Select2Widget(multiple=True)),
    }

    def record_name(self, row: User) -> str:
        return _("user %(name)s", name=row.username or row.email)

    def edit_form(self, obj: User | None = None) -> Any:
        """Offer every role by name; preselect the account's roles."""
        form = super().edit_form(obj)
        form.role_names.choices = [(r.name, r.name) for r in all_roles()]
        if obj is not None and request.method == "GET":
            form.role_names.data = sorted(r.name for r in obj.roles)
        return form

    def update_model(self, form: Any, model: User) -> bool:
        """Role and active changes go through the audited services."""
        wanted = sorted(form.role_names.data or [])
        if wanted != sorted(r.name for r in model.roles):
            check("role-manage")
            roles = [r for r in all_roles() if r.name in wanted]
            moderation.set_user_roles(model, roles, actor(), ORIGIN)
        moderation.set_user_active(model, bool(form.active.data), actor(), ORIGIN)
        db.session.commit()
        return True

    @action(
        "deactivate", _l("Deactivate"), _l("Deactivate the selected accounts? They are logged out.")
    )
    def action_deactivate(self, ids: list[str]) -> None:
        apply_to(
            User, ids, lambda u, a, o: moderation.set_user_active(u, False, a, o), _("Deactivated")
        )

    @action("reactivate", _l("Reactivate"))
    def action_reactivate(self, ids: list[str]) -> None:
        apply_to(
            User, ids, lambda u, a, o: moderation.set_user_active(u, True, a, o), _("Reactivated")
        )

    @action(
        "hide_all",
        _l("Hide all their content"),
        _l("Hide every image and comment of the selected accounts?"),
    )
    def action_hide_all(self, ids: list[str]) -> None:
        apply_to(
            User,
            ids,
            lambda u, a, o: bool(sum(moderation.hide_all_by_user(u, a, o).values())),
            _("Accounts with content hidden"),
        )
