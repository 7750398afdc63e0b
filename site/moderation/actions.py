"""Moderation services: hide, restore and purge images and comments, the crawl queue,
and the audit log every one of them writes. Callers commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from gallery.errors import BadRequest, Forbidden, NotFound
from gallery.extensions import db
from gallery.formats import iso_utc
from gallery.media import captions
from gallery.media.ingest import SweepReport, delete_files_after_commit, remove_files
from gallery.models import (
    HIDDEN,
    PENDING,
    REJECTED,
    VISIBLE,
    Album,
    AlbumImage,
    AuditLog,
    Comment,
    Image,
    Like,
    Pick,
    Report,
    User,
    utcnow,
)
from gallery.roles import can
from gallery.signals import content_hidden, image_changed, picks_changed
from gallery.urls import clean_shop_url

ORIGINS = ("admin", "page", "api", "cli", "job")

# Image states a moderator may hide, and the ones Restore brings back.
HIDEABLE = (VISIBLE, PENDING)
RESTORABLE = (HIDDEN, REJECTED)


# --- the audit log ---------------------------------------------------------


def audit(
    actor: User | None,
    origin: str,
    action: str,
    target_type: str,
    target_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditLog:
    """Add one audit entry (who, from where, what, on which target, state before/after)."""
    if origin not in ORIGINS:
        raise BadRequest(f"Unknown audit origin {origin!r}; expected one of {', '.join(ORIGINS)}.")
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.handle if actor is not None else "system",
        origin=origin,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def image_state(image: Image) -> dict[str, Any]:
    """The parts of an image a moderator can change, as JSON for the audit log."""
    return {
        "status": image.status,
        "caption": image.caption,
        "shop_url": image.shop_url,
        "shop_title": image.shop_title,
        "hidden_at": iso_utc(image.hidden_at) or None,
        "hidden_by_id": image.hidden_by_id,
        "author_id": image.user_id,
        "storage_key": image.storage_key,
    }


def comment_state(comment: Comment) -> dict[str, Any]:
    """A comment as JSON for the audit log."""
    return {
        "status": comment.status,
        "image_id": comment.image_id,
        "author_id": comment.user_id,
        "body": comment.body,
        "hidden_at": iso_utc(comment.hidden_at) or None,
    }


def _changed(image_id: int, reason: str) -> None:
    """Tell the feeds (and every other listener) to drop the image from their caches."""
    image_changed.send(current_app._get_current_object(), image_id=image_id, reason=reason)


# --- images ----------------------------------------------------------------


def _set_image_status(
    image: Image, status: str, actor: User | None, origin: str, action: str, reason: str = ""
) -> AuditLog:
    """Change the status, stamp hidden_at/hidden_by, audit, signal."""
    before = image_state(image)
    image.status = status
    if status in (HIDDEN, REJECTED):
        image.hidden_at = utcnow()
        image.hidden_by_id = actor.id if actor is not None else None
    else:
        image.hidden_at = None
        image.hidden_by_id = None
    after = image_state(image)
    if reason:
        after["reason"] = reason
    entry = audit(actor, origin, action, "image", image.id, before, after)
    db.session.flush()
    _changed(image.id, action.split(".", 1)[1])
    return entry


def hide_image(image: Image, actor: User | None, origin: str, reason: str = "") -> bool:
    """Hide a visible or pending image everywhere at once; False when it was not hideable."""
    if image.status not in HIDEABLE:
        return False
    _set_image_status(image, HIDDEN, actor, origin, "image.hide", reason)
    content_hidden.send(
        current_app._get_current_object(),
        user_id=image.user_id,
        actor=actor,
        image_id=image.id,
        comment_id=None,
        reason=reason,
    )
    return True


def delete_image(image_id: int, actor: User, origin: str) -> Image:
    """The author (own-image-delete) or a moderator (image-hide) deletes an image: it is
    hidden (reversible until the retention sweep purges it). Others get NotFound or Forbidden."""
    image = db.session.get(Image, image_id)
    moderator = can("image-hide", actor)
    owner = image is not None and image.user_id == actor.id
    if image is None or (image.status not in HIDEABLE and not (owner or moderator)):
        raise NotFound(_("There is no such image."))
    if not (moderator or (owner and can("own-image-delete", actor))):
        raise Forbidden(_("Only the author or a moderator can delete this image."))
    hide_image(image, actor, origin, reason="deleted by the author" if owner else "")
    return image


def restore_image(image: Image, actor: User | None, origin: str) -> bool:
    """Bring a hidden (or rejected) image back; False when there was nothing to restore."""
    if image.status not in RESTORABLE:
        return False
    _set_image_status(image, VISIBLE, actor, origin, "image.restore")
    return True


def approve_image(image: Image, actor: User | None, origin: str) -> bool:
    """Publish a pending (crawled) image; False when it was not waiting."""
    if image.status not in (PENDING, REJECTED):
        return False
    _set_image_status(image, VISIBLE, actor, origin, "image.approve")
    return True


def reject_image(image: Image, actor: User | None, origin: str, reason: str = "") -> bool:
    """Turn down a pending image; it is purged after the retention period like a hidden one."""
    if image.status != PENDING:
        return False
    _set_image_status(image, REJECTED, actor, origin, "image.reject", reason)
    return True


def _comment_ids_of(image_id: int) -> list[int]:
    return list(db.session.scalars(select(Comment.id).where(Comment.image_id == image_id)))


def purge_image(image: Image, actor: User | None, origin: str) -> None:
    """Delete an image for good: its stored files, comments, likes, picks and reports.

    This is also the explicit "Purge now" action, so it accepts an image in any
    state; the retention sweep (`purge_expired`) only picks hidden/rejected ones.
    The stored files go after the caller's commit, as a "delete-files" job that is
    retried while storage refuses (what never goes, `flask storage sweep` finds).
    """
    image_id = image.id
    before = image_state(image)
    comment_ids = _comment_ids_of(image_id)
    before["comments"] = len(comment_ids)
    delete_files_after_commit(image)
    report_filter = (Report.target_type == "image") & (Report.target_id == image_id)
    if comment_ids:
        report_filter = or_(
            report_filter, (Report.target_type == "comment") & Report.target_id.in_(comment_ids)
        )
    db.session.execute(delete(Report).where(report_filter))
    db.session.execute(delete(Comment).where(Comment.image_id == image_id))
    db.session.execute(delete(Like).where(Like.image_id == image_id))
    db.session.execute(delete(AlbumImage).where(AlbumImage.image_id == image_id))
    db.session.execute(
        update(Album).where(Album.cover_image_id == image_id).values(cover_image_id=None)
    )
    picked_dates = set(db.session.scalars(select(Pick.date).where(Pick.image_id == image_id)))
    db.session.execute(delete(Pick).where(Pick.image_id == image_id))
    db.session.delete(image)
    audit(actor, origin, "image.purge", "image", image_id, before, None)
    db.session.flush()
    _changed(image_id, "purge")
    for date in picked_dates:
        picks_changed.send(current_app._get_current_object(), date=date)


# --- comments --------------------------------------------------------------


def hide_comment(comment: Comment, actor: User | None, origin: str, reason: str = "") -> bool:
    """Hide a visible comment and keep its image's comment_count right."""
    if comment.status != VISIBLE:
        return False
    before = comment_state(comment)
    comment.status = HIDDEN
    comment.hidden_at = utcnow()
    _adjust_count(comment.image_id, -1)
    after = comment_state(comment)
    if reason:
        after["reason"] = reason
    audit(actor, origin, "comment.hide", "comment", comment.id, before, after)
    db.session.flush()
    content_hidden.send(
        current_app._get_current_object(),
        user_id=comment.user_id,
        actor=actor,
        image_id=comment.image_id,
        comment_id=comment.id,
        reason=reason,
    )
    _changed(comment.image_id, "comment.hide")
    return True


