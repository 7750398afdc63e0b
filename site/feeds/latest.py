"""Feeds: keyset cursors, latest and profile feeds, the hot list, cache invalidation."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.feeds.cards import with_authors
from gallery.feeds.hot import HOT_KEY, forget_hot, hot_entry, set_hot
from gallery.feeds.hot import bump_hot as bump_hot
from gallery.feeds.views import flush_views as flush_views
from gallery.feeds.views import record_view as record_view
from gallery.feeds.views import views_with_this_one as views_with_this_one
from gallery.models import VISIBLE, Image, User
from gallery.numbers import in_range
from gallery.signals import albums_changed, image_changed, picks_changed

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
HOT_LIST_SIZE = 100
BAD_CURSOR = _l("That cursor is not valid; start again from the first page.")


@dataclass
class Page:
    """One page of a feed; iterating it gives its images."""

    images: list[Any]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)


# --- cursors and limits ------------------------------------------------------


def encode_cursor(created_at: dt.datetime, item_id: int) -> str:
    """An opaque cursor for the keyset (created_at, id) of the last item of a page."""
    raw = f"{created_at.isoformat(timespec='microseconds')}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """(created_at, id) from a cursor; anything malformed is a BadRequest (400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, item_id = raw.split("|")
        created_at = dt.datetime.fromisoformat(stamp)
        number = int(item_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(BAD_CURSOR, code="bad_cursor") from error
    if not in_range(number) or created_at.tzinfo is not None or not item_id.isdigit():
        raise BadRequest(BAD_CURSOR, code="bad_cursor")
    return created_at, number


def parse_limit(value: str | None, default: int = DEFAULT_LIMIT) -> int:
    """The `limit` parameter: default 20, clamped to 1–50; not a number → 400."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise BadRequest(
            _("limit must be a whole number between 1 and 50."), code="bad_limit"
        ) from error
    return max(1, min(MAX_LIMIT, number))


def keyset(statement: Any, cursor: str | None, created: Any, ident: Any, newest_first: bool) -> Any:
    """Order by (created, id) and seek past the cursor.

    Written as ``created <= c AND (created < c OR id < i)`` (mirrored for oldest
    first): the first term is a plain range both SQLite and MariaDB seek on
    through the (…, created_at, id) indexes; the second only filters the ties.
    """
    if newest_first:
        statement = statement.order_by(created.desc(), ident.desc())
    else:
        statement = statement.order_by(created.asc(), ident.asc())
    if not cursor:
        return statement
    at, last_id = decode_cursor(cursor)
    if newest_first:
        return statement.where(and_(created <= at, or_(created < at, ident < last_id)))
    return statement.where(and_(created >= at, or_(created > at, ident > last_id)))


def page_of(
    statement: Any,
    cursor: str | None,
    limit: int,
    model: Any,
    columns: tuple[Any, Any] | None = None,
) -> Page:
    """Run a keyset query for limit+1 rows: the extra row says whether a next page exists.
    `columns` seeks on other (created_at, id) columns holding the same values, e.g. a
    tag's copy of its images' keys."""
    created, ident = columns or (model.created_at, model.id)
    statement = keyset(statement, cursor, created, ident, newest_first=model is Image)
    rows = list(db.session.scalars(statement.limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return Page(rows, next_cursor)


# --- feeds -------------------------------------------------------------------


def latest_page(cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Visible images, newest first."""
    statement = with_authors(select(Image).where(Image.status == VISIBLE))
    return page_of(statement, cursor, limit, Image)


def profile_page(user: User, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """One member's visible images, newest first."""
    statement = with_authors(select(Image).where(Image.user_id == user.id, Image.status == VISIBLE))
    return page_of(statement, cursor, limit, Image)


def images_by_ids(ids: Sequence[int]) -> list[Image]:
    """Visible images in the order of `ids`, with authors, in one statement."""
    if not ids:
        return []
    statement = with_authors(select(Image).where(Image.id.in_(ids), Image.status == VISIBLE))
    found = {image.id: image for image in db.session.scalars(statement).unique()}
    return [found[i] for i in ids if i in found]


def hot_ids() -> list[int]:
    """The top of the hot ranking: the Redis sorted set, topped up from the hot_score
    column (same formula) when the set holds fewer images, e.g. after Redis lost it."""
    ranked = cache.guarded(
        lambda: redis_store.client.zrevrange(HOT_KEY, 0, HOT_LIST_SIZE * 2, withscores=True), None
    )
    scores = {int(member): float(score) for member, score in ranked or []}
    if len(scores) >= HOT_LIST_SIZE:
        return list(scores)
    statement = (
        select(Image.id, Image.hot_score)
        .where(Image.status == VISIBLE)
        .order_by(Image.hot_score.desc(), Image.id.desc())
        .limit(HOT_LIST_SIZE)
    )
    for image_id, score in db.session.execute(statement):
        scores.setdefault(image_id, score)
    return sorted(scores, key=lambda image_id: (-scores[image_id], -image_id))[: HOT_LIST_SIZE * 2]


def hot_images(limit: int = DEFAULT_LIMIT) -> list[Image]:
    """Visible images by decayed hot score (an id list cached briefly, hydrated per call)."""
    ttl = int(current_app.config["HOT_CACHE_SECONDS"])
    ids = cache.remember(cache.key("hot"), hot_ids, ttl)
    return images_by_ids(ids[: limit * 2])[:limit]


# --- invalidation ---------------------------------------------------------------

REMOVED = {"hide", "purge", "reject"}  # the reasons moderation.actions sends when an image goes
PENDING_KEY = "gallery_feeds_pending"


def _on_image_changed(sender: Any, image_id: int, reason: str = "", **_: Any) -> None:
    """Drop cached lists now, and again once the change is committed (so that a
    request racing the commit cannot keep the old state cached)."""
    cache.bump_generation()
    session = db.session()
    entry = None
    if reason not in REMOVED:
        image = session.get(Image, image_id)
        if image is not None and image.status == VISIBLE:
            entry = hot_entry(image)
            image.hot_score = entry.score
    session.info.setdefault(PENDING_KEY, {})[image_id] = entry


def _on_picks_changed(sender: Any, **_: Any) -> None:
    cache.bump_generation()
    db.session().info.setdefault(PENDING_KEY, {})


def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending is None:
        return
    cache.bump_generation()
    for image_id, entry in pending.items():
        if entry is None:
            forget_hot(image_id)
        else:
            set_hot(image_id, entry)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def init_app(app: Flask) -> None:
    """Connect the signals and the Session listeners (idempotent: once per process)."""
    image_changed.connect(_on_image_changed, weak=False)
    picks_changed.connect(_on_picks_changed, weak=False)
    albums_changed.connect(_on_picks_changed, weak=False)  # the same: drop every list
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
