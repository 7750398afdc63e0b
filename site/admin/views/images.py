"""Images: list with thumbnails, filters and search; Hide/Restore/Purge/Pick; the crawl queue."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import exists, select
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from gallery.admin.base import (
    ORIGIN,
    SecureModelView,
    StatusRowAction,
    actor,
    apply_to,
    labelled,
    thumb_url,
    value_options,
)
from gallery.extensions import db
from gallery.feeds.hot import shown_views
from gallery.i18n import value_label
from gallery.models import IMAGE_STATUSES, PENDING, Image, Report
from gallery.moderation import actions as moderation
from gallery.urls import BAD_SHOP_URL, is_shop_url

SOURCES = ("upload", "crawl", "seed", "import")


class HasReportsFilter(BaseSQLAFilter):
    """Images with (yes) or without (no) open or closed reports."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        reported = exists(
            select(Report.id).where(Report.target_type == "image", Report.target_id == Image.id)
        )
        return query.filter(reported if value == "1" else ~reported)

    def operation(self) -> str:
        return "is"


def thumbnail(view: Any, context: Any, image: Image, name: str) -> Markup:
    """An <img> of the thumb variant, linking to the public image page."""
    src = thumb_url(image)
    if not src:
        return Markup("")
    return Markup('<a href="{}"><img class="thumb" src="{}" alt="" loading="lazy"></a>').format(
        f"/images/{image.id}", src
    )


def status_badge(view: Any, context: Any, image: Image, name: str) -> Markup:
    colour = {
        "visible": "success",
        "hidden": "secondary",
        "pending": "warning",
        "rejected": "danger",
    }.get(image.status, "light")
    return Markup('<span class="badge badge-{}">{}</span>').format(
        colour, value_label(image.status)
    )


def shop_url_check(form: Any, field: Any) -> None:
    if field.data and not is_shop_url(field.data.strip()):
        raise ValidationError(str(BAD_SHOP_URL))


class ImageView(SecureModelView):
    """Every image; moderators hide, restore, purge and pick from here."""

    required_permission = "image-hide"
    action_permissions = {
        "hide": "image-hide",
        "restore": "image-hide",
        "purge": "image-delete",
        "pick": "pick-schedule",
        "approve": "image-hide",
        "reject": "image-hide",
    }
    can_edit = True
    can_view_details = True
    column_extra_row_actions = [StatusRowAction()]
    column_list = (
        "thumb",
        "id",
        "caption",
        "author.username",
        "status",
        "source",
        "created_at",
        "views",
        "like_count",
        "comment_count",
        "hot_score",
    )
    column_sortable_list = (
        "id",
        "created_at",
        "views",
        "hot_score",
        "like_count",
        "comment_count",
        "status",
        ("author.username", "author.username"),
    )
    column_default_sort = ("created_at", True)
    column_searchable_list = ("caption", "author.username")
    column_filters = (
        FilterEqual(Image.status, _l("Status"), options=value_options(IMAGE_STATUSES)),
        FilterEqual(Image.source, _l("Source"), options=value_options(SOURCES)),
        "author.username",
        "created_at",
        HasReportsFilter(Image.id, _l("Has reports"), options=[("1", _l("yes")), ("0", _l("no"))]),
    )
    column_formatters = {
        "thumb": thumbnail,
        "status": status_badge,
        "source": labelled,
        "hot_score": lambda v, c, m, n: f"{m.hot_score:.2f}",
        "views": lambda v, c, m, n: shown_views(m),  # stored + buffered, like every page
    }
    column_details_exclude_list = ("author",)
    form_columns = ("caption", "shop_title", "shop_url")
    form_extra_fields = {
        "shop_url": StringField(
            _l("Shop link"), validators=[Optional(), Length(max=2048), shop_url_check]
        ),
    }
    form_args = {
        "caption": {"validators": [Length(max=500)]},
        "shop_title": {"validators": [Optional(), Length(max=200)]},
    }

    def record_name(self, row: Image) -> str:
        if not row.caption:
            return _("image #%(id)s", id=row.id)
        caption = row.caption if len(row.caption) <= 60 else row.caption[:59] + "…"
        return _("image #%(id)s “%(caption)s”", id=row.id, caption=caption)

    def update_model(self, form: Any, model: Image) -> bool:
        """Edits go through the moderation service (validation, audit, cache drop)."""
        moderation.edit_image(
            model,
            actor(),
            ORIGIN,
            caption=form.caption.data or "",
            shop_url=form.shop_url.data,
            shop_title=form.shop_title.data,
        )
        db.session.commit()
        return True

    @action("hide", _l("Hide"))
    def action_hide(self, ids: list[str]) -> None:
        apply_to(Image, ids, moderation.hide_image, _("Hidden"))

    @action("restore", _l("Restore"))
    def action_restore(self, ids: list[str]) -> None:
        apply_to(Image, ids, moderation.restore_image, _("Restored"))

    @action(
        "purge",
        _l("Purge now"),
        _l(
            "Purge the selected images for good? Their files, comments and likes are deleted "
            "and cannot be restored."
        ),
    )
    def action_purge(self, ids: list[str]) -> None:
        apply_to(Image, ids, moderation.purge_image, _("Purged"))

    @action("pick", _l("Pick for a date…"))
    def action_pick(self, ids: list[str]) -> Any:
        return redirect(url_for("picks.index", add=",".join(ids)))

    @action("approve", _l("Approve"))
    def action_approve(self, ids: list[str]) -> None:
        apply_to(Image, ids, moderation.approve_image, _("Approved"))

    @action("reject", _l("Reject"))
    def action_reject(self, ids: list[str]) -> None:
        apply_to(Image, ids, moderation.reject_image, _("Rejected"))


class QueueView(ImageView):
    """Crawled images waiting for a moderator: Approve or Reject."""

    column_default_sort = ("created_at", False)
    column_list = ("thumb", "id", "caption", "author.username", "source", "created_at")

    def get_query(self) -> Any:
        return super().get_query().filter(Image.status == PENDING)

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(Image.status == PENDING)

    def is_action_allowed(self, name: str) -> bool:
        return name in ("approve", "reject", "hide", "purge") and super().is_action_allowed(name)
