"""The admin index: 30-day charts, open reports, the pending queue, storage, hot and picks."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l

from gallery.admin import stats
from gallery.errors import Forbidden
from gallery.feeds import latest as feeds
from gallery.feeds import picks
from gallery.feeds.hot import pending_views_of, points_of, shown_views
from gallery.formats import human_size
from gallery.models import today
from gallery.moderation import reports
from gallery.roles import AdminAccessMixin, can


class DashboardView(AdminAccessMixin, AdminIndexView):
    """/admin: the dashboard for operators (stats-read); other staff land on the first page
    their roles open, a moderator on the reports inbox (README, Moderator's guide)."""

    required_permission = "admin-access"
    dashboard_permission = "stats-read"

    def is_visible(self) -> bool:
        return can(self.dashboard_permission)

    def staff_home(self) -> str:
        """The first admin page in menu order that the current staff member may open."""
        for view in self.admin._views:
            if view is not self and view.is_accessible() and view.is_visible():
                return view.get_url(f"{view.endpoint}.{view._default_view}")
        raise Forbidden(_l("This part of the admin panel is not open to your account."))

    @expose("/")
    def index(self) -> Any:
        if not can(self.dashboard_permission):
            return redirect(self.staff_home())
        used = stats.storage_used()
        hot = feeds.hot_images(10)
        pending = pending_views_of([image.id for image in hot])
        return self.render(
            "admin/dashboard.html",
            charts=stats.charts(),
            open_reports=reports.target_count(),
            pending=stats.pending_count(),
            storage_used=used,
            storage_human=human_size(used),
            hot=hot,
            views={image.id: shown_views(image, pending) for image in hot},
            points={
                image.id: round(
                    points_of(shown_views(image, pending), image.comment_count, image.like_count)
                )
                for image in hot
            },
            picks=picks.picks_for(today()),
        )
