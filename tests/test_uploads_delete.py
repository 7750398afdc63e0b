"""DELETE /api/images/<id> (hide through moderation), the media route, the upload page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gallery.extensions import db
from gallery.media import ingest as uploads
from gallery.models import HIDDEN, VISIBLE, AuditLog, Image
from tests.support import sample_images as samples
from tests.support.auth import csrf, login_as
from tests.support.factories import create_user


@pytest.fixture
def image(app: Flask) -> Image:
    result = uploads.ingest(create_user("alice"), samples.jpeg(), caption="mine")
    db.session.commit()
    return result.image


def delete(client: FlaskClient, image_id: int, token: str | None = None) -> Any:
    headers = {} if token == "" else {"X-CSRFToken": token or csrf(client)}
    return client.delete(f"/api/images/{image_id}", headers=headers)


def test_owner_hides_own_image(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    response = delete(client, image.id)
    assert response.status_code == 204 and response.data == b""
    db.session.refresh(image)
    assert image.status == HIDDEN and image.hidden_by_id == image.author.id
    entry = db.session.scalars(select(AuditLog).where(AuditLog.target_id == image.id)).one()
    assert (entry.action, entry.origin, entry.actor_id) == ("image.hide", "api", image.author.id)
    assert client.get(f"/api/images/{image.id}").status_code == 404
    # hidden, not purged: the files stay until the retention period ends
    assert uploads.get_storage().exists(uploads.variant_keys(image)["original"])
    assert delete(client, image.id).status_code == 204  # again: still hidden, no error


def test_other_member_is_refused(client: FlaskClient, image: Image) -> None:
    login_as(client, create_user("bob"))
    response = delete(client, image.id)
    assert response.status_code == 403 and response.json["error"] == "forbidden"
    db.session.refresh(image)
    assert image.status == VISIBLE


def test_moderator_hides_anyones_image(client: FlaskClient, image: Image) -> None:
    moderator = create_user("mod", roles=("moderator",))
    login_as(client, moderator)
    assert delete(client, image.id).status_code == 204
    db.session.refresh(image)
    assert image.status == HIDDEN and image.hidden_by_id == moderator.id


def test_anonymous_missing_and_csrf(client: FlaskClient, image: Image) -> None:
    assert delete(client, image.id).status_code == 401
    login_as(client, image.author)
    assert delete(client, 999_999).status_code == 404
    response = delete(client, image.id, token="")
    assert response.status_code == 400 and response.json["error"] == "csrf_failed"


def test_hidden_image_of_someone_else_is_not_found(client: FlaskClient, image: Image) -> None:
    image.status = HIDDEN
    db.session.commit()
    login_as(client, create_user("bob"))
    assert delete(client, image.id).status_code == 404


# --- media -----------------------------------------------------------------------------------


def test_media_headers(client: FlaskClient, image: Image) -> None:
    key = uploads.variant_keys(image)["thumb"]
    response = client.get(f"/media/{key}")
    response.close()
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get(f"/media/{key}", headers={"If-None-Match": response.headers["ETag"]})
    again.close()
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/../instance/dev-secrets.json",
        "/media/images/%2e%2e/x.jpg",
        "/media/images/ab/missing-thumb.jpg",
        "/media/images/ab/file.html",
        "/media/.tmp-abc",
    ],
)
def test_media_refuses_anything_else(client: FlaskClient, image: Image, path: str) -> None:
    assert client.get(path).status_code == 404


# --- the page without JavaScript ------------------------------------------------------------


def test_page_sends_visitors_to_login(client: FlaskClient) -> None:
    response = client.get("/upload")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_shows_the_limits(client: FlaskClient) -> None:
    login_as(client, create_user("alice"))
    html = client.get("/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert "up to 20 MB and 40 megapixels per image" in html
    assert 'data-max-bytes="20971520"' in html and 'data-max-pixels="40000000"' in html


def test_plain_form_uploads_each_file_on_its_own(app: Flask, client: FlaskClient) -> None:
    login_as(client, create_user("alice"))
    data = {
        "csrf_token": csrf(client),
        "caption": "from the form",
        "file": [
            (io.BytesIO(samples.jpeg()), "one.jpg"),
            (io.BytesIO(samples.svg()), "two.jpg"),
            (io.BytesIO(samples.png()), "three.png"),
        ],
    }
    response = client.post("/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    images = db.session.scalars(select(Image).order_by(Image.id)).all()
    assert [i.caption for i in images] == ["from the form", "from the form"]
    for image in images:
        assert f'href="/images/{image.id}"' in html
    assert "two.jpg" in html and "an SVG drawing" in html
    again = client.post(
        "/upload",
        data={"csrf_token": csrf(client), "file": (io.BytesIO(samples.jpeg()), "same.jpg")},
        content_type="multipart/form-data",
    )
    assert "Already uploaded" in again.get_data(as_text=True)


def test_plain_form_needs_csrf(client: FlaskClient) -> None:
    login_as(client, create_user("alice"))
    response = client.post(
        "/upload",
        data={"file": (io.BytesIO(samples.jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-error="csrf_failed"' in page
    assert "security token is missing or expired" in page


def test_page_tells_unconfirmed_members_to_confirm(client: FlaskClient) -> None:
    login_as(client, create_user("newbie", confirmed=False))
    response = client.get("/upload")
    assert response.status_code == 403
    assert "confirm your e-mail" in response.get_data(as_text=True)
