"""uploads.ingest(): row plus every stored variant, or neither; duplicates; signals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from gallery import signals
from gallery.errors import Conflict, StorageUnavailable, UploadRejected
from gallery.extensions import db
from gallery.media import ingest as uploads
from gallery.media.storage import get_storage, variant_keys
from gallery.media.storage.local import LocalStorage
from gallery.models import HIDDEN, PENDING, Image
from tests.support import sample_images as samples
from tests.support.factories import create_user


def stored_files(app: Flask) -> list[str]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def image_count() -> int:
    return db.session.scalar(select(func.count(Image.id))) or 0


class FailingStorage(LocalStorage):
    """A real LocalStorage whose n-th put fails, as a full disk or a dead host would."""

    def __init__(self, root: str, fail_on: int) -> None:
        super().__init__(root)
        self.calls = 0
        self.fail_on = fail_on

    def put(self, key: str, data: bytes, content_type: str, deadline: float | None = None) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise OSError("disk full")
        super().put(key, data, content_type, deadline)


def test_ingest_stores_every_variant_and_the_row(app: Flask) -> None:
    alice = create_user("alice")
    received: list[dict[str, Any]] = []
    signals.image_changed.connect(lambda sender, **kw: received.append(kw), weak=False)
    result = uploads.ingest(
        alice,
        samples.jpeg((2000, 1500)),
        caption="  sunset  ",
        shop_url="https://shop.example/x",
        shop_title="Buy",
    )
    db.session.commit()
    image = result.image
    assert result.duplicate is False
    assert image.id and image.status == "visible" and image.caption == "sunset"
    assert (image.width, image.height, image.format) == (2000, 1500, "jpeg")
    assert image.storage_key.startswith("images/")
    keys = variant_keys(image)
    assert stored_files(app) == sorted(keys.values())
    assert {"image_id": image.id, "reason": "created"} in received
    original = Path(app.config["MEDIA_ROOT"], keys["original"]).read_bytes()
    assert len(original) == image.byte_size
    assert samples.has_metadata(original) == []


def test_same_content_by_the_same_user_returns_the_existing_image(app: Flask) -> None:
    alice, bob = create_user("alice"), create_user("bob")
    data = samples.png()
    first = uploads.ingest(alice, data)
    db.session.commit()
    again = uploads.ingest(alice, data, caption="again")
    assert again.duplicate is True and again.image.id == first.image.id
    by_bob = uploads.ingest(bob, data)
    assert by_bob.duplicate is False
    db.session.commit()
    crawled = uploads.ingest(bob, data, dedupe_scope="global", status=PENDING, source="crawl")
    assert crawled.duplicate is True
    assert image_count() == 2
    assert len(stored_files(app)) == 6


def test_a_concurrent_copy_is_caught_by_the_unique_index(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two uploads of the same content at once: both pass the duplicate check,
    the second insert hits the unique (user_id, sha256) index and returns the first
    image, with its own stored files removed and the session still usable."""
    alice = create_user("alice")
    data = samples.png()
    first = uploads.ingest(alice, data)
    db.session.commit()
    files_before = stored_files(app)
    checks = iter([None])  # the second upload's check ran before the first was stored
    real_find = uploads.find_duplicate
    monkeypatch.setattr(
        uploads, "find_duplicate", lambda *args: next(checks, None) or real_find(*args)
    )
    again = uploads.ingest(alice, data, caption="at the same moment")
    assert again.duplicate is True and again.image.id == first.image.id
    db.session.commit()
    assert image_count() == 1
    assert stored_files(app) == files_before


def test_content_removed_before_is_refused(app: Flask) -> None:
    alice = create_user("alice")
    data = samples.webp()
    first = uploads.ingest(alice, data)
    first.image.status = HIDDEN
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        uploads.ingest(alice, data)
    assert caught.value.code == "removed_before"


def test_rollback_removes_the_stored_files(app: Flask) -> None:
    alice = create_user("alice")
    uploads.ingest(alice, samples.jpeg())
    assert len(stored_files(app)) == 3
    db.session.rollback()
    assert stored_files(app) == []
    assert image_count() == 0


