"""Helpers for the discovery tests: images indexed like ingest() indexes them."""

from __future__ import annotations

from typing import Any

from gallery.extensions import db
from gallery.media.captions import index_image
from gallery.models import Image, User
from tests.support.factories import create_image


def indexed_image(author: User, caption: str, **fields: Any) -> Image:
    """A committed image row whose tags and search terms are stored from its caption."""
    image = create_image(author, caption=caption, **fields)
    index_image(image)
    db.session.commit()
    return image
