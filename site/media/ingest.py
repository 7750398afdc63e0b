"""The upload pipeline: check, normalise, store every variant, add the row; or nothing.

`ingest()` is the one way an image enters the site (uploads, the crawler, the
importer, seeding). It flushes but never commits: the caller commits. If the
caller's transaction ends without a commit, the stored files are removed by
the session hook below (or at once with `discard()`), so an upload ends as a
row plus all its files, or as neither. One exception to "never commits or rolls
back": when the unique (user_id, sha256) index catches a copy stored by a
concurrent request, the session is rolled back and the first copy returned.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery import signals
from gallery.errors import Conflict, StorageUnavailable
from gallery.extensions import db
from gallery.media import captions, imaging
from gallery.media.storage import get_storage, variant_key, variant_keys
from gallery.models import HIDDEN, REJECTED, SOURCE_UPLOAD, VISIBLE, Image, User
from gallery.urls import clean_shop_url

log = logging.getLogger(__name__)

PENDING_FILES = "gallery_uncommitted_files"
DOOMED_FILES = "gallery_files_to_delete"


@dataclass
class IngestResult:
    """The image row (new or the existing duplicate) and whether it was a duplicate."""

    image: Image
    duplicate: bool
    stored_keys: list[str] = field(default_factory=list)


def limits() -> imaging.Limits:
    """The upload limits of the current app's config."""
    config = current_app.config
    return imaging.Limits(
        max_bytes=int(config["MAX_CONTENT_LENGTH"]),
        max_pixels=int(config["UPLOAD_MAX_PIXELS"]),
        max_frames=int(config["UPLOAD_MAX_FRAMES"]),
        max_animation_pixels=int(config["UPLOAD_MAX_ANIMATION_PIXELS"]),
    )


def new_storage_key() -> str:
    """A generated, unguessable key prefix; never derived from the user's file name."""
    token = uuid.uuid4().hex
    return f"images/{token[:2]}/{token}"


def find_duplicate(user: User, sha256: str, scope: str) -> Image | None:
    """An existing image with the same normalised content (this user's, or anyone's)."""
    query = select(Image).where(Image.sha256 == sha256)
    if scope == "user":
        query = query.where(Image.user_id == user.id)
    return db.session.scalars(query.order_by(Image.id).limit(1)).first()


def ingest(
    user: User,
    data: bytes,
    *,
    caption: str = "",
    shop_url: str | None = None,
    shop_title: str | None = None,
    source: str = SOURCE_UPLOAD,
    source_url: str | None = None,
    source_page_url: str | None = None,
    licence: str | None = None,
    credit: str | None = None,
    status: str = VISIBLE,
    dedupe_scope: str = "user",
) -> IngestResult:
    """Validate by content, store every variant, add the row (flushed, not committed)."""
    shop_url = clean_shop_url(shop_url)
    rendered = imaging.render(data, limits())
    existing = find_duplicate(user, rendered.sha256, dedupe_scope)
    if existing is not None:
        if existing.status in (HIDDEN, REJECTED):
            raise Conflict(
                _("This image was uploaded before and has been removed; it cannot be added again."),
                code="removed_before",
                image_id=existing.id,
            )
        return IngestResult(existing, duplicate=True)

    storage_key = new_storage_key()
    stored = store_files(storage_key, rendered)
    image = Image(
        author=user,
        caption=(caption or "").strip()[:500],
        status=status,
        storage_key=storage_key,
        format=rendered.format,
        sha256=rendered.sha256,
        width=rendered.width,
        height=rendered.height,
        byte_size=rendered.byte_size,
        placeholder=rendered.placeholder,
        shop_url=shop_url,
        shop_title=(shop_title or "").strip()[:200] or None,
        source=source,
        source_url=source_url,
        source_url_hash=hashlib.sha256(source_url.encode()).hexdigest() if source_url else None,
        source_page_url=source_page_url,
        licence=licence,
        credit=credit,
    )
    session = db.session()
    track_uncommitted(session, stored)
    try:
        session.add(image)
        session.flush()
    except IntegrityError:
        # The unique (user_id, sha256) index caught a copy the same member stored at
        # the same moment. Rolling back removes this upload's files (see the session
        # hooks below); the first copy is the answer, as for any duplicate.
        session.rollback()
        existing = find_duplicate(user, rendered.sha256, "user")
        if existing is None:
            raise Conflict(
                _("The same image is being uploaded right now; please try again."),
                code="upload_in_progress",
            ) from None
        return IngestResult(existing, duplicate=True)
    except Exception:
        remove_files(stored)
        untrack(session, stored)
        raise
    captions.index_image(image)  # tags and search terms from the caption
    signals.image_changed.send(
        current_app._get_current_object(),
        image_id=image.id,
        reason="created",
    )
    return IngestResult(image, duplicate=False, stored_keys=stored)


def store_files(storage_key: str, rendered: imaging.Rendered) -> list[str]:
    """Put every variant; if one fails, remove the ones already put and raise 503."""
    storage = get_storage()
    stored: list[str] = []
    deadline = storage.deadline()  # one time budget for all the variants of this upload
    try:
        for variant in storage.stored_variants:  # Qiniu image processing: original only
            key = variant_key(storage_key, rendered.format, variant)
            storage.put(key, rendered.files[variant], rendered.content_type, deadline=deadline)
            stored.append(key)
    except Exception as error:
        left = remove_files(stored, deadline)
        if left:  # storage is not answering: the delete-files job retries them later
            signals.files_doomed.send(current_app._get_current_object(), keys=left)
        if isinstance(error, StorageUnavailable):
            raise
        log.exception("storing %s failed", storage_key)
        raise StorageUnavailable(
            _("Image storage is not answering; nothing was saved. Please try again.")
        ) from error
    return stored


