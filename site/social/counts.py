"""Counter drift: Image.comment_count and like_count against the rows they count
(visible comments, likes); `flask counts check` reports it and `--fix` repairs it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from gallery.extensions import db
from gallery.models import VISIBLE, Comment, Image, Like
from gallery.signals import image_changed


@dataclass(frozen=True)
class Drift:
    image_id: int
    counter: str  # comment_count | like_count
    stored: int
    actual: int


def _actual_comments() -> object:
    return (
        select(func.count(Comment.id))
        .where(Comment.image_id == Image.id, Comment.status == VISIBLE)
        .scalar_subquery()
    )


def _actual_likes() -> object:
    return select(func.count()).select_from(Like).where(Like.image_id == Image.id).scalar_subquery()


def find_drift() -> list[Drift]:
    """Every image whose stored counters differ from the rows, in id order."""
    comments, likes = _actual_comments(), _actual_likes()
    query = (
        select(Image.id, Image.comment_count, comments, Image.like_count, likes)
        .where((Image.comment_count != comments) | (Image.like_count != likes))
        .order_by(Image.id)
    )
    drift = []
    for image_id, stored_comments, real_comments, stored_likes, real_likes in db.session.execute(
        query
    ):
        if stored_comments != real_comments:
            drift.append(Drift(image_id, "comment_count", stored_comments, real_comments))
        if stored_likes != real_likes:
            drift.append(Drift(image_id, "like_count", stored_likes, real_likes))
    return drift


def fix_drift(drift: list[Drift]) -> None:
    """Recount the drifted images in SQL (concurrent changes are not overwritten by
    stale numbers) and drop them from the caches. Caller commits."""
    ids = sorted({d.image_id for d in drift})
    if not ids:
        return
    db.session.execute(
        update(Image)
        .where(Image.id.in_(ids))
        .values(comment_count=_actual_comments(), like_count=_actual_likes())
        .execution_options(synchronize_session=False)
    )
    app = current_app._get_current_object()
    for image_id in ids:
        image_changed.send(app, image_id=image_id, reason="recount")
