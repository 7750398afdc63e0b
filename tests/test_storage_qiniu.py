"""QiniuStorage: the real qiniu SDK against the local Kodo emulator (tests/support/)."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import func, select

from gallery.errors import StorageUnavailable
from gallery.extensions import db
from gallery.media import ingest as uploads
from gallery.media.storage import get_storage, variant_keys
from gallery.media.storage import qiniu as qiniu_storage
from gallery.media.storage.qiniu import QiniuStorage
from gallery.models import Image
from tests.support import sample_images as samples
from tests.support.auth import csrf, login_as
from tests.support.factories import create_user
from tests.support.qiniu_emulator import ACCESS_KEY, BUCKET, SECRET_KEY, KodoEmulator, use_qiniu

KEY = "images/ab/abcdef0123456789-original.jpg"


def make_storage(kodo: KodoEmulator, **overrides: Any) -> QiniuStorage:
    options: dict[str, Any] = {
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "bucket": BUCKET,
        "domain": kodo.url,
        "up_host": kodo.url,
        "rs_host": kodo.url,
        "timeout": (1, 2),
        "retries": 2,
        "budget": 8,
    }
    options.update(overrides)
    return QiniuStorage(**options)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between attempts, recorded instead of slept (time.sleep is one function
    for everything in the process: only where the SDK talks to an emulator that answers)."""
    slept: list[float] = []
    monkeypatch.setattr(qiniu_storage.time, "sleep", slept.append)
    return slept


@pytest.fixture
def qiniu_app(app: Flask, kodo: KodoEmulator) -> Flask:
    return use_qiniu(app, kodo)


def fetch(url: str) -> bytes:
    import requests

    response = requests.get(url, timeout=5)
    assert response.status_code == 200, url
    return response.content


def test_put_serve_stat_delete(kodo: KodoEmulator) -> None:
    storage = make_storage(kodo)
    storage.put(KEY, b"\xff\xd8 jpeg bytes", "image/jpeg")
    assert kodo.objects[KEY].data == b"\xff\xd8 jpeg bytes"
    assert kodo.objects[KEY].mime == "image/jpeg"
    assert storage.url(KEY) == f"{kodo.url}/{KEY}"
    assert fetch(storage.url(KEY)) == b"\xff\xd8 jpeg bytes"
    assert storage.exists(KEY) is True
    storage.delete(KEY)
    assert KEY not in kodo.objects and storage.exists(KEY) is False


def test_deleting_a_missing_key_is_fine(kodo: KodoEmulator) -> None:
    make_storage(kodo).delete(KEY)
    assert ("POST", kodo.requests[-1][1], 612) == kodo.requests[-1]


def test_wrong_secret_is_refused_by_both_hosts(kodo: KodoEmulator) -> None:
    storage = make_storage(kodo, secret_key="not-the-secret")
    with pytest.raises(StorageUnavailable):
        storage.put(KEY, b"x", "image/jpeg")
    make_storage(kodo).put(KEY, b"x", "image/jpeg")
    with pytest.raises(StorageUnavailable):
        storage.delete(KEY)
    assert KEY in kodo.objects
    assert [status for _m, _p, status in kodo.requests] == [401, 200, 401]


def test_expired_token_fails_cleanly_after_one_fresh_try(kodo: KodoEmulator) -> None:
    kodo.clock_offset = 2 * 3600  # the emulator's clock is ahead: every token is expired
    with pytest.raises(StorageUnavailable):
        make_storage(kodo, token_seconds=600).put(KEY, b"x", "image/jpeg")
    assert kodo.uploads() == 2  # the first try and one more with a fresh token
    assert kodo.objects == {}


def test_a_fresh_token_is_made_for_every_upload(kodo: KodoEmulator) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), tick=True):
        storage = make_storage(kodo, token_seconds=60)
    with time_machine.travel(dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC), tick=True):
        kodo.clock_offset = 0  # emulator and app share the travelled clock
        storage.put(KEY, b"two hours after start-up", "image/jpeg")
    assert kodo.objects[KEY].data == b"two hours after start-up"


def test_5xx_then_success(kodo: KodoEmulator, pauses: list[float]) -> None:
    kodo.fail_next(2, 503)
    make_storage(kodo).put(KEY, b"x", "image/jpeg")
    assert kodo.uploads() == 3 and KEY in kodo.objects
    assert pauses == [0.1, 0.2]  # a growing pause before each retry


def test_5xx_every_time_gives_up_after_the_retries(kodo: KodoEmulator, pauses: list[float]) -> None:
    kodo.fail_next(10, 502)
    with pytest.raises(StorageUnavailable):
        make_storage(kodo, retries=2).put(KEY, b"x", "image/jpeg")
    assert kodo.uploads() == 3
    assert pauses == [0.1, 0.2]  # none after the last attempt


def test_black_holed_host_fails_within_the_budget(kodo: KodoEmulator) -> None:
    kodo.black_hole = True
    storage = make_storage(kodo, timeout=(0.5, 0.5), retries=5, budget=1.6)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        storage.put(KEY, b"x", "image/jpeg")
    elapsed = time.monotonic() - started
    assert elapsed < 1.6 + 1.0, elapsed
    assert 1 <= len(kodo.requests) <= 3  # bounded, never the configured 6 attempts


