"""The upload page and POST/DELETE /api/images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.datastructures import FileStorage

from gallery.albums import service as albums
from gallery.errors import BadRequest, GalleryError, NotLoggedIn
from gallery.extensions import db, limiter
from gallery.feeds.cards import card
from gallery.formats import human_size
from gallery.limits import config_limit, per_member
from gallery.media import ingest as uploads
from gallery.media.imaging import ACCEPTED, EXTENSIONS
from gallery.models import VISIBLE
from gallery.moderation import actions as moderation
from gallery.public.api_docs import documented
from gallery.public.blueprints import api, bp
from gallery.roles import permission_required

FORM_FIELDS_BYTES = 1024 * 1024  # caption, shop link and the CSRF token of a form post


def form_upload_limit(config: Any) -> int:
    """The largest plain-form POST /upload: UPLOAD_FORM_MAX_FILES files of up to
    MAX_CONTENT_LENGTH each, plus the fields (config/nginx.conf allows the same)."""
    return int(config["MAX_CONTENT_LENGTH"]) * int(config["UPLOAD_FORM_MAX_FILES"]) + (
        FORM_FIELDS_BYTES
    )


class UploadFormRequest(Request):
    """The request class: POST /upload may carry several files, each within the
    per-file limit. Decided before anything (the CSRF check included) reads the body."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self.method == "POST" and self.path == "/upload":
            return form_upload_limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def _files_in_request() -> int:
    """Each file counts against the hourly limit, however many one form sends."""
    return max(1, len([f for f in request.files.getlist("file") if f.filename]))


upload_limit = limiter.shared_limit(
    config_limit("UPLOAD_RATE_LIMIT"),
    scope="upload",
    key_func=per_member,
    cost=_files_in_request,
    methods=["POST"],
)


def upload_one(file: FileStorage | None) -> tuple[uploads.IngestResult, dict[str, Any]]:
    """Ingest one file from the current form with its caption and shop link; commit.

    Returns the result and its card, made before the commit: once the commit has
    succeeded nothing may touch the database again, so an upload that was stored
    is never answered with an error (and one that failed never with a card).
    """
    if file is None or not file.filename and not file.content_length:
        raise BadRequest(_("Choose an image file to upload."), code="no_file")
    album = chosen_album()
    data = file.read()
    file.close()  # a large part is a temporary file: give it back now
    result = uploads.ingest(
        current_user._get_current_object(),
        data,
        caption=request.form.get("caption", ""),
        shop_url=request.form.get("shop_url"),
        shop_title=request.form.get("shop_title"),
    )
    if album is not None and result.image.status == VISIBLE:
        albums.add_images(album, [result.image.id])
    body = {**card(result.image), "duplicate": result.duplicate}
    try:
        db.session.commit()
    except Exception:
        try:
            db.session.rollback()  # the session hook removes the stored files
        except Exception:  # noqa: BLE001 - the connection is gone; the hook still ran
            db.session.close()
        raise
    return result, body


def chosen_album() -> Any:
    """The member's album named by the form's `album_id`, if any (checked before storing)."""
    value = request.form.get("album_id", "")
    if not value:
        return None
    if not value.isdigit():
        raise BadRequest(_("album_id must be the number of one of your albums."), code="bad_album")
    return albums.owned_album(current_user, int(value))


@api.post("/images")
@permission_required("image-upload")
@upload_limit
@documented(
    form={
        "file": ("string", "the image file (JPEG, PNG, GIF or WebP)"),
        "caption": ("string", "optional; #tags become tags"),
        "shop_url": ("string", "optional http(s) link to buy it"),
        "shop_title": ("string", "optional name of the shop link"),
        "album_id": ("integer", "optional: one of your albums"),
    }
)
def create_image() -> Any:
    """Multipart: one `file`, optional caption, shop_url, shop_title → 201 card (200 duplicate)."""
    files = request.files.getlist("file")
    if len(files) > 1:
        raise BadRequest(_("Send one file per request."), code="one_file_only")
    result, body = upload_one(files[0] if files else None)
    return jsonify(body), 200 if result.duplicate else 201


@api.delete("/images/<int:image_id>")
def delete_image(image_id: int) -> Any:
    """The owner (own-image-delete) or a moderator (image-hide) hides the image → 204."""
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    moderation.delete_image(image_id, current_user._get_current_object(), origin="api")
    db.session.commit()
    return "", 204


# --- the page --------------------------------------------------------------------------------


@dataclass
class FileOutcome:
    """What happened to one file of the plain form."""

    filename: str
    image_id: int | None = None
    duplicate: bool = False
    error: str | None = None


def page_limits() -> dict[str, Any]:
    """The limits the page shows and its script checks, from the same config as the server."""
    config = current_app.config
    return {
        "max_bytes": config["MAX_CONTENT_LENGTH"],
        "max_bytes_text": human_size(config["MAX_CONTENT_LENGTH"]),
        "max_pixels": config["UPLOAD_MAX_PIXELS"],
        "max_pixels_text": f"{config['UPLOAD_MAX_PIXELS'] / 1_000_000:g}",
        "max_files": config["UPLOAD_FORM_MAX_FILES"],
        "accepted": ACCEPTED,
        "accept": ",".join(sorted(set(EXTENSIONS.values()))),
    }


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    """The upload form; visitors are sent to log in first."""
    if not current_user.is_authenticated:
        return redirect(url_for("security.login", next=url_for("public.upload")))
    return upload_page()


@permission_required("image-upload")
@upload_limit
def upload_page():
    """Without JavaScript the form posts here and lists each file's result."""
    outcomes: list[FileOutcome] = []
    status = 200
    if request.method == "POST":
        outcomes = upload_from_form()
        if outcomes and all(o.error for o in outcomes):
            status = 400
    return render_template(
        "public/upload.html",
        limits=page_limits(),
        outcomes=outcomes,
        albums=albums.albums_of(current_user),
        chosen_album=request.values.get("album", type=int)
        or request.form.get("album_id", type=int),
    ), status


def upload_from_form() -> list[FileOutcome]:
    """Each chosen file on its own: one bad file does not spoil the others."""
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        return [FileOutcome("", error="Choose at least one image file.")]
    if len(files) > current_app.config["UPLOAD_FORM_MAX_FILES"]:
        return [
            FileOutcome(
                "",
                error=(
                    f"At most {current_app.config['UPLOAD_FORM_MAX_FILES']} files at once, please."
                ),
            )
        ]
    outcomes = []
    for file in files:
        outcome = FileOutcome(file.filename or "")
        try:
            result, body = upload_one(file)
        except GalleryError as error:
            outcome.error = str(error.message)
        else:
            outcome.image_id, outcome.duplicate = body["id"], result.duplicate
        outcomes.append(outcome)
    return outcomes
