"""Album services: create, edit, delete, add / remove / reorder images, and pages.

Callers check the login and commit. Every change drops the cached lists (the
album page is visitor-cached like the feeds), now and once more after the commit.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select

from gallery.errors import BadRequest, Forbidden, NotFound
from gallery.extensions import db
from gallery.feeds.cards import with_authors
from gallery.feeds.latest import Page
from gallery.models import (
    ALBUM_PUBLIC,
    ALBUM_VISIBILITIES,
    VISIBLE,
    Album,
    AlbumImage,
    Image,
    User,
    utcnow,
)
from gallery.signals import albums_changed

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
MAX_ORDER = 1000  # images one reorder request may list
BAD_CURSOR = _l("That cursor is not valid; start again from the first page.")


# --- finding ------------------------------------------------------------------------------


def is_owner(user: Any, album: Album) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and album.user_id == user.id


def find_album(ref: str | int) -> Album:
    """An album by id (digits) or slug; NotFound otherwise. Public and unlisted albums
    are both open to whoever has the link."""
    album = None
    text = str(ref)
    if text.isdigit() and len(text) < 12:
        album = db.session.get(Album, int(text))
    elif text:
        album = db.session.scalar(select(Album).where(Album.slug == text))
    if album is None or not album.owner.active:
        raise NotFound(_("There is no such album."))
    return album


def owned_album(user: Any, ref: str | int) -> Album:
    """An album the user may change: their own; anyone else's is a 403."""
    album = find_album(ref)
    if not is_owner(user, album):
        raise Forbidden(_("Only the owner can change this album."))
    return album


def album_url(album: Album) -> str:
    return f"/a/{album.slug or album.id}"


# --- creating and editing ------------------------------------------------------------------


def slugify(title: str) -> str:
    """Latin letters and digits of the title joined by dashes ("" when none, e.g. 中文)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", text))[:60].strip("-")


def unique_slug(title: str, album_id: int | None = None) -> str | None:
    """A slug no other album has; never all digits (those are ids)."""
    base = slugify(title)
    if not base or base.isdigit():
        return None
    taken = set(
        db.session.scalars(
            select(Album.slug).where(
                or_(Album.slug == base, Album.slug.like(f"{base}-%")), Album.id != (album_id or 0)
            )
        )
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def clean_fields(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    """title (1–120), description (≤ 2000) and visibility (public | unlisted)."""
    clean: dict[str, Any] = {}
    if "title" in fields or creating:
        title = fields.get("title")
        if not isinstance(title, str) or not title.strip():
            raise BadRequest(_("An album needs a title."), code="bad_title")
        if len(title.strip()) > TITLE_MAX:
            raise BadRequest(
                _("A title can be at most %(max)s characters long.", max=TITLE_MAX),
                code="bad_title",
            )
        clean["title"] = title.strip()
    if "description" in fields:
        description = fields["description"] or ""
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            raise BadRequest(
                _("A description is text of at most %(max)s characters.", max=DESCRIPTION_MAX),
                code="bad_description",
            )
        clean["description"] = description.strip()
    if "visibility" in fields or creating:
        visibility = fields.get("visibility") or ALBUM_PUBLIC
        if visibility not in ALBUM_VISIBILITIES:
            raise BadRequest(_("visibility is public or unlisted."), code="bad_visibility")
        clean["visibility"] = visibility
    return clean


def create_album(owner: User, fields: dict[str, Any]) -> Album:
    """A new album of `owner` (flushed, so it has an id)."""
    clean = clean_fields(fields, creating=True)
    album = Album(owner=owner, created_at=utcnow(), **clean)
    album.slug = unique_slug(album.title)
    db.session.add(album)
    db.session.flush()
    changed()
    return album


def update_album(album: Album, fields: dict[str, Any]) -> Album:
    """Change title, description, visibility, cover (`cover_image_id`) and the order
    (`order`: image ids, first to last)."""
    clean = clean_fields(fields, creating=False)
    if "title" in clean and clean["title"] != album.title:
        album.slug = unique_slug(clean["title"], album.id)
    for name, value in clean.items():
        setattr(album, name, value)
    if "cover_image_id" in fields:
        album.cover_image_id = cover_id(album, fields["cover_image_id"])
    if "order" in fields:
        reorder(album, fields["order"])
    album.updated_at = utcnow()
    db.session.flush()
    changed()
    return album


def cover_id(album: Album, value: Any) -> int | None:
    """None (the first image is the cover), or the id of an image in the album."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value not in member_ids(album):
        raise BadRequest(_("The cover must be an image of this album."), code="bad_cover")
    return value


