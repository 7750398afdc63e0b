"""The admin panel: Flask-Admin created per app, every view behind the access mixin."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from gallery.admin.views.audit import AuditView
from gallery.admin.views.comments import CommentView
from gallery.admin.views.dashboard import DashboardView
from gallery.admin.views.images import ImageView, QueueView
from gallery.admin.views.operations import OperationsView
from gallery.admin.views.picks import PicksView
from gallery.admin.views.reports import ReportsView
from gallery.admin.views.users import UserView
from gallery.extensions import db
from gallery.headers import csp_nonce
from gallery.models import AuditLog, Comment, Image, User


def init_app(app: Flask) -> None:
    """Create this app's Admin and add the views (never a module-level Admin)."""
    # Flask-Admin 2.2 ships only a Bootstrap 4 theme; our base template gives it the
    # site's navbar and user menu so the panel looks like the rest of the site.
    # Not fluid: the site's container width (admin.css adds Bootstrap 5's ≥1400 px step).
    theme = Bootstrap4Theme(base_template="admin/gallery_base.html", fluid=False)
    admin = Admin(
        app,
        name=_l("Gallery admin"),
        theme=theme,
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=csp_nonce,  # its inline scripts; gallery.headers allows the nonce
    )
    session = db  # Flask-Admin 2.2 takes the Flask-SQLAlchemy object
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports"))
    admin.add_view(ImageView(Image, session, name=_l("Images"), endpoint="image"))
    admin.add_view(QueueView(Image, session, name=_l("Queue"), endpoint="queue", url="queue"))
    admin.add_view(CommentView(Comment, session, name=_l("Comments"), endpoint="comment"))
    admin.add_view(PicksView(name=_l("Picks"), endpoint="picks"))
    admin.add_view(UserView(User, session, name=_l("Users"), endpoint="user"))
    admin.add_view(AuditView(AuditLog, session, name=_l("Audit log"), endpoint="audit"))
    admin.add_view(OperationsView(name=_l("Operations"), endpoint="operations"))
    app.extensions["gallery_admin"] = admin
