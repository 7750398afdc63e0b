"""POST /api/images: the table of good and bad files, metadata, duplicates, access, limits."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gallery.extensions import db
from gallery.models import Image
from tests.support import sample_images as samples
from tests.support.auth import csrf, login_as
from tests.support.factories import create_user

ACCEPTED = "JPEG, PNG, GIF or WebP"


def post_image(
    client: FlaskClient,
    data: bytes,
    token: str | None = None,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
) -> Any:
    """POST one file as multipart with the CSRF header (None: fetch a token first)."""
    headers = {} if token == "" else {"X-CSRFToken": token or csrf(client)}
    form: dict[str, Any] = {"file": (io.BytesIO(data), filename, content_type), **fields}
    return client.post(
        "/api/images", data=form, headers=headers, content_type="multipart/form-data"
    )


def fetch(client: FlaskClient, url: str) -> Any:
    """GET and close (send_file responses hold the file open until closed)."""
    response = client.get(url)
    response.get_data()  # read it all, then release the file
    response.close()
    return response


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def alice(alice: Any, client: FlaskClient) -> Any:
    """The shared alice, logged in: every test here uploads as her."""
    login_as(client, alice)
    return alice


GOOD: list[tuple[str, Callable[[], bytes], str, tuple[int, int]]] = [
    ("plain JPEG", samples.jpeg, "jpeg", (640, 480)),
    ("PNG with alpha", samples.png, "png", (320, 200)),
    ("WebP", samples.webp, "webp", (400, 300)),
    ("animated GIF", samples.animated_gif, "gif", (120, 80)),
    ("CMYK JPEG", samples.cmyk_jpeg, "jpeg", (300, 200)),
    ("16-bit PNG", samples.png_16bit, "png", (256, 64)),
    ("EXIF with GPS and Orientation 6", samples.jpeg_exif_gps, "jpeg", (400, 600)),
    (
        "JPEG with <script> in COM and appended HTML",
        samples.jpeg_with_script_comment,
        "jpeg",
        (300, 200),
    ),
]

BAD: list[tuple[str, Callable[[], bytes], int, str, str]] = [
    (
        "PNG bomb declaring 10000×10000",
        samples.png_bomb,
        413,
        "too_many_pixels",
        "the limit is 40 megapixels",
    ),
    ("truncated JPEG", samples.truncated_jpeg, 415, "unsupported_image", "truncated or corrupt"),
    ("truncated PNG", samples.truncated_png, 415, "unsupported_image", "truncated or corrupt"),
    ("corrupt JPEG", samples.corrupt_jpeg, 415, "unsupported_image", "truncated or corrupt"),
    ("SVG named .jpg", samples.svg, 415, "unsupported_image", "an SVG drawing"),
    ("HTML named .jpg", samples.html, 415, "unsupported_image", "an HTML page"),
    ("PDF", samples.pdf, 415, "unsupported_image", "a PDF document"),
    ("BMP", samples.bmp, 415, "unsupported_image", "a BMP image"),
    ("TIFF", samples.tiff, 415, "unsupported_image", "a TIFF image"),
    ("PHP file named .jpg", samples.php_named_jpg, 415, "unsupported_image", "a PHP script"),
    (
        "GIF header + PHP polyglot",
        samples.gif_php_polyglot,
        415,
        "unsupported_image",
        "not a supported image",
    ),
    ("empty file", lambda: b"", 415, "unsupported_image", "empty"),
]


@pytest.mark.parametrize(("name", "make", "fmt", "size"), GOOD, ids=[g[0] for g in GOOD])
def test_good_files_are_accepted_and_stored_clean(
    app: Flask,
    client: FlaskClient,
    alice: Any,
    name: str,
    make: Callable[[], bytes],
    fmt: str,
    size: tuple[int, int],
) -> None:
    response = post_image(client, make(), caption=name)
    assert response.status_code == 201, response.json
    card = response.json
    assert card["duplicate"] is False
    assert (card["width"], card["height"]) == size
    assert card["caption"] == name and card["author"]["username"] == "alice"
    image = db.session.get(Image, card["id"])
    assert image.format == fmt
    for variant in ("thumb_url", "medium_url", "original_url"):
        served = fetch(client, card[variant])
        assert served.status_code == 200, variant
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert samples.has_metadata(served.data) == [], (name, variant)
        assert PILImage.open(io.BytesIO(served.data)).format.lower() == fmt
    assert len(stored_files(app)) == 3


@pytest.mark.parametrize(
    ("name", "make", "status", "code", "message"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_files_are_refused_with_a_clear_message(
    app: Flask,
    client: FlaskClient,
    alice: Any,
    name: str,
    make: Callable[[], bytes],
    status: int,
    code: str,
    message: str,
) -> None:
    response = post_image(client, make())
    assert response.status_code == status, response.json
    assert response.is_json
    assert response.json["error"] == code
    assert message in response.json["message"]
    if status == 415:
        assert f"Accepted formats: {ACCEPTED}." in response.json["message"]
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count(Image.id))) == 0


def test_orientation_is_applied_to_the_pixels(client: FlaskClient, alice: Any) -> None:
    card = post_image(client, samples.jpeg_exif_gps()).json
    original = PILImage.open(io.BytesIO(fetch(client, card["original_url"]).data))
    assert original.size == (400, 600)
    red, green, blue = samples.rgb_at(original, (original.width - 10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_animation_is_kept(client: FlaskClient, alice: Any) -> None:
    card = post_image(client, samples.animated_gif(frames=4)).json
    for variant in ("thumb_url", "medium_url", "original_url"):
        assert PILImage.open(io.BytesIO(fetch(client, card[variant]).data)).n_frames == 4


def test_same_bytes_again_return_the_existing_card(
    app: Flask, client: FlaskClient, alice: Any
) -> None:
    data = samples.jpeg()
    token = csrf(client)
    first = post_image(client, data, token, caption="first")
    again = post_image(client, data, token, filename="renamed.jpg", caption="second")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["duplicate"] is True
    assert again.json["id"] == first.json["id"]
    assert again.json["caption"] == "first"
    assert len(stored_files(app)) == 3


def test_stored_names_are_generated(app: Flask, client: FlaskClient, alice: Any) -> None:
    card = post_image(client, samples.jpeg(), filename="../../etc/passwd.jpg").json
    names = [p.name for p in stored_files(app)]
    assert all("passwd" not in name for name in names)
    assert card["original_url"].startswith("/media/images/")


def test_shop_link_must_be_http(client: FlaskClient, alice: Any) -> None:
    response = post_image(client, samples.jpeg(), shop_url="javascript:alert(1)")
    assert response.status_code == 400
    assert response.json["error"] == "bad_shop_url"
    good = post_image(
        client, samples.png(), shop_url="https://shop.example/item", shop_title="The print"
    )
    assert good.status_code == 201
    assert good.json["shop"] == {"title": "The print", "url": f"/go/{good.json['id']}"}


def test_anonymous_gets_401(client: FlaskClient) -> None:
    response = post_image(client, samples.jpeg())
    assert response.status_code == 401 and response.json["error"] == "not_logged_in"


def test_unconfirmed_gets_403(client: FlaskClient) -> None:
    login_as(client, create_user("newbie", confirmed=False))
    response = post_image(client, samples.jpeg())
    assert response.status_code == 403 and response.json["error"] == "not_confirmed"


def test_missing_csrf_token_gets_400(app: Flask, client: FlaskClient, alice: Any) -> None:
    response = post_image(client, samples.jpeg(), token="")
    assert response.status_code == 400 and response.json["error"] == "csrf_failed"
    assert stored_files(app) == []


def test_one_file_per_request(client: FlaskClient, alice: Any) -> None:
    form = {"file": [(io.BytesIO(samples.jpeg()), "a.jpg"), (io.BytesIO(samples.png()), "b.png")]}
    response = client.post("/api/images", data=form, headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 400 and response.json["error"] == "one_file_only"


def test_no_file_is_a_400(client: FlaskClient, alice: Any) -> None:
    response = client.post(
        "/api/images", data={"caption": "x"}, headers={"X-CSRFToken": csrf(client)}
    )
    assert response.status_code == 400 and response.json["error"] == "no_file"


@pytest.mark.settings(MAX_CONTENT_LENGTH=1024 * 1024)
def test_request_over_the_size_limit_is_413_json(
    app: Flask, client: FlaskClient, alice: Any
) -> None:
    big = samples.encode(PILImage.frombytes("RGB", (700, 600), os.urandom(1_260_000)), "PNG")
    assert len(big) > 1024 * 1024
    # encoded here: the test client would spool a body this big to a temporary file
    # that it never closes once the app refuses to read it
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "big.png")})
    response = client.post(
        "/api/images",
        data=body,
        headers={"X-CSRFToken": csrf(client)},
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert response.json["error"] == "too_large"
    assert "larger than the limit of 1 MB" in response.json["message"]
    assert stored_files(app) == []


@pytest.mark.settings(UPLOAD_RATE_LIMIT="2 per hour")
def test_uploads_are_rate_limited_per_user(client: FlaskClient, alice: Any) -> None:
    token = csrf(client)
    assert post_image(client, samples.jpeg((100, 100)), token).status_code == 201
    assert post_image(client, samples.jpeg((120, 100)), token).status_code == 201
    third = post_image(client, samples.jpeg((140, 100)), token)
    assert third.status_code == 429
    assert third.json["error"] == "too_many_requests"
    assert "2 per 1 hour" in third.json["message"]
    login_as(client, create_user("bob"))
    assert post_image(client, samples.jpeg((160, 100))).status_code == 201
