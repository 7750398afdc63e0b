"""Comments: filters and search; bulk Hide, Restore and Purge."""

from __future__ import annotations

from typing import Any

from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gallery.admin.base import (
    SecureModelView,
    StatusRowAction,
    apply_to,
    labelled,
    value_options,
)
from gallery.models import HIDDEN, VISIBLE, Comment
from gallery.moderation import actions as moderation


def image_link(view: Any, context: Any, comment: Comment, name: str) -> Markup:
    return Markup('<a href="/images/{0}">#{0}</a>').format(comment.image_id)


def short_body(view: Any, context: Any, comment: Comment, name: str) -> str:
    """The first 160 characters (plain text: the list escapes it)."""
    return comment.body if len(comment.body) <= 160 else comment.body[:157] + "…"


class CommentView(SecureModelView):
    """Every comment; moderators hide, restore and purge them in bulk."""

    required_permission = "comment-hide"
    action_permissions = {
        "hide": "comment-hide",
        "restore": "comment-hide",
        "purge": "image-delete",
    }
    can_view_details = True
    column_extra_row_actions = [StatusRowAction()]
    column_list = ("id", "body", "author.username", "image_id", "status", "created_at")
    column_sortable_list = ("id", "created_at", "status")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("body", "author.username")
    column_filters = (
        FilterEqual(Comment.status, _l("Status"), options=value_options((VISIBLE, HIDDEN))),
        "author.username",
        FilterEqual(Comment.image_id, _l("Image id")),
        "created_at",
    )
    column_formatters = {"image_id": image_link, "body": short_body, "status": labelled}

    def record_name(self, row: Comment) -> str:
        return _("comment #%(id)s", id=row.id)

    @action("hide", _l("Hide"))
    def action_hide(self, ids: list[str]) -> None:
        apply_to(Comment, ids, moderation.hide_comment, _("Hidden"))

    @action("restore", _l("Restore"))
    def action_restore(self, ids: list[str]) -> None:
        apply_to(Comment, ids, moderation.restore_comment, _("Restored"))

    @action(
        "purge",
        _l("Purge now"),
        _l("Purge the selected comments for good? They cannot be restored."),
    )
    def action_purge(self, ids: list[str]) -> None:
        apply_to(Comment, ids, moderation.purge_comment, _("Purged"))
