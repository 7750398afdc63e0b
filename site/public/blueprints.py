"""The two public blueprints: pages (`public`) and the JSON API (`api`, under /api)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
