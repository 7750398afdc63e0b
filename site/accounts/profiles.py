"""Profiles: the display name, bio and avatar a member edits, and the counts shown
on /u/<username>. Callers commit (and then remove a replaced avatar's files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.media import avatars
from gallery.models import VISIBLE, Image, User

DISPLAY_NAME_MAX = 64
BIO_MAX = 500


@dataclass
class ProfileStats:
    """What a profile counts: public images, likes they received, their views."""

    images: int = 0
    likes: int = 0
    views: int = 0


def stats(user: User) -> ProfileStats:
    """The counts of a member's public images, in one statement."""
    row = db.session.execute(
        select(
            func.count(Image.id),
            func.coalesce(func.sum(Image.like_count), 0),
            func.coalesce(func.sum(Image.views), 0),
        ).where(Image.user_id == user.id, Image.status == VISIBLE)
    ).one()
    return ProfileStats(int(row[0]), int(row[1]), int(row[2]))


def clean_text(value: Any, limit: int, field: str) -> str | None:
    """Trimmed single-purpose text (None when empty); too long or not text is a 400."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(_("%(field)s must be text.", field=field), code="bad_field")
    value = value.strip()
    if len(value) > limit:
        raise BadRequest(
            _("%(field)s can be at most %(max)s characters long.", field=field, max=limit),
            code="bad_field",
        )
    return value or None


def update_profile(user: User, fields: dict[str, Any], avatar: bytes | None = None) -> list[str]:
    """Set display name and bio (absent ones stay), and a new avatar when bytes are given;
    `remove_avatar` drops it. Returns the replaced avatar's keys for after the commit."""
    if "display_name" in fields:
        name = clean_text(fields["display_name"], DISPLAY_NAME_MAX, _("Display name"))
        if name is not None and any(ord(ch) < 32 for ch in name):
            raise BadRequest(_("A display name is one line of text."), code="bad_field")
        user.display_name = name
    if "bio" in fields:
        user.bio = clean_text(fields["bio"], BIO_MAX, _("About you"))
    old: list[str] = []
    if avatar:
        old = avatars.set_avatar(user, avatar)
    elif fields.get("remove_avatar"):
        old = avatars.clear_avatar(user)
    db.session.flush()
    return old
