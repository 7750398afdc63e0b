"""Public blueprints: pages for visitors and members, and the JSON API."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("public", __name__)
api = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    """Import the view modules (they attach routes) and register both blueprints."""
    from gallery.public import api_views, media, pages, reports, uploads  # noqa: F401

    app.register_blueprint(bp)
    app.register_blueprint(api)
