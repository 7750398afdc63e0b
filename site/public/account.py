"""The account page's profile part (/account/profile): display name, bio, avatar."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import current_user

from gallery.accounts import profiles
from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.formats import human_size
from gallery.media import avatars
from gallery.media.imaging import ACCEPTED
from gallery.public.blueprints import bp


@bp.route("/account/profile", methods=["GET", "POST"])
def account_profile() -> Any:
    """Edit the profile others see on /u/<username>; visitors are sent to log in."""
    if not current_user.is_authenticated:
        return redirect(url_for("security.login", next=url_for("public.account_profile")))
    user = current_user._get_current_object()
    error = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("avatar")
        data = upload.read() if upload is not None and upload.filename else None
        fields = {name: request.form.get(name, "") for name in ("display_name", "bio")}
        fields["remove_avatar"] = request.form.get("remove_avatar") == "1"
        try:
            old = profiles.update_profile(user, fields, data)
            db.session.commit()
        except GalleryError as failed:
            db.session.rollback()  # a stored new avatar goes with the rollback
            error, status = str(failed.message), failed.status
        else:
            avatars.remove_old(old)
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("public.account_profile"))
    return render_template(
        "public/account_profile.html",
        user=user,
        avatar=avatars.avatar_url(user, "medium"),
        error=error,
        accepted=ACCEPTED,
        max_size=human_size(current_app.config["MAX_CONTENT_LENGTH"]),
        limits={"display_name": profiles.DISPLAY_NAME_MAX, "bio": profiles.BIO_MAX},
    ), status
