"""Shared pieces of the admin views: the secured model view, per-action permissions,
and the small helpers every view uses to call the moderation services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_admin.model.template import BaseListRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from gallery.errors import NotFound
from gallery.extensions import db
from gallery.i18n import VALUE_LABELS, value_label
from gallery.media.storage import variant_urls
from gallery.numbers import id_from_text, in_range
from gallery.roles import AdminAccessMixin, can
from gallery.roles.access import check
from gallery.urls import safe_next

ORIGIN = "admin"
MAX_PAGE = 10**9  # list pages: page × page_size stays far inside a 64-bit OFFSET


#: Column headings (and form labels) of every admin list, in the chosen language.
COLUMN_LABELS = {
    "id": _l("ID"),
    "thumb": "",
    "caption": _l("Caption"),
    "author.username": _l("Author"),
    "status": _l("Status"),
    "source": _l("Source"),
    "created_at": _l("Created"),
    "views": _l("Views"),
    "like_count": _l("Likes"),
    "comment_count": _l("Comments"),
    "hot_score": _l("Hot score"),
    "shop_title": _l("Shop title"),
    "shop_url": _l("Shop link"),
    "body": _l("Comment"),
    "image_id": _l("Image"),
    "username": _l("Username"),
    "email": _l("E-mail"),
    "roles": _l("Roles"),
    "active": _l("Active"),
    "confirmed_at": _l("Confirmed"),
    "create_datetime": _l("Signed up"),
    "last_login_at": _l("Last login"),
    "content": _l("Content"),
    "actor_name": _l("Actor"),
    "origin": _l("Origin"),
    "action": _l("Action"),
    "target_type": _l("Target type"),
    "target_id": _l("Target id"),
    "before": _l("Before"),
    "after": _l("After"),
    "changes": _l("Changes"),
    "updated_at": _l("Updated"),
    "hidden_at": _l("Hidden at"),
    "storage_key": _l("Storage key"),
    "format": _l("Format"),
    "width": _l("Width"),
    "height": _l("Height"),
    "byte_size": _l("Size in bytes"),
    "placeholder": _l("Placeholder"),
    "shop_clicks": _l("Shop clicks"),
    "source_url": _l("Source address"),
    "source_url_hash": _l("Source address hash"),
    "source_page_url": _l("Source page"),
    "licence": _l("Licence"),
    "credit": _l("Credit"),
    "roles.name": _l("Role"),
    "display_name": _l("Display name"),
}


def labelled(view: Any, context: Any, row: Any, name: str) -> str:
    """A column of stored words (status, source, origin…) in the chosen language."""
    return value_label(getattr(row, name))


def value_options(values: Sequence[str]) -> list[tuple[str, Any]]:
    """A filter's options: the stored value as the URL key, its label in the chosen language."""
    return [(value, VALUE_LABELS.get(value, value)) for value in values]


def actor() -> Any:
    """The staff member acting (the real User row behind the current_user proxy)."""
    return current_user._get_current_object()


def rows(model: Any, ids: Sequence[Any]) -> list[Any]:
    """The rows of `model` with these ids (ids from a form: strings), in id order."""
    keys = [key for key in map(id_from_text, ids) if key is not None]
    if not keys:
        return []
    return list(db.session.scalars(select(model).where(model.id.in_(keys)).order_by(model.id)))


def apply_to(model: Any, ids: Sequence[Any], service: Callable[..., Any], done: str) -> int:
    """Run `service(row, actor, "admin")` on each row, commit once, flash how many changed."""
    changed = 0
    for row in rows(model, ids):
        result = service(row, actor(), ORIGIN)
        changed += 1 if result is None or result is True else 0
    db.session.commit()
    flash(
        _("%(done)s: %(changed)s of %(total)s.", done=done, changed=changed, total=len(ids)),
        "success" if changed else "warning",
    )
    return changed


def thumb_url(image: Any) -> str:
    """The thumb variant's URL, or "" when storage cannot say (a list must still render)."""
    try:
        return variant_urls(image)["thumb"]
    except Exception:  # noqa: BLE001
        return ""


def back(default: str) -> Any:
    """Redirect to the form's `next` (local paths only) or to `default`."""
    return redirect(safe_next(request.form.get("next") or request.args.get("next"), default))


class SecureForm(BaseForm):
    """Flask-Admin's form with Flask-WTF's CSRF token: the very token the global
    CSRFProtect checks (Flask-Admin's own SecureForm keeps a second, different one
    under the same field name, so the two would refuse each other)."""

    class Meta(FlaskForm.Meta):
        pass


class StatusRowAction(BaseListRowAction):
    """A one-click Hide or Restore button on each row: a small POST form to the same
    action endpoint (and permission check) as the bulk actions."""

    def render(self, context: Any, row_id: str, row: Any) -> Markup | str:
        view = context.resolve("admin_view")
        name, label = (
            ("restore", _("Restore"))
            if row.status in ("hidden", "rejected")
            else ("hide", _("Hide"))
        )
        if not view.is_action_allowed(name):
            return ""
        return Markup(
            '<form method="post" action="{}" class="d-inline">'
            '<input type="hidden" name="csrf_token" value="{}">'
            '<input type="hidden" name="action" value="{}">'
            '<input type="hidden" name="rowid" value="{}">'
            '<input type="hidden" name="url" value="{}">'
            '<button type="submit" class="btn btn-link btn-sm p-0 ml-1" data-row-action="{}">{}'
            "</button></form>"
        ).format(
            view.get_url(".action_view"),
            generate_csrf(),
            name,
            row_id,
            context.resolve("return_url"),
            name,
            label,
        )


class StaffView(AdminAccessMixin, BaseView):
    """A custom admin page behind the access mixin."""


class SecureModelView(AdminAccessMixin, ModelView):
    """A model view with CSRF on every form and a permission per bulk action."""

    form_base_class = SecureForm
    can_create = False
    can_delete = False
    # No edit form unless a view opts in with its own form_columns and an audited
    # update_model: comments are hidden, restored or purged, never rewritten, and
    # nothing changes an author, an image or a date here.
    can_edit = False
    can_export = False
    page_size = 50
    named_filter_urls = True
    column_labels = COLUMN_LABELS
    column_type_formatters = {
        **typefmt.BASE_FORMATTERS,
        dt.datetime: lambda view, value, name: value.strftime("%Y-%m-%d %H:%M"),
        dt.date: lambda view, value, name: value.isoformat(),
    }
    #: action name → permission it needs (besides the view's own)
    action_permissions: dict[str, str] = {}
    # Edit and details pages say which record they show (templates/admin/model/).
    edit_template = "admin/model/gallery_edit.html"
    details_template = "admin/model/gallery_details.html"

    def record_name(self, row: Any) -> str:
        """The record an edit or details page shows, as its heading names it."""
        return _("record #%(id)s", id=row.id)

    def is_action_allowed(self, name: str) -> bool:
        permission = self.action_permissions.get(name)
        return super().is_action_allowed(name) and (permission is None or can(permission))

    def _get_list_extra_args(self) -> Any:
        """Flask-Admin's list arguments, with a page number that an OFFSET can hold."""
        args = super()._get_list_extra_args()
        if args.page is not None and not in_range(args.page, 0, MAX_PAGE):
            raise NotFound(_("There is no such page."))
        return args

    @expose("/action/", methods=("POST",))
    def action_view(self) -> Any:
        """Refuse an action the user may not run with 403 instead of a silent redirect."""
        name = request.form.get("action", "")
        if name in self.action_permissions:
            check(self.action_permissions[name])
        return super().action_view()
