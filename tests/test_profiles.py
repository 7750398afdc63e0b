"""Profiles: the account page (display name, bio, avatar through the image
pipeline), /u/<username> with counts and an empty state, and the API author."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image as PILImage

from gallery.extensions import db
from gallery.media import ingest
from gallery.media.avatars import avatar_urls
from gallery.media.storage import get_storage, variant_keys
from gallery.models import HIDDEN, User
from tests.support import sample_images as samples
from tests.support.auth import csrf, login_as
from tests.support.factories import create_image


def save_profile(client: FlaskClient, avatar: bytes | None = None, **fields: Any) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf(client), **fields}
    if avatar is not None:
        data["avatar"] = (io.BytesIO(avatar), "me.jpg")
    return client.post("/account/profile", data=data, content_type="multipart/form-data")


def stored(user: User, variant: str) -> bytes:
    key = f"{user.avatar_key}-{variant}.jpg"
    return (get_storage().path(key)).read_bytes()


def test_account_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/account/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_edit_display_name_bio_and_avatar(client: FlaskClient, alice: User) -> None:
    login_as(client, alice)
    response = save_profile(
        client,
        avatar=samples.jpeg_exif_gps((600, 400)),
        display_name="  Alice Liddell ",
        bio="I take pictures <b>of rabbits</b>.",
    )
    assert response.status_code == 302
    db.session.refresh(alice)
    assert (alice.display_name, alice.bio) == (
        "Alice Liddell",
        "I take pictures <b>of rabbits</b>.",
    )
    assert alice.avatar_key and alice.avatar_key.startswith("avatars/")
    for variant, side in (("original", 400), ("medium", 256), ("thumb", 96)):
        data = stored(alice, variant)
        with PILImage.open(io.BytesIO(data)) as picture:
            assert picture.size == (side, side)  # square crop
        assert samples.has_metadata(data) == []  # no EXIF, no GPS
    html = client.get("/u/alice").get_data(as_text=True)
    assert "Alice Liddell" in html and "&lt;b&gt;of rabbits&lt;/b&gt;" in html
    assert avatar_urls(alice)["medium"] in html


def test_new_avatar_replaces_the_old_files(client: FlaskClient, alice: User) -> None:
    login_as(client, alice)
    save_profile(client, avatar=samples.jpeg())
    db.session.refresh(alice)
    old = list(
        variant_keys(type("A", (), {"storage_key": alice.avatar_key, "format": "jpeg"})).values()
    )
    save_profile(client, avatar=samples.png())
    db.session.refresh(alice)
    assert not any(get_storage().exists(key) for key in old)
    assert get_storage().exists(f"{alice.avatar_key}-thumb.jpg")
    # the storage sweep does not take avatars for orphans
    report = ingest.find_orphans(grace_seconds=0)
    assert not [key for key in report.orphan_files if key.startswith("avatars/")]
    save_profile(client, remove_avatar="1")
    db.session.refresh(alice)
    assert alice.avatar_key is None


@pytest.mark.parametrize(
    ("fields", "avatar", "status"),
    [
        ({"display_name": "x" * 65}, None, 400),
        ({"bio": "x" * 501}, None, 400),
        ({}, samples.pdf(), 415),
        ({}, samples.svg(), 415),
    ],
)
def test_bad_profile_input_is_refused(
    client: FlaskClient, alice: User, fields: dict[str, Any], avatar: bytes | None, status: int
) -> None:
    login_as(client, alice)
    response = save_profile(client, avatar=avatar, **fields)
    assert response.status_code == status
    assert "data-profile-error" in response.get_data(as_text=True)
    db.session.refresh(alice)
    assert alice.avatar_key is None and alice.display_name is None


def test_profile_counts_and_cards_without_the_owner_name(client: FlaskClient, alice: User) -> None:
    create_image(alice, views=10, like_count=2)
    create_image(alice, views=5, like_count=1)
    create_image(alice, views=100, like_count=50, status=HIDDEN)  # not counted
    html = client.get("/u/alice").get_data(as_text=True)
    assert "<dd data-stat-images>2</dd>" in html
    assert "<dd data-stat-likes>3</dd>" in html
    assert "<dd data-stat-views>15</dd>" in html
    grid = html.split("data-feed")[1].split('<template id="card-template">')[0]
    assert 'class="g-author"' not in grid


def test_own_empty_profile_invites_an_upload(client: FlaskClient, alice: User) -> None:
    html = client.get("/u/alice").get_data(as_text=True)
    assert "data-empty-invite" not in html and "No images yet." in html
    login_as(client, alice)
    html = client.get("/u/alice").get_data(as_text=True)
    assert "data-empty-invite" in html and 'href="/upload"' in html


def test_api_author_has_display_name_and_avatar(client: FlaskClient, alice: User) -> None:
    image = create_image(alice)
    author = client.get(f"/api/images/{image.id}").json["author"]
    assert author == {
        "username": "alice",
        "url": "/u/alice",
        "display_name": "alice",
        "avatar_url": None,
    }
    login_as(client, alice)
    save_profile(client, avatar=samples.jpeg(), display_name="Alice")
    author = client.get(f"/api/images/{image.id}").json["author"]
    assert author["display_name"] == "Alice"
    assert author["avatar_url"].startswith("/media/avatars/") and author["avatar_url"].endswith(
        "-thumb.jpg"
    )
