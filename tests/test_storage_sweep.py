"""flask storage sweep: orphans in either direction, on local disk and on the Kodo emulator."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.extensions import db
from gallery.media import ingest as uploads
from gallery.media.storage import get_storage, variant_keys
from gallery.media.storage.local import LocalStorage
from gallery.models import AuditLog, Image
from tests.support import sample_images as samples
from tests.support.factories import create_user
from tests.support.qiniu_emulator import KodoEmulator, use_qiniu

ORPHAN = "images/zz/00000000000000000000000000000000-original.jpg"


def age(app: Flask, key: str, seconds: float) -> None:
    path = Path(app.config["MEDIA_ROOT"], key)
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def kept(app: Flask) -> Image:
    image = uploads.ingest(create_user("alice"), samples.jpeg()).image
    db.session.commit()
    return image


def test_reports_without_removing_on_a_dry_run(app: Flask, runner: Any, kept: Image) -> None:
    get_storage().put(ORPHAN, b"x", "image/jpeg")
    age(app, ORPHAN, 7200)
    result = runner.invoke(args=["storage", "sweep", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "checked 4 stored files and 1 images" in result.output
    assert "orphan files (no image): 1" in result.output and ORPHAN in result.output
    assert "dry run: nothing removed" in result.output
    assert get_storage().exists(ORPHAN)


def test_removes_old_orphan_files_and_keeps_young_ones(
    app: Flask, runner: Any, kept: Image
) -> None:
    storage = get_storage()
    young = "images/yy/11111111111111111111111111111111-thumb.jpg"
    storage.put(ORPHAN, b"x", "image/jpeg")
    storage.put(young, b"x", "image/jpeg")
    age(app, ORPHAN, 7200)
    age(app, young, 0)  # stamped by the test's clock, like every other time here
    result = runner.invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 newer than 60 min left alone" in result.output
    assert "removed 1 orphan files; purged 0 images" in result.output
    assert not storage.exists(ORPHAN) and storage.exists(young)
    assert all(storage.exists(key) for key in variant_keys(kept).values())


def test_purges_images_whose_files_are_gone(app: Flask, runner: Any, kept: Image) -> None:
    broken = uploads.ingest(create_user("bob"), samples.png()).image
    db.session.commit()
    broken_id = broken.id
    os.unlink(Path(app.config["MEDIA_ROOT"], variant_keys(broken)["medium"]))
    result = runner.invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert f"image {broken_id}: missing" in result.output
    assert "purged 1 images" in result.output
    db.session.expire_all()
    assert db.session.get(Image, broken_id) is None
    assert db.session.get(Image, kept.id) is not None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.target_id == broken_id)).one()
    assert (entry.action, entry.origin) == ("image.purge", "cli")
    assert sorted(get_storage().keys()) == sorted(variant_keys(kept).values())


def test_sweep_on_qiniu(app: Flask, runner: Any, kodo: KodoEmulator) -> None:
    use_qiniu(app, kodo)
    image = uploads.ingest(create_user("alice"), samples.jpeg()).image
    db.session.commit()
    get_storage().put(ORPHAN, b"x", "image/jpeg")
    kodo.objects[ORPHAN].put_time -= 7200
    kodo.list_page_size = 2
    result = runner.invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert "sweeping QiniuStorage" in result.output
    assert "removed 1 orphan files; purged 0 images" in result.output
    assert sorted(kodo.objects) == sorted(variant_keys(image).values())
    assert not isinstance(get_storage(), LocalStorage)