def restore_comment(comment: Comment, actor: User | None, origin: str) -> bool:
    """Show a hidden comment again."""
    if comment.status != HIDDEN:
        return False
    before = comment_state(comment)
    comment.status = VISIBLE
    comment.hidden_at = None
    _adjust_count(comment.image_id, +1)
    audit(actor, origin, "comment.restore", "comment", comment.id, before, comment_state(comment))
    db.session.flush()
    _changed(comment.image_id, "comment.restore")
    return True


def purge_comment(comment: Comment, actor: User | None, origin: str) -> None:
    """Delete a comment and the reports on it for good (Purge now, or the retention sweep)."""
    before = comment_state(comment)
    comment_id, image_id = comment.id, comment.image_id
    if comment.status == VISIBLE:
        _adjust_count(image_id, -1)
    db.session.execute(
        delete(Report).where((Report.target_type == "comment") & (Report.target_id == comment_id))
    )
    db.session.delete(comment)
    audit(actor, origin, "comment.purge", "comment", comment_id, before, None)
    db.session.flush()
    _changed(image_id, "comment.purge")


def _adjust_count(image_id: int, delta: int) -> None:
    """Change Image.comment_count in SQL so concurrent changes do not overwrite each other."""
    db.session.execute(
        update(Image)
        .where(Image.id == image_id, Image.comment_count + delta >= 0)
        .values(comment_count=Image.comment_count + delta)
        .execution_options(synchronize_session="fetch")
    )


