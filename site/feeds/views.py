"""View counting: deduplicated per visitor, bots ignored, buffered in Redis, batch-flushed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
import uuid
from typing import Any

from flask import Request, current_app
from flask_security import current_user
from sqlalchemy import bindparam, select, update

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds.hot import PENDING_VIEWS_KEY, HotEntry, born_of, bump_hot, points_of
from gallery.models import DailyViews, Image, utcnow

SEEN_PREFIX = "gallery:views:seen:"
TOTAL_KEY = "gallery:views:pending-total"
BATCH_STARTED_KEY = "gallery:views:batch-started"
BOT_PATTERN = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|facebookexternalhit|bingpreview|embedly|headless|"
    r"python-requests|python-urllib|curl/|wget/|httpclient|go-http-client|okhttp|"
    r"lighthouse|pingdom|uptime|monitor|preview|scrapy",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """Known crawlers, scripts and monitors (and an empty user agent) are not counted."""
    return not user_agent or bool(BOT_PATTERN.search(user_agent))


def visitor_key(request: Request) -> str:
    """The member's id, or a keyed hash of IP and user agent (no raw IP is stored)."""
    if current_user and current_user.is_authenticated:
        return f"u{current_user.id}"
    secret = current_app.config["SECRET_KEY"].encode()
    material = f"{request.remote_addr}|{request.user_agent.string}".encode()
    return "v" + hmac.new(secret, material, hashlib.sha256).hexdigest()[:24]


def seen_key(image: Image, request: Request) -> str:
    """The Redis key that marks this visitor as counted for `image` (VIEW_DEDUP_SECONDS)."""
    return f"{SEEN_PREFIX}{image.id}:{visitor_key(request)}"


def mark_seen(image: Image, request: Request, counts: bool) -> tuple[bool, int] | None:
    """In one Redis round trip: mark this visitor as seen for `image` (when `counts`) and
    read the image's buffered views; (first view in the window, buffered views), or None
    without Redis."""

    def read() -> list[Any]:
        pipe = redis_store.client.pipeline(transaction=False)
        pipe.hget(PENDING_VIEWS_KEY, image.id)
        if counts:
            seconds = int(current_app.config["VIEW_DEDUP_SECONDS"])
            pipe.set(seen_key(image, request), b"1", nx=True, ex=seconds)
        return pipe.execute()

    answers = cache.guarded(read, None)
    if answers is None:
        return None
    return counts and bool(answers[1]), int(answers[0] or 0)


def record_view(image: Image, request: Request) -> bool:
    """Count one view of `image` unless this visitor was counted in the last 30 minutes
    or is a bot; True when it counted. Without Redis nothing is counted."""
    marked = mark_seen(image, request, not is_bot(request.user_agent.string))
    return marked is not None and marked[0] and counted(image)


def views_with_this_one(image: Image, request: Request) -> int:
    """The views the image page shows: stored, buffered in Redis (read before this view
    may flush them) and this view when it counts (record_view's rules, public images
    only), in one Redis round trip when it does not count."""
    counts = image.is_public and not is_bot(request.user_agent.string)
    marked = mark_seen(image, request, counts)
    if marked is None:
        return image.views
    first, buffered = marked
    return image.views + buffered + (1 if first and counted(image) else 0)


def counted(image: Image) -> bool:
    """Add a view of `image`, its visitor just marked as seen: buffered in Redis, the hot
    score bumped, and the buffer flushed when it is full or old. False without Redis."""
    config = current_app.config

    def count() -> tuple[int, float] | None:
        client = redis_store.client
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(PENDING_VIEWS_KEY, image.id, 1)
        pipe.incr(TOTAL_KEY)
        pipe.set(BATCH_STARTED_KEY, time.time(), nx=True)
        pipe.get(BATCH_STARTED_KEY)
        _, total, _, started = pipe.execute()
        return int(total), float(started)

    buffered = cache.guarded(count, None)
    if buffered is None:
        return False
    bump_hot(image.id, 1.0, image.created_at)
    total, started = buffered
    batch_age = time.time() - started
    if total >= int(config["VIEW_FLUSH_EVERY"]) or batch_age >= int(config["VIEW_FLUSH_SECONDS"]):
        flush_views()
    return True


def flush_views() -> int:
    """Move buffered views into Image.views in one batch; returns the views written.

    The pending hash is renamed first, so views counted meanwhile go to a new one;
    if the database write fails the batch is added back.
    """
    client = redis_store.client
    batch_key = f"{PENDING_VIEWS_KEY}:flushing:{uuid.uuid4().hex}"

    def take() -> dict[int, int]:
        try:
            client.rename(PENDING_VIEWS_KEY, batch_key)
        except Exception as error:  # noqa: BLE001 - "no such key": nothing to flush
            if "no such key" in str(error).lower():
                return {}
            raise
        client.delete(TOTAL_KEY, BATCH_STARTED_KEY)
        return {int(k): int(v) for k, v in client.hgetall(batch_key).items()}

    counts = cache.guarded(take, {})
    if not counts:
        return 0
    try:
        write_views(counts)
    except Exception:
        pipe = client.pipeline(transaction=False)
        for image_id, views in counts.items():
            pipe.hincrby(PENDING_VIEWS_KEY, image_id, views)
        cache.guarded(pipe.execute, None)
        raise
    cache.guarded(lambda: client.delete(batch_key), None)
    return sum(counts.values())


def write_views(counts: dict[int, int]) -> None:
    """Add the counts and refresh hot_score, in a transaction of its own."""
    table = Image.__table__
    with db.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(views=table.c.views + bindparam("b_views")),
            [{"b_id": k, "b_views": v} for k, v in counts.items()],
        )
        rows = connection.execute(
            select(
                table.c.id,
                table.c.views,
                table.c.comment_count,
                table.c.like_count,
                table.c.created_at,
            ).where(table.c.id.in_(list(counts)))
        ).all()
        record_daily_views(connection, sum(counts.values()))
        scores: list[dict[str, Any]] = []
        for image_id, views, comments, likes, created_at in rows:
            entry = HotEntry(points_of(views, comments, likes), born_of(created_at))
            scores.append({"b_id": image_id, "b_score": entry.score})
        if scores:
            connection.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(hot_score=bindparam("b_score")),
                scores,
            )


def record_daily_views(connection: Any, views: int, day: dt.date | None = None) -> None:
    """Add `views` to the day's total (the dashboard's chart) inside the caller's
    transaction."""
    if views <= 0:
        return
    day = day or utcnow().date()
    table = DailyViews.__table__
    updated = connection.execute(
        table.update().where(table.c.date == day).values(views=table.c.views + views)
    )
    if updated.rowcount == 0:
        connection.execute(table.insert().values(date=day, views=views))
