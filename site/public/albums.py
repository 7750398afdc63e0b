"""Album pages (/a/<id-or-slug>, the picker of an image, the owner's forms) and the
album rows of the JSON API. Views parse, call gallery.albums.service and render."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import current_user
from sqlalchemy import select

from gallery.albums import service as albums
from gallery.caching.pagecache import visitor_cached
from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.feeds import cards
from gallery.feeds import latest as feeds
from gallery.formats import iso_utc
from gallery.models import ALBUM_VISIBILITIES, VISIBLE, Image
from gallery.moderation import owner as owner_rules
from gallery.public.api_docs import PAGE, documented
from gallery.public.blueprints import api, bp
from gallery.roles.access import check
from gallery.urls import safe_next

PAGE_SIZE = 20
PICKER_SIZE = 60


def album_json(summary: albums.AlbumSummary) -> dict[str, Any]:
    """An album as the API shows it: its details, owner, count and cover."""
    album = summary.album
    cover = None
    if summary.cover is not None:
        cover = {"id": summary.cover.id, **_urls(summary.cover)}
    return {
        "id": album.id,
        "url": albums.album_url(album),
        "title": album.title,
        "description": album.description,
        "visibility": album.visibility,
        "owner": cards.author_json(album.owner),
        "image_count": summary.image_count,
        "cover": cover,
        "created_at": iso_utc(album.created_at),
    }


def _urls(image: Image) -> dict[str, str]:
    card = cards.card(image, comments=[])
    return {"thumb_url": card["thumb_url"], "medium_url": card["medium_url"]}


def one(album: Any) -> dict[str, Any]:
    return album_json(albums.summaries([album])[0])


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_("Send a JSON object."), code="bad_json")
    return body


def ids_from(body: dict[str, Any]) -> list[int]:
    """`image_ids` (a list) or `image_id` (one) of a body or the query string."""
    if "image_ids" in body:
        return albums.image_ids(body["image_ids"])
    value = body.get("image_id", request.args.get("image_id"))
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return albums.image_ids([value])


ALBUM_FIELDS = {
    "title": ("string", "the album's title (needed to create one)"),
    "description": ("string", "optional words about it"),
    "visibility": ("string", "public (default) or unlisted"),
    "image_ids": ("array", "images of yours to put in it"),
}
ALBUM_IMAGES = {
    "image_ids": ("array", "images of yours"),
    "image_id": ("integer", "one image of yours"),
}


# --- JSON API ------------------------------------------------------------------------------


@api.get("/albums/<ref>")
@visitor_cached()
@documented(query=PAGE)
def album_api(ref: str) -> Any:
    """{"album": …, "items": [card…], "next_cursor": …} in album order."""
    limit = feeds.parse_limit(request.args.get("limit"))
    album = albums.find_album(ref)
    page = albums.album_page(album, request.args.get("cursor"), limit)
    return jsonify(
        {"album": one(album), "items": cards.cards(page.images), "next_cursor": page.next_cursor}
    )


@api.post("/albums")
@documented(body=ALBUM_FIELDS)
def create_album_api() -> Any:
    check("image-upload")
    body = json_body()
    album = albums.create_album(current_user._get_current_object(), body)
    if body.get("image_ids"):
        albums.add_images(album, albums.image_ids(body["image_ids"]))
    db.session.commit()
    return jsonify(one(album)), 201


@api.patch("/albums/<int:album_id>")
@documented(
    body={**ALBUM_FIELDS, "cover_image_id": ("integer", "an image of the album as its cover")}
)
def update_album_api(album_id: int) -> Any:
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    albums.update_album(album, json_body())
    db.session.commit()
    return jsonify(one(album))


@api.delete("/albums/<int:album_id>")
def delete_album_api(album_id: int) -> Any:
    check("image-upload")
    albums.delete_album(albums.owned_album(current_user, album_id))
    db.session.commit()
    return "", 204


@api.post("/albums/<int:album_id>/images")
@documented(body=ALBUM_IMAGES)
def add_images_api(album_id: int) -> Any:
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    added = albums.add_images(album, ids_from(json_body()))
    db.session.commit()
    return jsonify({"album": one(album), "added": added})


@api.delete("/albums/<int:album_id>/images")
@documented(body=ALBUM_IMAGES)
def remove_images_api(album_id: int) -> Any:
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    body = request.get_json(silent=True) if request.data else {}
    removed = albums.remove_images(album, ids_from(body if isinstance(body, dict) else {}))
    db.session.commit()
    return jsonify({"album": one(album), "removed": removed})


# --- pages -----------------------------------------------------------------------------------


@bp.get("/a/<ref>")
@visitor_cached()
def album(ref: str) -> Any:
    """One album: details, then its images in order with infinite scroll."""
    album = albums.find_album(ref)
    page = albums.album_page(album, request.args.get("cursor") or None, PAGE_SIZE)
    summary = albums.summaries([album])[0]
    mine = albums.is_owner(current_user, album)
    return render_template(
        "public/album.html",
        summary=summary,
        album=album,
        items=cards.cards(page.images),
        next_cursor=page.next_cursor,
        is_owner=mine,
        candidates=candidates(album) if mine else [],
        order=albums.member_ids(album) if mine else [],
        order_cards=order_cards(album) if mine else [],
        visibilities=ALBUM_VISIBILITIES,
    )


def candidates(album: Any) -> list[dict[str, Any]]:
    """The owner's latest visible images not in the album yet (for "Add images")."""
    present = albums.member_ids(album)
    statement = (
        select(Image)
        .where(Image.user_id == album.user_id, Image.status == VISIBLE)
        .where(Image.id.not_in(present or [0]))
        .order_by(Image.created_at.desc(), Image.id.desc())
        .limit(PICKER_SIZE)
    )
    return [cards.card(image, comments=[]) for image in db.session.scalars(statement)]


