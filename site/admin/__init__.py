"""The admin panel: Flask-Admin created per app, every view behind the access mixin."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin, AdminIndexView, expose

from gallery.roles import AdminAccessMixin


class DashboardView(AdminAccessMixin, AdminIndexView):
    """The admin index."""

    @expose("/")
    def index(self):  # type: ignore[no-untyped-def]
        return self.render("admin/dashboard.html")


def init_app(app: Flask) -> None:
    """Create this app's Admin and add the views."""
    admin = Admin(app, name="Gallery admin", index_view=DashboardView(url="/admin"))
    app.extensions["gallery_admin"] = admin
