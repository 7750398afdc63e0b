"""Comments and likes, called by the image page and the API (callers check and commit)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from gallery.errors import BadRequest, NotFound
from gallery.extensions import db
from gallery.feeds.cards import comment_authors, image_author
from gallery.feeds.latest import page_of
from gallery.models import NOTIFY_COMMENT, NOTIFY_LIKE, VISIBLE, Comment, Image, Like, User, utcnow
from gallery.roles import can
from gallery.signals import image_changed
from gallery.social import notifications
from gallery.urls import is_shop_url

COMMENT_MAX = 1000


def visible_image(image_id: int, *, include_hidden: bool = False) -> Image:
    """The image, or NotFound when it does not exist or is not public."""
    image = db.session.get(Image, image_id, options=[image_author()])
    if image is None or (image.status != VISIBLE and not include_hidden):
        raise NotFound(_("There is no such image."))
    return image


def image_for_viewer(image_id: int) -> Image:
    """The image, when the current user may see it: hidden and pending ones are
    NotFound (404) for everyone without image-hide."""
    return visible_image(image_id, include_hidden=can("image-hide"))


def follow_shop_link(image_id: int) -> str:
    """Count one click on a public image's shop link (in SQL: no lost update); return the link.

    Stored links are checked on the way in and again here, so /go can never become a
    javascript: or protocol-relative redirect. Caller commits.
    """
    image = visible_image(image_id)
    if not image.shop_url or not is_shop_url(image.shop_url):
        raise NotFound(_("This image has no shop link."))
    db.session.execute(
        update(Image).where(Image.id == image.id).values(shop_clicks=Image.shop_clicks + 1)
    )
    return image.shop_url


def clean_body(body: Any) -> str:
    """A comment body: text, 1–1000 characters once trimmed (kept as plain text)."""
    if not isinstance(body, str):
        raise BadRequest(_("A comment needs a text body."), code="bad_comment")
    body = body.strip()
    if not body:
        raise BadRequest(_("A comment cannot be empty."), code="bad_comment")
    if len(body) > COMMENT_MAX:
        raise BadRequest(
            _(
                "A comment can be at most %(max)s characters long (this one has %(length)s).",
                max=COMMENT_MAX,
                length=len(body),
            ),
            code="bad_comment",
        )
    return body


def create_comment(user: User, image: Image, body: Any) -> Comment:
    """Add a comment to a visible image and count it; the caller commits."""
    if image.status != VISIBLE:
        raise NotFound(_("There is no such image."))
    comment = Comment(
        image_id=image.id, user_id=user.id, body=clean_body(body), created_at=utcnow()
    )
    comment.author = user
    db.session.add(comment)
    _adjust(image, comment_count=1)
    db.session.flush()
    notifications.notify(image.user_id, NOTIFY_COMMENT, actor=user, image=image, comment=comment)
    return comment


def like(user: User, image: Image) -> dict[str, Any]:
    """Like a visible image (liking twice changes nothing): {"liked", "like_count"}."""
    if image.status != VISIBLE:
        raise NotFound(_("There is no such image."))
    exists = db.session.scalar(
        select(Like.user_id).where(Like.user_id == user.id, Like.image_id == image.id)
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(Like(user_id=user.id, image_id=image.id, created_at=utcnow()))
        except IntegrityError:  # a concurrent request liked it first
            pass
        else:
            _adjust(image, like_count=1)
            notifications.notify(image.user_id, NOTIFY_LIKE, actor=user, image=image)
    return {"liked": True, "like_count": image.like_count}


def unlike(user: User, image: Image) -> dict[str, Any]:
    """Take a like back (no like: nothing changes): {"liked": false, "like_count"}."""
    if image.status != VISIBLE:
        raise NotFound(_("There is no such image."))
    removed = db.session.execute(
        delete(Like).where(Like.user_id == user.id, Like.image_id == image.id)
    ).rowcount
    if removed:
        _adjust(image, like_count=-1)
    return {"liked": False, "like_count": image.like_count}


def has_liked(user: Any, image: Image) -> bool:
    """Whether the (possibly anonymous) user likes the image."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Like.user_id).where(Like.user_id == user.id, Like.image_id == image.id)
        )
        is not None
    )


def _adjust(image: Image, **deltas: int) -> None:
    """Change counters in SQL (no lost updates), reload them, re-rank the image."""
    column = Image.__table__.c
    values = {name: getattr(column, name) + delta for name, delta in deltas.items()}
    db.session.execute(update(Image.__table__).where(column.id == image.id).values(**values))
    db.session.refresh(image, list(deltas))
    image_changed.send(current_app._get_current_object(), image_id=image.id, reason="interaction")


def comments_page(image: Image, cursor: str | None, limit: int) -> Any:
    """Visible comments of an image, oldest first, keyset-paged (gallery.feeds.latest.Page)."""
    statement = (
        select(Comment)
        .where(Comment.image_id == image.id, Comment.status == VISIBLE)
        .options(comment_authors())
    )
    return page_of(statement, cursor, limit, Comment)