def delete_album(album: Album) -> None:
    """Delete the album and its list; the images stay where they are."""
    db.session.execute(delete(AlbumImage).where(AlbumImage.album_id == album.id))
    db.session.delete(album)
    db.session.flush()
    changed()


# --- its images ------------------------------------------------------------------------------


def image_ids(value: Any) -> list[int]:
    """A list of image ids from a request body (a list of positive whole numbers)."""
    if not isinstance(value, list) or len(value) > MAX_ORDER:
        raise BadRequest(_("Send a list of image ids."), code="bad_image_ids")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise BadRequest(_("Send a list of image ids."), code="bad_image_ids")
    return list(dict.fromkeys(value))


def member_ids(album: Album) -> list[int]:
    """Every image id listed in the album (hidden ones included), in order."""
    return list(
        db.session.scalars(
            select(AlbumImage.image_id)
            .where(AlbumImage.album_id == album.id)
            .order_by(AlbumImage.position, AlbumImage.image_id)
        )
    )


def add_images(album: Album, ids: Iterable[int]) -> int:
    """Append the owner's visible images (already listed ones stay where they are);
    returns how many were added. Other people's images cannot be added."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    own = set(
        db.session.scalars(
            select(Image.id).where(
                Image.id.in_(ids), Image.user_id == album.user_id, Image.status == VISIBLE
            )
        )
    )
    if len(own) != len(ids):
        raise BadRequest(
            _("Only your own public images can go into your albums."), code="not_your_image"
        )
    present = set(member_ids(album))
    last = db.session.scalar(
        select(func.max(AlbumImage.position)).where(AlbumImage.album_id == album.id)
    )
    position = -1 if last is None else last
    added = 0
    for image_id in ids:
        if image_id in present:
            continue
        position += 1
        db.session.add(
            AlbumImage(album_id=album.id, image_id=image_id, position=position, added_at=utcnow())
        )
        added += 1
    album.updated_at = utcnow()
    db.session.flush()
    changed()
    return added


def remove_images(album: Album, ids: Iterable[int]) -> int:
    """Take images out of the album (the images themselves stay); returns how many."""
    ids = list(ids)
    removed = db.session.execute(
        delete(AlbumImage).where(AlbumImage.album_id == album.id, AlbumImage.image_id.in_(ids))
    ).rowcount
    if album.cover_image_id in ids:
        album.cover_image_id = None
    album.updated_at = utcnow()
    db.session.flush()
    changed()
    return int(removed or 0)


def reorder(album: Album, ids: Any) -> None:
    """Put the listed images first, in that order; the others keep their order after them."""
    wanted = image_ids(ids)
    present = member_ids(album)
    unknown = set(wanted) - set(present)
    if unknown:
        raise BadRequest(_("Only images of this album can be ordered."), code="bad_image_ids")
    rest = [image_id for image_id in present if image_id not in set(wanted)]
    rows = {
        row.image_id: row
        for row in db.session.scalars(select(AlbumImage).where(AlbumImage.album_id == album.id))
    }
    for position, image_id in enumerate([*wanted, *rest]):
        rows[image_id].position = position


def albums_of(user: User) -> list[Album]:
    """The user's albums, newest first (for the upload page's album choice)."""
    return list(
        db.session.scalars(
            select(Album).where(Album.user_id == user.id).order_by(Album.created_at.desc())
        )
    )


def albums_containing(user: User, image: Image) -> list[tuple[Album, bool]]:
    """The user's albums, each with whether it lists `image` (for the picker)."""
    albums = albums_of(user)
    listed = set(
        db.session.scalars(
            select(AlbumImage.album_id).where(
                AlbumImage.image_id == image.id,
                AlbumImage.album_id.in_([a.id for a in albums] or [0]),
            )
        )
    )
    return [(album, album.id in listed) for album in albums]