def test_session_closed_without_commit_removes_the_files(app: Flask) -> None:
    alice = create_user("alice")
    uploads.ingest(alice, samples.jpeg())
    assert len(stored_files(app)) == 3
    db.session.close()
    assert stored_files(app) == []


def test_discard_removes_the_files_at_once(app: Flask) -> None:
    alice = create_user("alice")
    result = uploads.ingest(alice, samples.animated_gif())
    assert stored_files(app) == sorted(result.stored_keys) != []
    uploads.discard(result)
    assert stored_files(app) == []
    db.session.rollback()


def test_commit_keeps_files_and_later_transactions_leave_them(app: Flask) -> None:
    alice = create_user("alice")
    uploads.ingest(alice, samples.jpeg())
    db.session.commit()
    db.session.scalar(select(func.count(Image.id)))
    db.session.rollback()
    assert len(stored_files(app)) == 3


@pytest.mark.parametrize("fail_on", [1, 2, 3])
def test_storage_failure_leaves_nothing(app: Flask, fail_on: int) -> None:
    alice = create_user("alice")
    app.extensions["gallery_storage"] = FailingStorage(app.config["MEDIA_ROOT"], fail_on)
    with pytest.raises(StorageUnavailable):
        uploads.ingest(alice, samples.jpeg())
    db.session.rollback()
    assert stored_files(app) == []
    assert image_count() == 0


class DeadDeletes(FailingStorage):
    """The second put fails and storage then refuses every delete (its budget is spent)."""

    def delete(self, key: str, deadline: float | None = None) -> None:
        raise StorageUnavailable()


def test_variants_storage_would_not_delete_go_to_the_retried_job(app: Flask) -> None:
    alice = create_user("alice")
    app.extensions["gallery_storage"] = DeadDeletes(app.config["MEDIA_ROOT"], 2)
    doomed: list[list[str]] = []

    def catch(sender: Any, keys: list[str], **_: Any) -> None:
        doomed.append(list(keys))

    signals.files_doomed.connect(catch, weak=False)
    try:
        with pytest.raises(StorageUnavailable):
            uploads.ingest(alice, samples.jpeg())
    finally:
        signals.files_doomed.disconnect(catch)
    db.session.rollback()
    assert len(doomed) == 1 and len(doomed[0]) == 1 and doomed[0][0].endswith("-thumb.jpg")
    assert image_count() == 0


def test_database_failure_after_storing_removes_the_files(app: Flask) -> None:
    alice = create_user("alice")

    def refuse(*_args: Any) -> None:
        raise RuntimeError("database went away")

    event.listen(Image, "before_insert", refuse)
    try:
        with pytest.raises(RuntimeError):
            uploads.ingest(alice, samples.jpeg())
    finally:
        event.remove(Image, "before_insert", refuse)
    db.session.rollback()
    assert stored_files(app) == []
    assert image_count() == 0


def test_rejected_content_stores_nothing(app: Flask) -> None:
    alice = create_user("alice")
    with pytest.raises(UploadRejected):
        uploads.ingest(alice, samples.svg())
    assert stored_files(app) == []


def test_delete_image_files_removes_every_variant(app: Flask) -> None:
    alice = create_user("alice")
    image = uploads.ingest(alice, samples.png()).image
    db.session.commit()
    assert uploads.delete_image_files(image) == []
    assert stored_files(app) == []
    assert uploads.delete_image_files(image) == []  # already gone is fine


def test_source_url_is_hashed(app: Flask) -> None:
    alice = create_user("alice")
    image = uploads.ingest(
        alice,
        samples.jpeg(),
        source="crawl",
        source_url="https://x.test/a.jpg",
        status=PENDING,
        licence="CC0",
        credit="X",
    ).image
    assert image.source_url_hash and len(image.source_url_hash) == 64
    assert isinstance(get_storage(), LocalStorage)
    db.session.rollback()
