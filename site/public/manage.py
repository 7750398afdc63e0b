"""Members manage their own images and comments: PATCH / restore an image,
DELETE a comment (JSON API), and the image page's plain forms for the same."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_security import current_user

from gallery.errors import BadRequest, NotLoggedIn
from gallery.extensions import db
from gallery.feeds.cards import card
from gallery.moderation import owner
from gallery.public.api_docs import documented
from gallery.public.blueprints import api, bp

EDITABLE = ("caption", "shop_url", "shop_title")


def member() -> Any:
    """The logged-in user, else NotLoggedIn (401)."""
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    return current_user._get_current_object()


def edit_fields(payload: Any) -> dict[str, Any]:
    """caption, shop_url and shop_title from a JSON object; each one text or null."""
    fields = {}
    if isinstance(payload, dict):
        fields = {name: payload[name] for name in EDITABLE if name in payload}
    if not fields:
        message = _("Send a JSON object with caption, shop_url or shop_title.")
        raise BadRequest(message, code="bad_json")
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise BadRequest(_("%(field)s must be text.", field=name), code="bad_field")
    return fields


@api.patch("/images/<int:image_id>")
@documented(
    body={
        "caption": ("string", "new caption or null"),
        "shop_url": ("string", "http(s) link or null"),
        "shop_title": ("string", "link text or null"),
    }
)
def edit_image(image_id: int) -> Any:
    """The owner changes caption and shop link → 200 card."""
    user = member()
    image = owner.owned_image(user, image_id)
    owner.edit(user, image, "api", edit_fields(request.get_json(silent=True)))
    db.session.commit()
    return jsonify(card(image))


@api.post("/images/<int:image_id>/restore")
def restore_image(image_id: int) -> Any:
    """The owner undoes their own delete within the retention → 200 card."""
    user = member()
    image = owner.image_for(user, image_id)
    owner.undo_delete(user, image, "api")
    db.session.commit()
    return jsonify(card(image))


@api.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int) -> Any:
    """The comment's author deletes it; the image's owner or a moderator hides it → 204."""
    user = member()
    owner.remove_comment(user, owner.comment_for(comment_id), "api")
    db.session.commit()
    return "", 204


# --- the same from plain forms on the image page (no JavaScript needed) ------------------


def back_to_image(image_id: int, done: bool, message: str, category: str) -> Any:
    """The end of every plain form: commit, say what was done, back to the image page."""
    db.session.commit()
    if done:
        flash(message, category)
    return redirect(url_for("public.image", image_id=image_id))


@bp.post("/images/<int:image_id>/edit")
def edit_image_form(image_id: int) -> Any:
    user = member()
    image = owner.owned_image(user, image_id)
    fields = {name: request.form.get(name, "") for name in EDITABLE}
    done = owner.edit(user, image, "page", fields)
    return back_to_image(image.id, done, _("Your changes are saved."), "success")


@bp.post("/images/<int:image_id>/delete")
def delete_image_form(image_id: int) -> Any:
    user = member()
    image = owner.owned_image(user, image_id)
    done = owner.delete(user, image, "page")
    message = _("The image is deleted. You can undo this for a while on its page.")
    return back_to_image(image.id, done, message, "info")


@bp.post("/images/<int:image_id>/undo")
def undo_delete_form(image_id: int) -> Any:
    user = member()
    image = owner.image_for(user, image_id)
    done = owner.undo_delete(user, image, "page")
    return back_to_image(image.id, done, _("The image is back."), "success")


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment_form(comment_id: int) -> Any:
    user = member()
    comment = owner.comment_for(comment_id)
    owner.remove_comment(user, comment, "page")
    return back_to_image(comment.image_id, True, _("The comment is removed."), "info")
