"""Daily picks: scheduled by moderators, else chosen automatically from the hot list.

Positions start at 1. Callers commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from gallery.caching import cache
from gallery.errors import BadRequest, Conflict
from gallery.extensions import db
from gallery.feeds.latest import hot_ids, images_by_ids
from gallery.models import VISIBLE, Image, Pick, User, today, utcnow
from gallery.moderation.actions import audit
from gallery.signals import pick_scheduled, picks_changed


def pick_state(pick: Pick) -> dict[str, Any]:
    return {
        "date": pick.date.isoformat(),
        "image_id": pick.image_id,
        "position": pick.position,
        "automatic": pick.automatic,
    }


def picks_of(date: dt.date) -> list[Pick]:
    """Every pick row of a date in position order (hidden images included)."""
    return list(
        db.session.scalars(select(Pick).where(Pick.date == date).order_by(Pick.position, Pick.id))
    )


def _renumber(picks: list[Pick]) -> None:
    for number, pick in enumerate(picks, start=1):
        pick.position = number


def _changed(date: dt.date) -> None:
    db.session.flush()
    picks_changed.send(current_app._get_current_object(), date=date)


def _audit(
    actor: User | None, origin: str, action: str, pick: Pick, before: Any, after: Any
) -> None:
    audit(actor, origin, action, "pick", pick.id, before, after)


def schedule_pick(
    date: dt.date,
    image: Image,
    actor: User | None,
    position: int | None = None,
    origin: str = "admin",
) -> Pick:
    """Pick an image for a date (at `position`, else last); scheduled picks replace
    the automatic ones of that date."""
    if image.status != VISIBLE:
        raise BadRequest(_("Only a visible image can be picked."), code="not_visible")
    current = picks_of(date)
    if any(pick.image_id == image.id and not pick.automatic for pick in current):
        raise Conflict(
            _(
                "Image %(id)s is already picked for %(date)s.",
                id=image.id,
                date=date.isoformat(),
            )
        )
    automatic = [pick for pick in current if pick.automatic]
    for pick in automatic:
        db.session.delete(pick)
    current = [pick for pick in current if not pick.automatic]
    db.session.flush()
    pick = Pick(
        date=date,
        image_id=image.id,
        automatic=False,
        created_at=utcnow(),
        scheduled_by_id=actor.id if actor is not None else None,
    )
    index = len(current) if position is None else max(0, min(len(current), position - 1))
    current.insert(index, pick)
    _renumber(current)
    db.session.add(pick)
    db.session.flush()
    _audit(actor, origin, "pick.schedule", pick, None, pick_state(pick))
    pick_scheduled.send(current_app._get_current_object(), image=image, actor=actor, date=date)
    _changed(date)
    return pick


def remove_pick(pick: Pick, actor: User | None, origin: str = "admin") -> None:
    """Take a pick off its date and close the gap."""
    date, before = pick.date, pick_state(pick)
    _audit(actor, origin, "pick.remove", pick, before, None)
    db.session.delete(pick)
    db.session.flush()
    _renumber(picks_of(date))
    _changed(date)


def move_pick(pick: Pick, position: int, actor: User | None, origin: str = "admin") -> Pick:
    """Move a pick to `position` (1 = first) within its date."""
    before = pick_state(pick)
    others = [other for other in picks_of(pick.date) if other.id != pick.id]
    others.insert(max(0, min(len(others), position - 1)), pick)
    _renumber(others)
    _audit(actor, origin, "pick.move", pick, before, pick_state(pick))
    _changed(pick.date)
    return pick


def picks_per_day() -> int:
    return int(current_app.config["PICKS_PER_DAY"])


def automatic_candidates(count: int, now: dt.datetime | None = None) -> list[Image]:
    """The top hot images of the last 24 hours, topped up with the hottest older ones."""
    now = now or utcnow()
    ranked = images_by_ids(hot_ids())
    since = now - dt.timedelta(hours=24)
    recent = [image for image in ranked if since <= image.created_at <= now]
    if len(recent) < count:
        recent_db = db.session.scalars(
            select(Image)
            .where(Image.status == VISIBLE, Image.created_at >= since, Image.created_at <= now)
            .order_by(Image.hot_score.desc(), Image.id.desc())
            .limit(count)
        ).all()
        recent += [image for image in recent_db if image not in recent]
    older = [image for image in ranked if image not in recent and image.created_at <= now]
    return (recent + older)[:count]


def ensure_automatic_picks(date: dt.date, now: dt.datetime | None = None) -> list[Pick]:
    """When nothing is picked for `date`, record the automatic picks; returns the new rows."""
    exists = db.session.scalar(select(func.count(Pick.id)).where(Pick.date == date))
    if exists:
        return []
    count = picks_per_day()
    created = []
    try:
        with db.session.begin_nested():
            for position, image in enumerate(automatic_candidates(count, now), start=1):
                pick = Pick(
                    date=date,
                    image_id=image.id,
                    position=position,
                    automatic=True,
                    created_at=utcnow(),
                )
                db.session.add(pick)
                created.append(pick)
    except (IntegrityError, OperationalError):  # another worker is recording them
        return []
    if created:
        app = current_app._get_current_object()
        for pick in created:  # the owners hear of it as of a moderator's pick
            pick_scheduled.send(app, image=pick.image, actor=None, date=date)
        _changed(date)
    return created


def pick_ids(date: dt.date) -> list[int]:
    """Image ids picked for a date. When nothing is recorded for today, the automatic
    choice is computed without writing it: `flask picks auto` (or the Operations page)
    records it, so a GET never writes."""
    ids = list(
        db.session.scalars(
            select(Pick.image_id).where(Pick.date == date).order_by(Pick.position, Pick.id)
        )
    )
    if not ids and date == today():
        ids = [image.id for image in automatic_candidates(picks_per_day())]
    return ids


def picks_for(date: dt.date) -> list[Image]:
    """The visible picked images of a date (an id list cached, hydrated per call)."""
    ttl = int(current_app.config["PICKS_CACHE_SECONDS"])
    return images_by_ids(
        cache.remember(cache.key("picks", date.isoformat()), lambda: pick_ids(date), ttl)
    )


def clear_automatic(date: dt.date) -> int:
    """Forget a date's automatic picks (they are chosen again on the next visit)."""
    removed = db.session.execute(
        delete(Pick).where(Pick.date == date, Pick.automatic.is_(True))
    ).rowcount
    if removed:
        _changed(date)
    return removed
