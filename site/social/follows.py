"""Following: members follow members; counts for profiles (callers check and commit)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from gallery.caching import cache
from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.models import NOTIFY_FOLLOW, Follow, User, utcnow
from gallery.social import notifications


def is_following(user: Any, target: User) -> bool:
    """Whether the (possibly anonymous) user follows `target`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Follow.follower_id).where(
                Follow.follower_id == user.id, Follow.followed_id == target.id
            )
        )
        is not None
    )


def counts(user: User) -> dict[str, int]:
    """{"followers": n, "following": n} of one member, in one statement."""
    followers = (
        select(func.count()).select_from(Follow).where(Follow.followed_id == user.id)
    ).scalar_subquery()
    following = (
        select(func.count()).select_from(Follow).where(Follow.follower_id == user.id)
    ).scalar_subquery()
    row = db.session.execute(select(followers, following)).one()
    return {"followers": int(row[0]), "following": int(row[1])}


def follow(user: User, target: User) -> dict[str, Any]:
    """Follow `target` (twice changes nothing): {"following": true, "followers": n}."""
    if user.id == target.id:
        raise BadRequest(_("You cannot follow yourself."), code="self_follow")
    if not is_following(user, target):
        try:
            with db.session.begin_nested():
                db.session.add(
                    Follow(follower_id=user.id, followed_id=target.id, created_at=utcnow())
                )
        except IntegrityError:  # a concurrent request followed first
            pass
        else:
            notifications.notify(target, NOTIFY_FOLLOW, actor=user)
            cache.bump_generation()  # cached profile pages show the new count
    return {"following": True, "followers": counts(target)["followers"]}


def unfollow(user: User, target: User) -> dict[str, Any]:
    """Stop following (not following: nothing changes)."""
    removed = db.session.execute(
        delete(Follow).where(Follow.follower_id == user.id, Follow.followed_id == target.id)
    ).rowcount
    if removed:
        cache.bump_generation()
    return {"following": False, "followers": counts(target)["followers"]}


def followed_ids(user: User) -> list[int]:
    """The ids of the members `user` follows."""
    return list(db.session.scalars(select(Follow.followed_id).where(Follow.follower_id == user.id)))
