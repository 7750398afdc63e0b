"""Dashboard figures: per-day counts from the database and the geometry of their SVG charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds.hot import PENDING_VIEWS_KEY
from gallery.models import PENDING, Comment, DailyViews, Image, User, utcnow

DAYS = 30
WIDTH, HEIGHT, PAD = 600, 140, 22


def per_day(
    column: Any, days: int = DAYS, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """Rows per UTC day of `column` (a DateTime column) for the last `days` days, gaps as 0."""
    today = today or utcnow().date()
    start = today - dt.timedelta(days=days - 1)
    day = func.date(column)
    found = {
        str(value)[:10]: n
        for value, n in db.session.execute(
            select(day, func.count())
            .where(column >= dt.datetime.combine(start, dt.time()))
            .group_by(day)
        )
    }
    return [
        (start + dt.timedelta(days=i), found.get((start + dt.timedelta(days=i)).isoformat(), 0))
        for i in range(days)
    ]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    date: dt.date
    value: int


@dataclass
class Chart:
    """A bar chart laid out for inline SVG (the template only draws what is here)."""

    title: str
    bars: list[Bar]
    total: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def first(self) -> dt.date:
        return self.bars[0].date

    @property
    def last(self) -> dt.date:
        return self.bars[-1].date


def chart(title: str, series: list[tuple[dt.date, int]]) -> Chart:
    """Scale a day series into bars that fill WIDTH × HEIGHT with room for labels."""
    peak = max((n for _, n in series), default=0)
    inner_h = HEIGHT - 2 * PAD
    step = (WIDTH - 2 * PAD) / max(len(series), 1)
    bars = []
    for i, (date, n) in enumerate(series):
        h = inner_h * n / peak if peak else 0
        bars.append(
            Bar(
                x=round(PAD + i * step + 1, 1),
                y=round(PAD + inner_h - h, 1),
                width=round(max(step - 2, 1), 1),
                height=round(h, 1),
                date=date,
                value=n,
            )
        )
    return Chart(title=title, bars=bars, total=sum(n for _, n in series), peak=peak)


def buffered_views() -> int:
    """Views waiting in Redis for the next flush (0 without Redis)."""
    values = cache.guarded(lambda: redis_store.client.hvals(PENDING_VIEWS_KEY), None) or []
    return sum(int(value) for value in values)


def views_per_day(days: int = DAYS, today: dt.date | None = None) -> list[tuple[dt.date, int]]:
    """Views per UTC day from the daily_views table, gaps as 0."""
    today = today or utcnow().date()
    start = today - dt.timedelta(days=days - 1)
    found = dict(
        db.session.execute(
            select(DailyViews.date, DailyViews.views).where(DailyViews.date >= start)
        ).all()
    )
    # views counted but not flushed yet belong to today, as on every other page
    found[today] = found.get(today, 0) + buffered_views()
    return [
        (start + dt.timedelta(days=i), found.get(start + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


def charts(today: dt.date | None = None) -> list[Chart]:
    """The 30-day charts of the dashboard."""
    return [
        chart(_("Uploads"), per_day(Image.created_at, today=today)),
        chart(_("Views"), views_per_day(today=today)),
        chart(_("Comments"), per_day(Comment.created_at, today=today)),
        chart(_("Sign-ups"), per_day(User.create_datetime, today=today)),
    ]


def storage_used() -> int:
    """Bytes of every stored image (byte_size sums the variants the uploads service stored)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Image.byte_size), 0))) or 0)


def pending_count() -> int:
    return db.session.scalar(select(func.count(Image.id)).where(Image.status == PENDING)) or 0
