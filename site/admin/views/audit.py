"""The audit log, read-only and filterable; each entry shows only what it changed."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gallery.admin.base import SecureModelView, labelled, value_options
from gallery.models import AuditLog
from gallery.moderation.actions import ORIGINS
from gallery.moderation.changes import changed_fields, shown_value

TARGET_TYPES = ("image", "comment", "report", "user", "pick", "site", "tag")


def as_json(view: Any, context: Any, entry: AuditLog, name: str) -> Markup:
    """The whole before/after state (details page), escaped, wrapping long values."""
    value = getattr(entry, name)
    if value is None:
        return Markup('<span class="text-muted">—</span>')
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    return Markup('<pre class="small mb-0 audit-json">{}</pre>').format(text)


def as_diff(view: Any, context: Any, entry: AuditLog, name: str) -> Markup:
    """The changed keys only: field, old → new (long values wrap, never cut off)."""
    return Markup(
        render_template(
            "admin/_audit_changes.html",
            changes=changed_fields(entry.before, entry.after),
            shown_value=shown_value,
        )
    )


class AuditView(SecureModelView):
    """Who did what, when, to which target, and what it changed."""

    required_permission = "audit-read"
    can_edit = False
    can_view_details = True
    column_list = (
        "created_at",
        "actor_name",
        "origin",
        "action",
        "target_type",
        "target_id",
        "changes",
    )
    column_details_list = (*column_list, "before", "after")
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at", "actor_name", "action", "target_id")
    column_searchable_list = ("actor_name", "action")
    column_filters = (
        "action",
        FilterEqual(AuditLog.origin, _l("Origin"), options=value_options(ORIGINS)),
        "actor_name",
        FilterEqual(AuditLog.target_type, _l("Target type"), options=value_options(TARGET_TYPES)),
        FilterEqual(AuditLog.target_id, _l("Target id")),
        "created_at",
    )
    column_formatters = {"changes": as_diff, "origin": labelled, "target_type": labelled}
    column_formatters_detail = {
        "changes": as_diff,
        "before": as_json,
        "after": as_json,
        "origin": labelled,
        "target_type": labelled,
    }

    def record_name(self, row: AuditLog) -> str:
        return _("audit entry #%(id)s", id=row.id)
