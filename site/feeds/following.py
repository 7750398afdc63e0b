"""The Following feed: the images of the members one follows, newest first.

One statement per page. The keys of the page are found first, in a narrow derived
table read from the (user_id, status, created_at, id) index, one range per followed
member; then only those rows are loaded with their authors. Left to itself MariaDB
walks the whole feed index newest first and checks each image's author, which is
slow when the followed members posted long ago; and sorting whole rows of every
followed image would spill to a temporary table on disk.
"""

from __future__ import annotations

from sqlalchemy import select

from gallery.extensions import db
from gallery.feeds.cards import with_authors
from gallery.feeds.latest import DEFAULT_LIMIT, Page, encode_cursor, keyset
from gallery.models import VISIBLE, Follow, Image, User

PROFILE_INDEX = "ix_image_profile"


def following_page(user: User, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Visible images of the members `user` follows, newest first, keyset-paged."""
    followed = select(Follow.followed_id).where(Follow.follower_id == user.id)
    keys = (
        select(Image.id)
        .where(Image.user_id.in_(followed), Image.status == VISIBLE)
        .with_hint(Image, f"FORCE INDEX ({PROFILE_INDEX})", "mysql")
        .with_hint(Image, f"FORCE INDEX ({PROFILE_INDEX})", "mariadb")
        .with_hint(Image, f"INDEXED BY {PROFILE_INDEX}", "sqlite")
    )
    keys = keyset(keys, cursor, Image.created_at, Image.id, newest_first=True)
    page_keys = keys.limit(limit + 1).subquery("page_keys")
    statement = with_authors(
        select(Image)
        .join(page_keys, page_keys.c.id == Image.id)
        .order_by(Image.created_at.desc(), Image.id.desc())
    )
    rows = list(db.session.scalars(statement).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return Page(rows, next_cursor)
