"""Serving locally stored media in development (nginx serves /media/ in production).

The headers match config/nginx.conf: nosniff, a CSP that lets nothing run even
if a file were opened as a document, and a year of caching (keys never change).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, send_file
from flask_babel import gettext as _

from gallery.errors import NotFound
from gallery.media.imaging import EXTENSIONS
from gallery.media.storage import KEY_PATTERN, get_storage
from gallery.media.storage.local import LocalStorage
from gallery.public.blueprints import bp

MEDIA_MAX_AGE = 365 * 24 * 3600
MEDIA_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def media_headers(response: Any) -> Any:
    """The headers every media response carries (here and in nginx.conf)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    response.headers["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE}, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "same-site"
    return response


@bp.get("/media/<path:key>")
def media(key: str) -> Any:
    """One stored file, by generated key; only the four image types are ever served."""
    storage = get_storage()
    extension = key.rsplit(".", 1)[-1]
    if (
        not isinstance(storage, LocalStorage)
        or not KEY_PATTERN.match(key)
        or (extension not in EXTENSIONS)
    ):
        raise NotFound(_("There is no such file."))
    path = storage.path(key)
    if not path.is_file():
        raise NotFound(_("There is no such file."))
    response = send_file(
        path, mimetype=EXTENSIONS[extension], max_age=MEDIA_MAX_AGE, conditional=True, etag=True
    )
    return media_headers(response)


# Browsers ask the site root for these whatever the page says; nginx serves them
# from site/static in production (config/nginx.conf).
ROOT_ICONS = {
    "favicon.ico": "favicon.ico",
    "apple-touch-icon.png": "icons/apple-touch-icon.png",
    "apple-touch-icon-precomposed.png": "icons/apple-touch-icon.png",
}


@bp.get("/<any(" + ", ".join(f'"{name}"' for name in ROOT_ICONS) + "):name>")
def root_icon(name: str) -> Any:
    """/favicon.ico and the touch icons, from site/static, cached for a day."""
    response = current_app.send_static_file(ROOT_ICONS[name])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
