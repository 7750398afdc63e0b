"""Public blueprints: pages for visitors and members, and the JSON API."""

from __future__ import annotations

from flask import Flask

# the view modules attach their routes to the blueprints when they are imported
from gallery.public import (  # noqa: F401
    account,
    account_security,
    albums,
    api_docs,
    api_views,
    discovery,
    discovery_api,
    manage,
    media,
    pages,
    reports,
    uploads,
)
from gallery.public.blueprints import api, bp


def init_app(app: Flask) -> None:
    """Register both blueprints."""
    app.request_class = uploads.UploadFormRequest  # several files on POST /upload
    app.register_blueprint(bp)
    app.register_blueprint(api)