def changed() -> None:
    """Drop the cached pages now and again after the commit (see gallery.feeds)."""
    albums_changed.send(current_app._get_current_object())


# --- pages: keyset on (position, image_id) ---------------------------------------------


def encode_cursor(position: int, image_id: int) -> str:
    raw = f"p{position}|{image_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        position, image_id = raw.split("|")
        if not position.startswith("p"):
            raise ValueError(raw)
        numbers = int(position[1:]), int(image_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(BAD_CURSOR, code="bad_cursor") from error
    if numbers[0] < 0 or numbers[1] < 1:
        raise BadRequest(BAD_CURSOR, code="bad_cursor")
    return numbers


def album_page(album: Album, cursor: str | None, limit: int) -> Page:
    """The album's visible images in album order, one statement (authors joined)."""
    statement = with_authors(
        select(Image, AlbumImage.position)
        .join(AlbumImage, AlbumImage.image_id == Image.id)
        .where(AlbumImage.album_id == album.id, Image.status == VISIBLE)
        .order_by(AlbumImage.position, AlbumImage.image_id)
    )
    if cursor:
        position, last_id = decode_cursor(cursor)
        statement = statement.where(
            and_(
                AlbumImage.position >= position,
                or_(AlbumImage.position > position, AlbumImage.image_id > last_id),
            )
        )
    rows = list(db.session.execute(statement.limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][1], rows[-1][0].id)
    return Page([row[0] for row in rows], next_cursor)


@dataclass
class AlbumSummary:
    """An album with its count of visible images and the image shown as its cover."""

    album: Album
    image_count: int
    cover: Image | None


def summaries(albums: Sequence[Album]) -> list[AlbumSummary]:
    """Counts and covers of many albums in two statements (the cover: the chosen one
    while it is visible, else the first visible image)."""
    if not albums:
        return []
    ids = [album.id for album in albums]
    visible = (
        select(
            AlbumImage.album_id.label("album_id"),
            AlbumImage.image_id.label("image_id"),
            func.row_number()
            .over(
                partition_by=AlbumImage.album_id,
                order_by=(AlbumImage.position, AlbumImage.image_id),
            )
            .label("rank"),
            func.count().over(partition_by=AlbumImage.album_id).label("total"),
        )
        .join(Image, Image.id == AlbumImage.image_id)
        .where(AlbumImage.album_id.in_(ids), Image.status == VISIBLE)
        .subquery()
    )
    counts: dict[int, int] = {}
    firsts: dict[int, int] = {}
    chosen: dict[int, set[int]] = {}
    wanted_covers = {a.id: a.cover_image_id for a in albums if a.cover_image_id}
    for album_id, image_id, rank, total in db.session.execute(
        select(visible.c.album_id, visible.c.image_id, visible.c.rank, visible.c.total).where(
            or_(
                visible.c.rank == 1,
                visible.c.image_id.in_(list(wanted_covers.values()) or [0]),
            )
        )
    ):
        counts[album_id] = total
        if rank == 1:
            firsts[album_id] = image_id
        chosen.setdefault(album_id, set()).add(image_id)
    cover_ids = {}
    for album in albums:
        wanted = wanted_covers.get(album.id)
        if wanted and wanted in chosen.get(album.id, set()):
            cover_ids[album.id] = wanted
        elif album.id in firsts:
            cover_ids[album.id] = firsts[album.id]
    images = {
        image.id: image
        for image in db.session.scalars(
            select(Image).where(Image.id.in_(list(cover_ids.values()) or [0]))
        )
    }
    return [
        AlbumSummary(album, counts.get(album.id, 0), images.get(cover_ids.get(album.id, 0)))
        for album in albums
    ]


def profile_albums(user: User, include_unlisted: bool) -> list[AlbumSummary]:
    """A member's albums, newest first: public ones for everyone, all for the owner."""
    statement = select(Album).where(Album.user_id == user.id)
    if not include_unlisted:
        statement = statement.where(Album.visibility == ALBUM_PUBLIC)
    albums = list(db.session.scalars(statement.order_by(Album.created_at.desc(), Album.id.desc())))
    return summaries(albums)
