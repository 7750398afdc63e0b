"""Cards: images and comments as DESIGN.md §5 JSON, in a constant number of statements."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import joinedload, load_only

from gallery.extensions import db
from gallery.feeds.hot import pending_views_of, shown_views
from gallery.formats import iso_utc
from gallery.media.avatars import avatar_url
from gallery.media.storage import variant_urls
from gallery.models import VISIBLE, Comment, Image, User

LATEST_COMMENTS = 3
#: the only user columns a card or a comment shows (name, display name, avatar):
#: never the password hash, two-factor secrets or recovery codes
AUTHOR_COLUMNS = (User.id, User.username, User.display_name, User.avatar_key)


def author_json(user: User | None) -> dict[str, Any]:
    """{"username", "url", "display_name", "avatar_url"} of a user (a purged account
    shows as an empty name; no avatar is null)."""
    username = user.username if user is not None else ""
    return {
        "username": username,
        "url": f"/u/{username}",
        "display_name": user.shown_name if user is not None else "",
        "avatar_url": avatar_url(user),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    """One comment: {"id", "body", "author", "created_at"}; the body stays plain text."""
    return {
        "id": comment.id,
        "body": comment.body,
        "author": author_json(comment.author),
        "created_at": iso_utc(comment.created_at),
    }


def card(
    image: Image,
    comments: Sequence[Comment] | None = None,
    pending: dict[int, int] | None = None,
) -> dict[str, Any]:
    """One image as a card; `comments` are its latest ones, newest first (loaded if None);
    views include the ones buffered in Redis (`pending`, read if None)."""
    if comments is None:
        comments = latest_comments([image.id]).get(image.id, [])
    urls = variant_urls(image)
    shop = None
    if image.shop_url:
        shop = {"title": image.shop_title or image.shop_url, "url": f"/go/{image.id}"}
    return {
        "id": image.id,
        "url": f"/images/{image.id}",
        "thumb_url": urls["thumb"],
        "medium_url": urls["medium"],
        "original_url": urls["original"],
        "width": image.width,
        "height": image.height,
        "placeholder": image.placeholder,
        "caption": image.caption,
        "author": author_json(image.author),
        "created_at": iso_utc(image.created_at),
        "views": shown_views(image, pending),
        "comment_count": image.comment_count,
        "like_count": image.like_count,
        "comments": [comment_json(comment) for comment in comments],
        "shop": shop,
    }


def cards(images: Iterable[Image]) -> list[dict[str, Any]]:
    """Cards for a page of images: at most one statement for the authors not loaded
    yet and one for the latest comments (with their authors) of every image."""
    images = list(images)
    if not images:
        return []
    load_authors(images)
    comments = latest_comments([image.id for image in images])
    pending = pending_views_of([image.id for image in images])  # one Redis call, no SQL
    return [card(image, comments.get(image.id, []), pending) for image in images]


def load_authors(images: Sequence[Image]) -> None:
    """Put every missing author into the session in one statement, so that
    `image.author` (a many-to-one by primary key) is read from the identity map."""
    missing = {image.user_id for image in images if "author" in inspect(image).unloaded}
    if missing:
        db.session.scalars(
            select(User).where(User.id.in_(missing)).options(load_only(*AUTHOR_COLUMNS))
        ).all()


def latest_comments(
    image_ids: Sequence[int], per_image: int = LATEST_COMMENTS
) -> dict[int, list[Comment]]:
    """The latest visible comments of each image, newest first, in one statement."""
    if not image_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=Comment.image_id, order_by=(Comment.created_at.desc(), Comment.id.desc())
        )
        .label("rank")
    )
    ranked = (
        select(Comment.id.label("id"), rank)
        .where(Comment.image_id.in_(image_ids), Comment.status == VISIBLE)
        .subquery()
    )
    statement = (
        select(Comment)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= per_image)
        .options(comment_authors())
        .order_by(Comment.image_id, Comment.created_at.desc(), Comment.id.desc())
    )
    found: dict[int, list[Comment]] = defaultdict(list)
    for comment in db.session.scalars(statement):
        found[comment.image_id].append(comment)
    return found


def with_authors(statement: Any) -> Any:
    """Add the author (its card columns only) to an image query: one statement per page."""
    return statement.options(image_author())


@functools.cache
def image_author() -> Any:
    """The loader option for an image query's author (its card columns only); built
    once, as SQLAlchemy's options are immutable."""
    return joinedload(Image.author).load_only(*AUTHOR_COLUMNS)


def comment_authors() -> Any:
    """The loader option for a comment query's authors (their card columns only)."""
    return joinedload(Comment.author).load_only(*AUTHOR_COLUMNS)