# --- users and the retention sweep ----------------------------------------


def hide_all_by_user(user: User, actor: User | None, origin: str) -> dict[str, int]:
    """Hide every visible or pending image and every visible comment of one user."""
    images = db.session.scalars(
        select(Image).where(Image.user_id == user.id, Image.status.in_(HIDEABLE))
    ).all()
    comments = db.session.scalars(
        select(Comment).where(Comment.user_id == user.id, Comment.status == VISIBLE)
    ).all()
    reason = f"all content of {user.handle}"
    counts = {
        "images": sum(hide_image(image, actor, origin, reason) for image in images),
        "comments": sum(hide_comment(comment, actor, origin, reason) for comment in comments),
    }
    audit(actor, origin, "user.hide_all", "user", user.id, None, counts)
    return counts


def expired(now: dt.datetime | None = None) -> tuple[list[Image], list[Comment]]:
    """Images and comments hidden (or rejected) longer than PURGE_RETENTION_DAYS."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=current_app.config["PURGE_RETENTION_DAYS"])
    images = db.session.scalars(
        select(Image)
        .where(
            Image.status.in_(RESTORABLE), Image.hidden_at.is_not(None), Image.hidden_at <= cutoff
        )
        .order_by(Image.id)
    ).all()
    comments = db.session.scalars(
        select(Comment)
        .where(
            Comment.status == HIDDEN, Comment.hidden_at.is_not(None), Comment.hidden_at <= cutoff
        )
        .order_by(Comment.id)
    ).all()
    return list(images), list(comments)


def purge_expired(
    now: dt.datetime | None = None, actor: User | None = None, origin: str = "cli"
) -> int:
    """Purge what has been hidden longer than the retention period; returns how many.

    Only hidden (or rejected) things are eligible: a visible image is never touched.
    """
    images, comments = expired(now)
    image_ids = {image.id for image in images}
    for image in images:
        purge_image(image, actor, origin)
    # comments of a purged image went with it
    remaining = [comment for comment in comments if comment.image_id not in image_ids]
    for comment in remaining:
        purge_comment(comment, actor, origin)
    return len(images) + len(remaining)


def edit_image(
    image: Image,
    actor: User | None,
    origin: str,
    *,
    caption: str,
    shop_url: str | None,
    shop_title: str | None,
) -> bool:
    """Change the caption and shop link (http or https only); False when nothing changed."""
    shop_url = clean_shop_url(shop_url)
    before = image_state(image)
    image.caption = (caption or "").strip()[:500]
    image.shop_url = shop_url
    image.shop_title = (shop_title or "").strip()[:200] or None
    after = image_state(image)
    if after == before:
        return False
    audit(actor, origin, "image.edit", "image", image.id, before, after)
    db.session.flush()
    if after["caption"] != before["caption"]:
        captions.index_image(image)  # tags and search terms follow the caption
    _changed(image.id, "edit")
    return True


# --- accounts ---------------------------------------------------------------


def user_state(user: User) -> dict[str, Any]:
    """An account's access-relevant state for the audit log."""
    return {"active": user.active, "roles": sorted(role.name for role in user.roles)}


def set_user_active(user: User, active: bool, actor: User | None, origin: str) -> bool:
    """Deactivate (their session ends at the next request, login refused) or reactivate."""
    if actor is not None and user.id == actor.id and not active:
        raise BadRequest(_("You cannot deactivate your own account."), code="self_deactivate")
    if user.active == active:
        return False
    before = user_state(user)
    user.active = active
    action = "user.reactivate" if active else "user.deactivate"
    audit(actor, origin, action, "user", user.id, before, user_state(user))
    return True


def set_user_roles(user: User, roles: list[Any], actor: User | None, origin: str) -> bool:
    """Replace an account's roles; False when they were already these."""
    before = user_state(user)
    if sorted(role.name for role in roles) == before["roles"]:
        return False
    user.roles = list(roles)
    audit(actor, origin, "user.roles", "user", user.id, before, user_state(user))
    return True


def sweep(report: SweepReport, actor: User | None = None) -> SweepReport:
    """Remove the orphan files, and purge the rows whose files are gone (caller commits)."""
    report.failed = remove_files(report.orphan_files)
    for image_id in report.broken_images:
        image = db.session.get(Image, image_id)
        if image is not None:
            purge_image(image, actor, origin="cli")
    return report
