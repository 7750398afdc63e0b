"""The hot ranking: a decaying score in a Redis sorted set, updated per event.

It is rebuildable from the database (flask hot rebuild).

    points = views + HOT_COMMENT_WEIGHT × comments + HOT_LIKE_WEIGHT × likes
    score  = log2(1 + points) + (created_at − 2020-01-01) / HOT_HALF_LIFE_HOURS

Ordering by this score is ordering by ``(1 + points) × 2^(−age / half-life)``:
an image's points count half as much every HOT_HALF_LIFE_HOURS of age. The
score itself never changes as time passes (only the newcomers' is higher), so
the sorted set needs no periodic recomputation, only an update per event.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select, update

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.models import VISIBLE, Image

HOT_KEY = "gallery:hot"
POINTS_KEY = "gallery:hot:points"
BORN_KEY = "gallery:hot:born"
PENDING_VIEWS_KEY = "gallery:views:pending"
EPOCH = dt.datetime(2020, 1, 1)


class HotEntry(NamedTuple):
    """An image's points and creation time (seconds since EPOCH), and its score."""

    points: float
    born: float

    @property
    def score(self) -> float:
        return score_of(self.points, self.born)


def weights() -> tuple[float, float]:
    config = current_app.config
    return float(config["HOT_COMMENT_WEIGHT"]), float(config["HOT_LIKE_WEIGHT"])


def points_of(views: int, comments: int, likes: int) -> float:
    comment_weight, like_weight = weights()
    return views + comment_weight * comments + like_weight * likes


def born_of(created_at: dt.datetime) -> float:
    return (created_at - EPOCH).total_seconds()


def score_of(points: float, born: float) -> float:
    half_life = float(current_app.config["HOT_HALF_LIFE_HOURS"]) * 3600
    return math.log2(1 + max(points, 0.0)) + born / half_life


def pending_views(image_id: int) -> int:
    value = cache.guarded(lambda: redis_store.client.hget(PENDING_VIEWS_KEY, image_id), None)
    return int(value) if value else 0


def pending_views_of(image_ids: list[int]) -> dict[int, int]:
    """Views counted but not flushed yet, for many images in one Redis call."""
    if not image_ids:
        return {}
    values = cache.guarded(
        lambda: redis_store.client.hmget(PENDING_VIEWS_KEY, [str(i) for i in image_ids]), None
    )
    return {i: int(v) for i, v in zip(image_ids, values or [], strict=False) if v}


def shown_views(image: Image, pending: dict[int, int] | None = None) -> int:
    """The view count every page shows: the stored count plus the buffered one."""
    if pending is None:
        pending = pending_views_of([image.id])
    return image.views + pending.get(image.id, 0)


def hot_entry(image: Image, extra_views: int | None = None) -> HotEntry:
    """The entry of one image from its counters (plus its views not flushed yet)."""
    if extra_views is None:
        extra_views = pending_views(image.id)
    views = image.views + extra_views
    return HotEntry(
        points_of(views, image.comment_count, image.like_count), born_of(image.created_at)
    )


def set_hot(image_id: int, entry: HotEntry) -> None:
    """Put an image into the sorted set with an absolute entry."""

    def write() -> None:
        pipe = redis_store.client.pipeline(transaction=False)
        pipe.hset(POINTS_KEY, image_id, entry.points)
        pipe.hset(BORN_KEY, image_id, entry.born)
        pipe.zadd(HOT_KEY, {str(image_id): entry.score})
        pipe.execute()

    cache.guarded(write, None)


def forget_hot(image_id: int) -> None:
    """Take an image out of the ranking (hidden, rejected or purged)."""

    def remove() -> None:
        pipe = redis_store.client.pipeline(transaction=False)
        pipe.zrem(HOT_KEY, str(image_id))
        pipe.hdel(POINTS_KEY, image_id)
        pipe.hdel(BORN_KEY, image_id)
        pipe.execute()

    cache.guarded(remove, None)


def bump_hot(image_id: int, points: float = 1.0, created_at: dt.datetime | None = None) -> None:
    """Add points to an image (a view is 1) and move it in the sorted set."""

    def bump() -> tuple[Any, Any]:
        pipe = redis_store.client.pipeline(transaction=False)
        pipe.hincrbyfloat(POINTS_KEY, image_id, points)
        pipe.hget(BORN_KEY, image_id)
        total, born = pipe.execute()
        return total, born

    result = cache.guarded(bump, None)
    if result is None:
        return
    total, born = result
    if born is None:
        # Not ranked yet (new, or Redis lost it): start from the database counters.
        image = db.session.get(Image, image_id)
        if image is not None and image.status == VISIBLE:
            set_hot(image_id, hot_entry(image))
        return
    entry = HotEntry(float(total), float(born))
    cache.guarded(lambda: redis_store.client.zadd(HOT_KEY, {str(image_id): entry.score}), None)


def rebuild_hot(batch: int = 1000) -> int:
    """Recompute every visible image's score into the sorted set and the hot_score
    column (flask hot rebuild); returns the number of images ranked."""
    client = redis_store.client
    staging = HOT_KEY + ":rebuild"
    client.delete(staging, POINTS_KEY + ":rebuild", BORN_KEY + ":rebuild")
    pending = {int(k): int(v) for k, v in (client.hgetall(PENDING_VIEWS_KEY) or {}).items()}
    count, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(Image.id, Image.views, Image.comment_count, Image.like_count, Image.created_at)
            .where(Image.status == VISIBLE, Image.id > last_id)
            .order_by(Image.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        pipe = client.pipeline(transaction=False)
        scores = []
        for image_id, views, comments, likes, created_at in rows:
            entry = HotEntry(
                points_of(views + pending.get(image_id, 0), comments, likes), born_of(created_at)
            )
            pipe.zadd(staging, {str(image_id): entry.score})
            pipe.hset(POINTS_KEY + ":rebuild", image_id, entry.points)
            pipe.hset(BORN_KEY + ":rebuild", image_id, entry.born)
            scores.append({"b_id": image_id, "b_score": entry.score})
        pipe.execute()
        store_scores(scores)
        count += len(rows)
        last_id = rows[-1][0]
    pipe = client.pipeline(transaction=True)
    pipe.delete(HOT_KEY, POINTS_KEY, BORN_KEY)
    if count:
        pipe.rename(staging, HOT_KEY)
        pipe.rename(POINTS_KEY + ":rebuild", POINTS_KEY)
        pipe.rename(BORN_KEY + ":rebuild", BORN_KEY)
    pipe.execute()
    cache.bump_generation()
    return count


def store_scores(scores: list[dict[str, Any]]) -> None:
    """Write hot_score for many images in one executemany (the database fallback order)."""
    if not scores:
        return
    statement = (
        update(Image.__table__)
        .where(Image.__table__.c.id == bindparam("b_id"))
        .values(hot_score=bindparam("b_score"))
    )
    db.session.execute(statement, scores)
