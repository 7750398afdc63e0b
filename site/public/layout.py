"""What the site's layout (navbar, flashes) shows a member, and the key of it that lets
a worker keep the rendered layout of a shared page (caching.pagecache.shared_content)."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request, session
from flask_security import current_user
from sqlalchemy.exc import SQLAlchemyError

from gallery.i18n import select_locale
from gallery.roles import can
from gallery.social import notifications

#: the permissions the navbar asks about (templates/_navbar.html)
NAVBAR_PERMISSIONS = ("image-upload", "admin-access")


def unread_notifications() -> int:
    """The bell's number for the navbar (Redis; 0 for visitors), read once per request.
    An error page rendered while the database is down still renders, without the number."""
    if not has_request_context():
        return 0
    asking = request._get_current_object()  # kept on the request: `g` may outlive it
    kept = getattr(asking, "gallery_unread", None)
    if kept is None:
        try:
            kept = notifications.unread_count(current_user)
        except SQLAlchemyError:
            kept = 0
        asking.gallery_unread = kept
    return kept


def layout_viewer() -> tuple[Any, ...] | None:
    """Everything templates/layout.html and _navbar.html show that depends on who asks:
    the member, whether they confirmed their address, what the navbar offers them, the
    bell's number, the language and the URL (the language links return to it). None
    when a flash message waits (the layout shows it once, so it must be rendered)."""
    if not current_user.is_authenticated or session.get("_flashes"):
        return None
    user = current_user
    return (
        user.id,
        user.username,
        user.confirmed_at is not None,
        tuple(can(name) for name in NAVBAR_PERMISSIONS),
        unread_notifications(),
        select_locale(),
        request.full_path,
    )