def test_keys_lists_every_page(kodo: KodoEmulator) -> None:
    storage = make_storage(kodo)
    kodo.list_page_size = 2
    wanted = [f"images/0{i}/0{i}abc-thumb.jpg" for i in range(5)]
    for key in wanted:
        storage.put(key, b"x", "image/jpeg")
    assert sorted(storage.keys()) == wanted


def test_image_processing_mode_stores_only_the_original(kodo: KodoEmulator) -> None:
    storage = make_storage(kodo, image_processing=True)
    assert storage.stored_variants == ("original",)
    urls = storage.variant_urls(
        {"thumb": "images/a/b-thumb.jpg", "medium": "images/a/b-medium.jpg", "original": KEY}
    )
    assert urls["original"] == f"{kodo.url}/{KEY}"
    assert urls["thumb"] == f"{kodo.url}/{KEY}?imageView2/2/w/320/h/320/q/85"


# --- the whole upload path on Qiniu -----------------------------------------------------------


def post(client: FlaskClient, data: bytes) -> Any:
    return client.post(
        "/api/images",
        data={"file": (io.BytesIO(data), "a.jpg")},
        headers={"X-CSRFToken": csrf(client)},
        content_type="multipart/form-data",
    )


def test_upload_through_the_api_lands_in_the_bucket(
    qiniu_app: Flask, client: FlaskClient, kodo: KodoEmulator
) -> None:
    alice = create_user("alice")
    login_as(client, alice)
    response = post(client, samples.jpeg_exif_gps())
    assert response.status_code == 201, response.json
    card = response.json
    image = db.session.get(Image, card["id"])
    assert sorted(kodo.objects) == sorted(variant_keys(image).values())
    for variant in ("thumb_url", "medium_url", "original_url"):
        assert card[variant].startswith(kodo.url + "/images/")
        assert samples.has_metadata(fetch(card[variant])) == []
    assert uploads.delete_image_files(image) == []
    assert kodo.objects == {}


def test_storage_failure_mid_upload_leaves_nothing(
    qiniu_app: Flask, client: FlaskClient, kodo: KodoEmulator
) -> None:
    login_as(client, create_user("alice"))
    kodo.fail_uploads_after(1)  # the first variant goes in, the second never does
    response = post(client, samples.jpeg())
    assert response.status_code == 503
    assert response.json["error"] == "storage_unavailable"
    assert kodo.objects == {}
    assert db.session.scalar(select(func.count(Image.id))) == 0


@pytest.mark.settings(QINIU_BUDGET_SECONDS=1.5)
def test_black_holed_upload_is_a_503_well_inside_a_worker_timeout(
    app: Flask, client: FlaskClient, kodo: KodoEmulator
) -> None:
    use_qiniu(app, kodo, QINIU_TIMEOUT=(0.5, 0.5), QINIU_BUDGET_SECONDS=1.5)
    login_as(client, create_user("alice"))
    kodo.black_hole = True
    started = time.monotonic()
    response = post(client, samples.jpeg())
    assert response.status_code == 503
    assert time.monotonic() - started < 5
    assert db.session.scalar(select(func.count(Image.id))) == 0


def test_image_processing_upload_serves_resized_views(
    app: Flask, client: FlaskClient, kodo: KodoEmulator
) -> None:
    use_qiniu(app, kodo, QINIU_IMAGE_PROCESSING=True)
    login_as(client, create_user("alice"))
    card = post(client, samples.jpeg((2000, 1000))).json
    assert len(kodo.objects) == 1 and next(iter(kodo.objects)).endswith("-original.jpg")
    thumb = PILImage.open(io.BytesIO(fetch(card["thumb_url"])))
    assert thumb.size == (320, 160)
    assert isinstance(get_storage(), QiniuStorage)


def test_cleanup_stops_at_the_first_dead_delete(qiniu_app: Flask, kodo: KodoEmulator) -> None:
    qiniu_app.config.update(QINIU_TIMEOUT=(0.5, 0.5), QINIU_BUDGET_SECONDS=1)
    qiniu_app.extensions.pop("gallery_storage", None)
    keys = [f"images/0{i}/0{i}abc-thumb.jpg" for i in range(3)]
    kodo.black_hole = True
    assert uploads.remove_files(keys) == keys
    assert len(kodo.requests) == 1


def test_qiniu_failing_keeps_what_exists(
    qiniu_app: Flask, client: FlaskClient, kodo: KodoEmulator
) -> None:
    """A failed upload removes only its own objects: earlier images, their rows and
    their objects stay, and keep being served."""
    login_as(client, create_user("alice"))
    first = post(client, samples.jpeg())
    assert first.status_code == 201
    kept = dict(kodo.objects)
    kodo.fail_uploads_after(1)  # the next upload dies after its first variant
    failed = post(client, samples.png())
    assert failed.status_code == 503 and failed.json["error"] == "storage_unavailable"
    kodo.fail_uploads_after(None)
    assert sorted(kodo.objects) == sorted(kept)
    assert db.session.scalar(select(func.count(Image.id))) == 1
    card = client.get(f"/api/images/{first.json['id']}")
    assert card.status_code == 200
    assert fetch(card.json["thumb_url"])