def remove_files(keys: list[str], deadline: float | None = None) -> list[str]:
    """Delete files best-effort; return the keys that could not be deleted (sweep finds them).

    After the first failure the rest are not tried: storage that is down would
    otherwise spend its whole time budget once per key inside one request.
    """
    storage = get_storage()
    for index, key in enumerate(keys):
        try:
            storage.delete(key, deadline=deadline)
        except Exception:  # noqa: BLE001 - cleanup must not hide the original error
            failed = list(keys[index:])
            log.warning("could not delete %s; `flask storage sweep` will", ", ".join(failed))
            return failed
    return []


def discard(result: IngestResult) -> None:
    """Undo the files of a fresh ingest whose transaction the caller will roll back."""
    if result.duplicate or not result.stored_keys:
        return
    untrack(db.session(), result.stored_keys)
    remove_files(result.stored_keys)
    result.stored_keys = []


def delete_image_files(image: Image) -> list[str]:
    """Remove every stored variant of an image; returns the keys that failed."""
    return remove_files(list(variant_keys(image).values()))


def delete_files_after_commit(image: Image) -> list[str]:
    """Queue the deletion of an image's stored files for when its rows are gone for good.

    The files are deleted by the "delete-files" job after the commit (retried with
    back-off while storage refuses), so no request waits on storage, and a rollback
    keeps both the rows and the files. Returns the keys.
    """
    keys = list(variant_keys(image).values())
    db.session.info.setdefault(DOOMED_FILES, []).extend(keys)
    return keys


# --- files of uncommitted rows are removed when their transaction ends without commit --------


def track_uncommitted(session: Session, keys: list[str]) -> None:
    pending: list[tuple[Any, str]] = session.info.setdefault(PENDING_FILES, [])
    storage = get_storage()
    pending.extend((storage, key) for key in keys)


def untrack(session: Session, keys: list[str]) -> None:
    pending = session.info.get(PENDING_FILES, [])
    session.info[PENDING_FILES] = [item for item in pending if item[1] not in keys]


def init_app(app: Flask) -> None:
    """Tie stored files to the transaction: a rollback deletes them (once per process)."""
    if not event.contains(Session, "after_commit", _files_committed):
        event.listen(Session, "after_commit", _files_committed)
        event.listen(Session, "after_transaction_end", _transaction_ended)
        event.listen(Session, "after_rollback", _deletion_rolled_back)


def _files_committed(session: Session) -> None:
    session.info.pop(PENDING_FILES, None)
    doomed = session.info.pop(DOOMED_FILES, None)
    if doomed:
        signals.files_doomed.send(current_app._get_current_object(), keys=doomed)


def _deletion_rolled_back(session: Session) -> None:
    """The purge did not happen: its files stay."""
    session.info.pop(DOOMED_FILES, None)


def _transaction_ended(session: Session, transaction: Any) -> None:
    """Rolled back or closed without commit: the rows are gone, so the files go too."""
    if transaction.parent is not None or not session.info.get(PENDING_FILES):
        return
    for storage, key in session.info.pop(PENDING_FILES):
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001
            log.warning("could not delete orphan %s; `flask storage sweep` will", key)


# --- orphans: files without a row, rows without their files ---------------------------------


@dataclass
class SweepReport:
    """What `flask storage sweep` found (and removed unless it was a dry run)."""

    files_checked: int = 0
    images_checked: int = 0
    orphan_files: list[str] = field(default_factory=list)
    young_files: int = 0
    broken_images: dict[int, list[str]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def storage_key_of(key: str) -> str:
    """'images/ab/abc-thumb.jpg' -> 'images/ab/abc'."""
    return key.rsplit("-", 1)[0]


def find_orphans(grace_seconds: float = 3600, now: float | None = None) -> SweepReport:
    """Stored files no row points at (older than the grace period, so uploads in
    flight are left alone), and rows whose stored variants are missing."""
    storage = get_storage()
    now = time.time() if now is None else now
    report = SweepReport()
    stored: set[str] = set()
    by_prefix: dict[str, list[tuple[str, float]]] = {}
    for key, stored_at in storage.entries():
        report.files_checked += 1
        stored.add(key)
        by_prefix.setdefault(storage_key_of(key), []).append((key, stored_at))
    known: set[str] = set()
    for image in db.session.scalars(select(Image).order_by(Image.id)):
        report.images_checked += 1
        known.add(image.storage_key)
        keys = variant_keys(image)
        missing = [keys[v] for v in storage.stored_variants if keys[v] not in stored]
        if missing:
            report.broken_images[image.id] = missing
    known.update(db.session.scalars(select(User.avatar_key).where(User.avatar_key.is_not(None))))
    for prefix, entries in by_prefix.items():
        if prefix in known:
            continue
        for key, stored_at in entries:
            if now - stored_at >= grace_seconds:
                report.orphan_files.append(key)
            else:
                report.young_files += 1
    report.orphan_files.sort()
    return report
