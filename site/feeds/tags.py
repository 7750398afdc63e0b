"""Tag pages, trending tags (decaying like the hot score) and tag suggestions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from gallery.caching import cache
from gallery.errors import NotFound
from gallery.extensions import db
from gallery.feeds.cards import with_authors
from gallery.feeds.latest import DEFAULT_LIMIT, PENDING_KEY, Page, page_of
from gallery.media.captions import normalise_tag
from gallery.models import VISIBLE, Image, ImageTag, Tag, User, utcnow

TRENDING_SIZE = 12
TRENDING_WINDOW_DAYS = 7
TRENDING_ROWS = 5000  # the newest tag uses looked at (bounds the work at any size)
SUGGESTIONS = 8


def find_tag(name: str) -> Tag:
    """The tag of a name as typed (#, case and all), else NotFound (404)."""
    normal = normalise_tag(name)
    tag = db.session.scalar(select(Tag).where(Tag.name == normal)) if normal else None
    if tag is None:
        raise NotFound(_("No image carries that tag yet."))
    return tag


def tag_page(tag: Tag, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """A tag's visible images, newest first (keyset on the tag's copy of their keys)."""
    statement = with_authors(
        select(Image)
        .join(ImageTag, ImageTag.image_id == Image.id)
        .where(ImageTag.tag_id == tag.id, Image.status == VISIBLE)
    )
    return page_of(
        statement, cursor, limit, Image, columns=(ImageTag.created_at, ImageTag.image_id)
    )


def compute_trending(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Tags of the last week's visible images; each use counts 2^(−age / half-life),
    the half-life of the hot score. Tags a moderator took out are skipped."""
    now = now or utcnow()
    half_life = float(current_app.config["HOT_HALF_LIFE_HOURS"]) * 3600
    since = now - dt.timedelta(days=TRENDING_WINDOW_DAYS)
    rows = db.session.execute(
        select(Tag.name, ImageTag.created_at)
        .join(Tag, Tag.id == ImageTag.tag_id)
        .join(Image, Image.id == ImageTag.image_id)
        .where(
            ImageTag.created_at >= since,
            Image.status == VISIBLE,
            Tag.hidden_from_trending.is_(False),
        )
        .order_by(ImageTag.created_at.desc())
        .limit(TRENDING_ROWS)
    ).all()
    scores: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for name, created_at in rows:
        age = max((now - created_at).total_seconds(), 0.0)
        scores[name] += 2 ** (-age / half_life)
        counts[name] += 1
    ranked = sorted(scores, key=lambda name: (-scores[name], name))[:TRENDING_SIZE]
    return [
        {"name": name, "score": round(scores[name], 4), "count": counts[name]} for name in ranked
    ]


def trending_tags() -> list[dict[str, Any]]:
    """The trending tags, cached in Redis (TRENDING_CACHE_SECONDS); hiding an image or a
    tag starts a new cache generation, so they leave at once."""
    ttl = int(current_app.config["TRENDING_CACHE_SECONDS"])
    return cache.remember(cache.key("trending-tags"), compute_trending, ttl)


def suggest_tags(prefix: str) -> list[dict[str, Any]]:
    """Up to 8 tags starting with `prefix` (for autocomplete), most used first."""
    normal = normalise_tag(prefix)
    if not normal:
        return []
    escaped = normal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    uses = func.count(ImageTag.image_id).label("uses")
    candidates = (
        select(Tag.id)
        .where(Tag.name.like(escaped + "%", escape="\\"))
        .order_by(Tag.name)
        .limit(200)
        .subquery()
    )
    rows = db.session.execute(
        select(Tag.name, uses)
        .join(candidates, candidates.c.id == Tag.id)
        .outerjoin(ImageTag, ImageTag.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name)
        .order_by(uses.desc(), Tag.name)
        .limit(SUGGESTIONS)
    ).all()
    return [{"name": name, "count": count} for name, count in rows]


def set_trending_hidden(tag: Tag, hidden: bool, actor: User | None) -> bool:
    """Keep a tag out of trending (or let it back); False when nothing changed.
    The caller audits and commits."""
    if tag.hidden_from_trending == hidden:
        return False
    tag.hidden_from_trending = hidden
    db.session.flush()
    cache.bump_generation()
    # and once more after the commit (see gallery.feeds.latest._after_commit)
    db.session().info.setdefault(PENDING_KEY, {})
    return True


def tags_of(image_id: int) -> list[str]:
    """The tag names of one image."""
    return list(
        db.session.scalars(
            select(Tag.name)
            .join(ImageTag, ImageTag.tag_id == Tag.id)
            .where(ImageTag.image_id == image_id)
        )
    )
