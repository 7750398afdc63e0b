"""Notifications: likes, comments, follows, picks and moderator hides of a member's work.

Likes of one image gather in one unread row ("alice and 3 others liked your
image"). The unread count lives in Redis (a page view reads it without a
statement); it is counted from the database only when Redis lost it, and
dropped when a hidden item takes notifications away. Callers commit.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds.latest import encode_cursor, keyset
from gallery.models import (
    NOTIFY_FOLLOW,
    NOTIFY_HIDDEN,
    NOTIFY_LIKE,
    NOTIFY_PICK,
    VISIBLE,
    Comment,
    Image,
    Notification,
    User,
    utcnow,
)
from gallery.signals import content_hidden, image_changed, pick_scheduled

UNREAD_PREFIX = "gallery:notifications:unread:"
UNREAD_TTL = 7 * 24 * 3600
PENDING_KEY = "gallery_notifications_pending"
ACTORS_KEPT = 50
#: kinds shown even when their item is hidden (they are about that)
ALWAYS_SHOWN = (NOTIFY_FOLLOW, NOTIFY_HIDDEN)


def _pending(session: Session) -> dict[int, int]:
    """Per recipient: unread rows added (n ≥ 0), or -1 to recount, applied after commit."""
    return session.info.setdefault(PENDING_KEY, {})


def notify(
    recipient: User | int | None,
    kind: str,
    *,
    actor: User | None = None,
    image: Image | None = None,
    comment: Comment | None = None,
    reason: str | None = None,
) -> Notification | None:
    """Tell `recipient` about something; nothing for their own actions. Likes of the same
    image join the unread row already there."""
    recipient_id = recipient if isinstance(recipient, int) or recipient is None else recipient.id
    if recipient_id is None or (actor is not None and actor.id == recipient_id):
        return None
    now = utcnow()
    if kind == NOTIFY_LIKE and image is not None and actor is not None:
        group = db.session.scalar(
            select(Notification)
            .where(
                Notification.user_id == recipient_id,
                Notification.kind == NOTIFY_LIKE,
                Notification.image_id == image.id,
                Notification.read_at.is_(None),
            )
            .limit(1)
        )
        if group is not None:
            actors = list(group.actor_ids or [])
            if actor.id not in actors:
                actors = [actor.id, *actors][:ACTORS_KEPT]
                group.actor_count += 1
            group.actor_ids = actors
            group.actor_id = actor.id
            group.created_at = now
            return group
    notification = Notification(
        user_id=recipient_id,
        kind=kind,
        actor_id=actor.id if actor is not None else None,
        actor_ids=[actor.id] if actor is not None else None,
        actor_count=1 if actor is not None else 0,
        image_id=image.id if image is not None else None,
        comment_id=comment.id if comment is not None else None,
        reason=(reason or None) and reason[:255],
        created_at=now,
    )
    db.session.add(notification)
    pending = _pending(db.session())
    if pending.get(recipient_id, 0) >= 0:
        pending[recipient_id] = pending.get(recipient_id, 0) + 1
    return notification


def recount_later(user_id: int) -> None:
    """Forget the cached unread count of a member after the commit."""
    _pending(db.session())[user_id] = -1


def _shown() -> Any:
    """Rows whose item is still visible (or that are about the hiding itself)."""
    return or_(
        Notification.kind.in_(ALWAYS_SHOWN),
        and_(
            Image.status == VISIBLE,
            or_(Notification.comment_id.is_(None), Comment.status == VISIBLE),
        ),
    )


def _visible(statement: Any) -> Any:
    return (
        statement.outerjoin(Image, Image.id == Notification.image_id)
        .outerjoin(Comment, Comment.id == Notification.comment_id)
        .where(_shown())
    )


def count_unread(user_id: int) -> int:
    """Unread notifications whose item is visible, from the database."""
    statement = _visible(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
    return int(db.session.scalar(statement) or 0)


def unread_count(user: Any) -> int:
    """The bell's number: from Redis, counted from the database only when Redis lost it
    (0 for visitors)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = f"{UNREAD_PREFIX}{user.id}"
    cached = cache.guarded(lambda: redis_store.client.get(key), None)
    if cached is not None:
        return max(int(cached), 0)
    count = count_unread(user.id)
    cache.guarded(lambda: redis_store.client.set(key, count, ex=UNREAD_TTL), None)
    return count


def notifications_page(user: User, cursor: str | None, limit: int) -> Any:
    """A member's notifications, newest first, keyset-paged (gallery.feeds.latest.Page),
    with actors, images and comments loaded in the same statement."""
    statement = _visible(
        select(Notification, Image, Comment)
        .where(Notification.user_id == user.id)
        .options(joinedload(Notification.actor))
    )
    statement = keyset(statement, cursor, Notification.created_at, Notification.id, True)
    rows = db.session.execute(statement.limit(limit + 1)).unique().all()
    items = [row[0] for row in rows]
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
    return items, next_cursor


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark all (or the given) unread notifications of a member read; returns how many."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    changed = db.session.execute(
        statement.values(read_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    recount_later(user.id)
    return int(changed or 0)


def notification_json(item: Notification) -> dict[str, Any]:
    """One notification for the API (texts are built by the page and the script)."""
    actor = item.actor
    return {
        "id": item.id,
        "kind": item.kind,
        "actor": {"username": actor.username, "url": f"/u/{actor.username}"} if actor else None,
        "others": max(item.actor_count - 1, 0),
        "image": {"id": item.image_id, "url": f"/images/{item.image_id}"}
        if item.image_id
        else None,
        "comment": item.comment.body if item.comment is not None else None,
        "reason": item.reason,
        "created_at": item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "read": item.read_at is not None,
    }


# --- keeping the count right ------------------------------------------------


def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return

    def apply() -> None:
        client = redis_store.client
        stale = [f"{UNREAD_PREFIX}{uid}" for uid, added in pending.items() if added < 0]
        if stale:
            client.delete(*stale)
        for user_id, added in pending.items():
            key = f"{UNREAD_PREFIX}{user_id}"
            # only a count that exists is raised; a missing one is counted when read
            if added > 0 and client.exists(key):
                client.incrby(key, added)

    cache.guarded(apply, None)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def _on_image_changed(sender: Any, image_id: int, reason: str = "", **_: Any) -> None:
    """A hidden, restored or purged image (or comment) changes what its owner sees."""
    if reason in ("interaction", "created", "edit", "tag"):
        return
    image = db.session.get(Image, image_id) if image_id else None
    if image is not None:
        recount_later(image.user_id)


def _on_content_hidden(
    sender: Any,
    user_id: int,
    actor: User | None = None,
    image_id: int | None = None,
    comment_id: int | None = None,
    reason: str = "",
    **_: Any,
) -> None:
    """A moderator hid a member's image or comment: tell them, with the reason."""
    notify(
        user_id,
        NOTIFY_HIDDEN,
        actor=actor,
        image=db.session.get(Image, image_id) if image_id else None,
        comment=db.session.get(Comment, comment_id) if comment_id else None,
        reason=reason,
    )


def _on_pick_scheduled(sender: Any, image: Image, actor: User | None, date: Any, **_: Any) -> None:
    """A moderator picked a member's image for a date."""
    notify(image.user_id, NOTIFY_PICK, actor=actor, image=image, reason=date.isoformat())


def init_app(app: Flask) -> None:
    """Connect the notices and the count keeping to the signals and the Session (once
    per process)."""
    image_changed.connect(_on_image_changed, weak=False)
    content_hidden.connect(_on_content_hidden, weak=False)
    pick_scheduled.connect(_on_pick_scheduled, weak=False)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
