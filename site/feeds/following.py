"""The Following feed: the images of the members one follows, newest first.

One statement per page: the followed ids come from a subquery, and the images
from the (user_id, status, created_at, id) index, one range per followed member,
so it does not walk the whole feed when they posted long ago.
"""

from __future__ import annotations

from sqlalchemy import select

from gallery.feeds.cards import with_authors
from gallery.feeds.latest import DEFAULT_LIMIT, Page, page_of
from gallery.models import VISIBLE, Follow, Image, User


def following_page(user: User, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Visible images of the members `user` follows, newest first, keyset-paged."""
    followed = select(Follow.followed_id).where(Follow.follower_id == user.id)
    statement = with_authors(
        select(Image).where(Image.user_id.in_(followed), Image.status == VISIBLE)
    )
    return page_of(statement, cursor, limit, Image)
