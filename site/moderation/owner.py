"""Members looking after their own work: edit, delete (hide) and undo for images,
delete or hide comments. Every change goes through the moderation actions, so it
is audited with the member as the actor. Callers check the login and commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from gallery.errors import Forbidden, NotFound
from gallery.extensions import db
from gallery.models import HIDDEN, PENDING, VISIBLE, Comment, Image, User, utcnow
from gallery.moderation import actions
from gallery.roles import can


def is_owner(user: Any, image: Image) -> bool:
    """True when the (possibly anonymous) user uploaded the image."""
    return bool(getattr(user, "is_authenticated", False)) and image.user_id == user.id


def undo_until(image: Image) -> dt.datetime | None:
    """Until when the owner may undo their own delete (None: not an owner's delete)."""
    if image.status != HIDDEN or image.hidden_at is None or image.hidden_by_id != image.user_id:
        return None
    return image.hidden_at + dt.timedelta(days=current_app.config["PURGE_RETENTION_DAYS"])


def can_undo(image: Image, now: dt.datetime | None = None) -> bool:
    """The owner deleted it themselves and the retention period has not run out."""
    until = undo_until(image)
    return until is not None and (now or utcnow()) < until


def image_for(user: Any, image_id: int, options: Sequence[Any] = ()) -> Image:
    """The image as `user` may see it: public ones for everyone, hidden ones for
    moderators, and the owner's own deleted image while it can still be undone.
    `options` are loader options for the same statement (the page's author columns)."""
    image = db.session.get(Image, image_id, options=list(options))
    if image is None:
        raise NotFound(_("There is no such image."))
    if image.status == VISIBLE or can("image-hide", user):
        return image
    if is_owner(user, image) and can_undo(image):
        return image
    raise NotFound(_("There is no such image."))


def owned_image(user: User, image_id: int) -> Image:
    """An image of `user` that is still public or pending; anyone else's is a 403."""
    image = db.session.get(Image, image_id)
    if image is None or image.status not in (VISIBLE, PENDING) and not is_owner(user, image):
        raise NotFound(_("There is no such image."))
    if not is_owner(user, image):
        raise Forbidden(_("Only the author can change this image."))
    return image


def edit(user: User, image: Image, origin: str, fields: dict[str, Any]) -> bool:
    """Change caption and shop link of the owner's image; absent fields stay as they are."""
    if not is_owner(user, image):
        raise Forbidden(_("Only the author can change this image."))
    if image.status not in (VISIBLE, PENDING):
        raise NotFound(_("There is no such image."))
    return actions.edit_image(
        image,
        user,
        origin,
        caption=fields.get("caption", image.caption),
        shop_url=fields.get("shop_url", image.shop_url),
        shop_title=fields.get("shop_title", image.shop_title),
    )


def delete(user: User, image: Image, origin: str) -> bool:
    """The owner deletes their image: a hide audited as theirs, undoable within the retention."""
    if not is_owner(user, image):
        raise Forbidden(_("Only the author or a moderator can delete this image."))
    was_public = image.status in actions.HIDEABLE
    actions.delete_image(image.id, user, origin)  # the one delete rule, for the API as well
    return was_public


def undo_delete(user: User, image: Image, origin: str) -> bool:
    """Bring back the owner's own deleted image; a moderator's hide cannot be undone here."""
    if not is_owner(user, image):
        raise NotFound(_("There is no such image."))
    if image.status == VISIBLE:
        return False
    if not can_undo(image):
        raise Forbidden(
            _(
                "This image can no longer be restored: "
                "it was removed by a moderator or too long ago."
            ),
            code="cannot_restore",
        )
    return actions.restore_image(image, user, origin)


def comment_for(comment_id: int) -> Comment:
    """A visible comment on a visible image, else NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != VISIBLE or comment.image.status != VISIBLE:
        raise NotFound(_("There is no such comment."))
    return comment


def may_remove_comment(user: Any, comment: Comment) -> bool:
    """The author deletes, the image's owner and moderators hide."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        comment.user_id == user.id or comment.image.user_id == user.id or can("comment-hide", user)
    )


def remove_comment(user: User, comment: Comment, origin: str) -> bool:
    """Hide a comment (reversible by a moderator, purged after the retention), audited."""
    if not may_remove_comment(user, comment):
        raise Forbidden(_("Only the author, the image's owner or a moderator can remove this."))
    if comment.user_id == user.id:
        reason = "deleted by its author"
    elif comment.image.user_id == user.id:
        reason = "hidden by the image's owner"
    else:
        reason = ""
    return actions.hide_comment(comment, user, origin, reason=reason)
