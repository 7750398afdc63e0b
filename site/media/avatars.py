"""Avatars: a member's picture through the image pipeline (checked by content,
square crop, every variant, no EXIF), stored beside the images under avatars/."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from gallery.extensions import db
from gallery.media import imaging
from gallery.media.ingest import limits, remove_files, store_files, track_uncommitted
from gallery.media.storage import variant_keys, variant_urls
from gallery.models import User

AVATAR_FORMAT = "jpeg"


def _stored(key: str) -> Any:
    return SimpleNamespace(storage_key=key, format=AVATAR_FORMAT)


def avatar_urls(user: User | None) -> dict[str, str] | None:
    """{"thumb", "medium", "original"} of the user's avatar, or None without one."""
    if user is None or not user.avatar_key:
        return None
    return variant_urls(_stored(user.avatar_key))


def avatar_url(user: User | None, variant: str = "thumb") -> str | None:
    urls = avatar_urls(user)
    return urls[variant] if urls else None


def set_avatar(user: User, data: bytes) -> list[str]:
    """Render and store a new avatar (flushed, not committed); returns the old avatar's
    keys, which the caller removes with `remove_old` once the commit went through."""
    rendered = imaging.render_avatar(data, limits())
    token = uuid.uuid4().hex
    key = f"avatars/{token[:2]}/{token}"
    stored = store_files(key, rendered)
    track_uncommitted(db.session(), stored)  # a rollback removes them again
    old = list(variant_keys(_stored(user.avatar_key)).values()) if user.avatar_key else []
    user.avatar_key = key
    db.session.flush()
    return old


def clear_avatar(user: User) -> list[str]:
    """Drop the avatar (the initial shows instead); returns the keys to remove after commit."""
    old = list(variant_keys(_stored(user.avatar_key)).values()) if user.avatar_key else []
    user.avatar_key = None
    return old


def remove_old(keys: list[str]) -> None:
    """Remove a replaced avatar's files (what fails is left to `flask storage sweep`)."""
    if keys:
        remove_files(keys)
