"""The audit log, read-only and filterable."""

from __future__ import annotations

import json
from typing import Any

from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup

from gallery.admin.base import SecureModelView
from gallery.models import AuditLog

TARGET_TYPES = ("image", "comment", "report", "user", "pick", "site")


def as_json(view: Any, context: Any, entry: AuditLog, name: str) -> Markup:
    """The before/after state, escaped, in a <pre>."""
    value = getattr(entry, name)
    if value is None:
        return Markup('<span class="text-muted">—</span>')
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    return Markup(
        '<pre class="small mb-0" style="max-width:28rem;white-space:pre-wrap">{}</pre>'
    ).format(text)


class AuditView(SecureModelView):
    """Who did what, when, to which target, with the state before and after."""

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
        "before",
        "after",
    )
    column_labels = {"actor_name": "Actor", "created_at": "When"}
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at", "actor_name", "action", "target_id")
    column_searchable_list = ("actor_name", "action")
    column_filters = (
        "action",
        FilterEqual(
            AuditLog.origin, "Origin", options=[(o, o) for o in ("admin", "page", "api", "cli")]
        ),
        "actor_name",
        FilterEqual(AuditLog.target_type, "Target type", options=[(t, t) for t in TARGET_TYPES]),
        FilterEqual(AuditLog.target_id, "Target id"),
        "created_at",
    )
    column_formatters = {"before": as_json, "after": as_json}
    column_formatters_detail = {"before": as_json, "after": as_json}