def order_cards(album: Any) -> list[dict[str, Any]]:
    """Every visible image of the album in order, for the owner's reorder list."""
    page = albums.album_page(album, None, albums.MAX_ORDER)
    return [cards.card(image, comments=[]) for image in page.images]


@bp.route("/albums/new", methods=["GET", "POST"])
def new_album() -> Any:
    """Create an album (optionally with one image, from the image page or the picker)."""
    check("image-upload")
    image_id = request.values.get("image_id", type=int)
    if request.method == "POST":
        album = albums.create_album(current_user._get_current_object(), form_fields())
        if image_id:
            albums.add_images(album, [image_id])
        db.session.commit()
        flash(_("The album is created."), "success")
        return redirect(albums.album_url(album))
    return render_template(
        "public/album_new.html", image_id=image_id, visibilities=ALBUM_VISIBILITIES
    )


def form_fields() -> dict[str, Any]:
    return {
        name: request.form[name]
        for name in ("title", "description", "visibility")
        if name in request.form
    }


@bp.post("/a/<int:album_id>/edit")
def edit_album(album_id: int) -> Any:
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    fields: dict[str, Any] = form_fields()
    cover = request.form.get("cover_image_id", "")
    if "cover_image_id" in request.form:
        fields["cover_image_id"] = int(cover) if cover.isdigit() else None
    albums.update_album(album, fields)
    db.session.commit()
    flash(_("Your changes are saved."), "success")
    return redirect(albums.album_url(album))


@bp.post("/a/<int:album_id>/delete")
def delete_album(album_id: int) -> Any:
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    albums.delete_album(album)
    db.session.commit()
    flash(_("The album is deleted; its images are still on your profile."), "info")
    return redirect(url_for("public.profile", username=current_user.username))


@bp.post("/a/<int:album_id>/images")
def album_images(album_id: int) -> Any:
    """Add (`image_id` repeated) or remove (`remove`) images with a plain form."""
    check("image-upload")
    album = albums.owned_album(current_user, album_id)
    if request.form.get("remove", "").isdigit():
        albums.remove_images(album, [int(request.form["remove"])])
        flash(_("The image is taken out of the album."), "info")
    else:
        ids = [int(v) for v in request.form.getlist("image_id") if v.isdigit()]
        if albums.add_images(album, ids):
            flash(_("The images are added to the album."), "success")
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), albums.album_url(album)))


@bp.get("/images/<int:image_id>/albums")
def image_albums(image_id: int) -> Any:
    """The picker: add this image to one of your albums, or to a new one."""
    check("image-upload")
    image = owner_rules.owned_image(current_user, image_id)
    return render_template(
        "public/album_picker.html",
        image=image,
        card=cards.card(image, comments=[]),
        albums=albums.albums_containing(current_user, image),
        visibilities=ALBUM_VISIBILITIES,
    )