# --- both upload hosts hang (issue 14: one upload took about 26 s) --------------------------


@pytest.fixture
def second_kodo() -> Any:
    """A second upload host, as a Qiniu region has (the SDK tries each in turn)."""
    emulator = KodoEmulator().start()
    yield emulator
    emulator.stop()


def uploads_to(kodo: KodoEmulator) -> int:
    return sum(1 for method, path, _ in kodo.requests if method == "POST" and path == "/")


def test_default_budget_fits_one_retry_and_stays_under_ten_seconds(app: Flask) -> None:
    connect, read = app.config["QINIU_TIMEOUT"]
    attempts = app.config["QINIU_RETRIES"] + 1
    assert attempts <= 2  # no more than one retry
    assert attempts * (connect + read) <= app.config["QINIU_BUDGET_SECONDS"] < 10


def test_both_hosts_hanging_cost_one_timeout_each_within_the_budget(
    kodo: KodoEmulator, second_kodo: KodoEmulator
) -> None:
    kodo.black_hole = second_kodo.black_hole = True
    storage = make_storage(
        kodo, up_host=f"{kodo.url}, {second_kodo.url}", timeout=(0.2, 0.3), retries=1, budget=1.2
    )
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        storage.put(KEY, b"x", "image/jpeg")
    elapsed = time.monotonic() - started
    # one attempt per host: the SDK is never left to walk every host inside one attempt
    assert uploads_to(kodo) == 1 and uploads_to(second_kodo) == 1
    assert elapsed < 1.2, elapsed


def test_a_dead_host_is_not_asked_first_again(
    kodo: KodoEmulator, second_kodo: KodoEmulator
) -> None:
    second_kodo.black_hole = True
    storage = make_storage(
        kodo, up_host=f"{second_kodo.url},{kodo.url}", timeout=(0.2, 0.3), retries=1, budget=3
    )
    deadline = storage.deadline()
    started = time.monotonic()
    for variant in ("thumb", "medium", "original"):
        storage.put(f"images/ab/abc-{variant}.jpg", b"x", "image/jpeg", deadline=deadline)
    assert uploads_to(second_kodo) == 1  # once, not once per variant
    assert uploads_to(kodo) == 3 and len(kodo.objects) == 3
    assert time.monotonic() - started < 1.5


def test_no_attempt_starts_that_cannot_finish_before_the_deadline(kodo: KodoEmulator) -> None:
    storage = make_storage(kodo, timeout=(0.2, 0.3), retries=1, budget=9)
    with pytest.raises(StorageUnavailable):
        storage.put(KEY, b"x", "image/jpeg", deadline=time.monotonic() + 0.4)
    assert kodo.requests == [] and kodo.objects == {}


def test_an_upload_while_both_hosts_hang_is_a_quick_503_that_leaves_nothing(
    app: Flask, client: FlaskClient, kodo: KodoEmulator, second_kodo: KodoEmulator
) -> None:
    use_qiniu(
        app,
        kodo,
        QINIU_UP_HOST=f"{kodo.url},{second_kodo.url}",
        QINIU_TIMEOUT=(0.2, 0.3),
        QINIU_RETRIES=1,
        QINIU_BUDGET_SECONDS=1.2,
    )
    login_as(client, create_user("alice"))
    kodo.black_hole = second_kodo.black_hole = True
    started = time.monotonic()
    response = post(client, samples.jpeg())
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json["error"] == "storage_unavailable"
    assert "nothing was saved" in response.json["message"]
    assert elapsed < 1.2 + 0.5, elapsed  # the budget, plus the image work of the request
    assert uploads_to(kodo) + uploads_to(second_kodo) == 2
    assert kodo.objects == {} and second_kodo.objects == {}
    assert db.session.scalar(select(func.count(Image.id))) == 0


def test_region_hosts_are_tried_one_per_attempt_too(
    kodo: KodoEmulator, second_kodo: KodoEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without QINIU_UP_HOST the hosts come from the SDK's region look-up (here two hanging
    emulators in the region it answers): still one attempt per host, within the budget."""
    from qiniu.http.endpoint import Endpoint
    from qiniu.http.region import Region, ServiceName
    from qiniu.services.storage.uploaders import FormUploader

    region = Region(
        services={
            ServiceName.UP: [Endpoint.from_host(kodo.url), Endpoint.from_host(second_kodo.url)]
        }
    )
    monkeypatch.setattr(FormUploader, "_get_regions_provider", lambda self, **_: [region])
    kodo.black_hole = second_kodo.black_hole = True
    storage = make_storage(kodo, up_host=None, timeout=(0.2, 0.3), retries=1, budget=1.2)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        storage.put(KEY, b"x", "image/jpeg")
    assert uploads_to(kodo) == 1 and uploads_to(second_kodo) == 1
    assert time.monotonic() - started < 1.2
