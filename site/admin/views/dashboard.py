"""The admin index: 30-day charts, open reports, the pending queue, storage, hot and picks."""

from __future__ import annotations

from typing import Any

from flask_admin import AdminIndexView, expose

from gallery.admin import stats
from gallery.feeds import latest as feeds
from gallery.feeds import picks
from gallery.feeds.hot import pending_views_of, points_of, shown_views
from gallery.formats import human_size
from gallery.models import today
from gallery.moderation import reports
from gallery.roles import AdminAccessMixin


class DashboardView(AdminAccessMixin, AdminIndexView):
    """Every staff member sees the dashboard."""

    required_permission = "admin-access"

    @expose("/")
    def index(self) -> Any:
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
