"""Albums: the service, the JSON API rows, the pages, hidden images leaving every
album (caches included) and a constant number of statements per album page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.albums import service as albums
from gallery.extensions import db
from gallery.models import Album, AlbumImage, Image, User
from gallery.moderation import actions as moderation
from tests.support.auth import csrf, login_as
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import count_statements, make_images


def send(client: FlaskClient, method: str, path: str, body: Any = None) -> Any:
    return client.open(path, method=method, json=body, headers={"X-CSRFToken": csrf(client)})


def new_album(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    response = send(client, "POST", "/api/albums", {"title": "Trip", **fields})
    assert response.status_code == 201, response.json
    return response.json


def listed(client: FlaskClient, album_id: int, **params: Any) -> Any:
    return client.get(f"/api/albums/{album_id}", query_string=params)


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json["items"]]


# --- the API ---------------------------------------------------------------------------


def test_create_add_reorder_remove(client: FlaskClient, alice: User) -> None:
    images = make_images(alice, 3)
    login_as(client, alice)
    album = new_album(client, description="by the sea", visibility="unlisted")
    assert album["url"] == "/a/trip" and album["image_count"] == 0 and album["cover"] is None
    assert album["owner"]["username"] == "alice" and album["visibility"] == "unlisted"
    first, second, third = (image.id for image in images)
    response = send(
        client, "POST", f"/api/albums/{album['id']}/images", {"image_ids": [first, second, third]}
    )
    assert response.status_code == 200 and response.json["added"] == 3
    assert response.json["album"]["cover"]["id"] == first
    assert ids(listed(client, album["id"])) == [first, second, third]
    # adding again changes nothing
    assert (
        send(client, "POST", f"/api/albums/{album['id']}/images", {"image_id": first}).json["added"]
        == 0
    )
    response = send(client, "PATCH", f"/api/albums/{album['id']}", {"order": [third, first]})
    assert response.status_code == 200
    assert ids(listed(client, album["id"])) == [third, first, second]
    response = send(client, "DELETE", f"/api/albums/{album['id']}/images", {"image_ids": [first]})
    assert response.json["removed"] == 1 and response.json["album"]["image_count"] == 2
    assert ids(listed(client, album["id"])) == [third, second]
    assert send(client, "DELETE", f"/api/albums/{album['id']}").status_code == 204
    assert listed(client, album["id"]).status_code == 404
    assert db.session.get(Image, first) is not None  # the images stay


def test_keyset_pages_on_position(client: FlaskClient, alice: User) -> None:
    images = make_images(alice, 7)
    album = albums.create_album(alice, {"title": "Many"})
    albums.add_images(album, [image.id for image in reversed(images)])
    db.session.commit()
    seen: list[int] = []
    cursor = None
    while True:
        response = listed(client, album.id, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += ids(response)
        cursor = response.json["next_cursor"]
        if not cursor:
            break
    assert seen == [image.id for image in reversed(images)]
    # an image added while paging lands at the end, no repeats
    bad = listed(client, album.id, cursor="not-a-cursor")
    assert bad.status_code == 400 and bad.json["error"] == "bad_cursor"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"title": ""}, "bad_title"),
        ({"title": "x" * 121}, "bad_title"),
        ({"title": "ok", "visibility": "secret"}, "bad_visibility"),
        ({"title": "ok", "description": 5}, "bad_description"),
        (["title"], "bad_json"),
    ],
)
def test_create_rejects_bad_input(client: FlaskClient, alice: User, body: Any, code: str) -> None:
    login_as(client, alice)
    response = send(client, "POST", "/api/albums", body)
    assert (response.status_code, response.json["error"]) == (400, code)


def test_only_own_images_and_only_the_owner(client: FlaskClient, alice: User) -> None:
    bob = create_user("bob")
    theirs = create_image(bob)
    login_as(client, alice)
    album = new_album(client)
    response = send(client, "POST", f"/api/albums/{album['id']}/images", {"image_ids": [theirs.id]})
    assert response.status_code == 400 and response.json["error"] == "not_your_image"
    response = send(client, "PATCH", f"/api/albums/{album['id']}", {"order": [theirs.id]})
    assert response.status_code == 400
    login_as(client, bob)
    assert send(client, "PATCH", f"/api/albums/{album['id']}", {"title": "mine"}).status_code == 403
    assert send(client, "DELETE", f"/api/albums/{album['id']}").status_code == 403


def test_visitor_and_unconfirmed_cannot_create(client: FlaskClient, app: Flask) -> None:
    assert send(client, "POST", "/api/albums", {"title": "x"}).status_code == 401
    login_as(client, create_user("newbie", confirmed=False))
    response = send(client, "POST", "/api/albums", {"title": "x"})
    assert response.status_code == 403 and response.json["error"] == "not_confirmed"


def test_slugs_are_unique_and_cjk_titles_use_the_id(client: FlaskClient, alice: User) -> None:
    first = albums.create_album(alice, {"title": "Sea & Sun"})
    second = albums.create_album(alice, {"title": "sea sun"})
    chinese = albums.create_album(alice, {"title": "海边"})
    db.session.commit()
    assert (first.slug, second.slug, chinese.slug) == ("sea-sun", "sea-sun-2", None)
    assert albums.album_url(chinese) == f"/a/{chinese.id}"
    assert client.get("/a/sea-sun-2").status_code == 200
    assert client.get(f"/a/{chinese.id}").status_code == 200
    assert client.get("/a/nope").status_code == 404


def test_cover_must_be_in_the_album(client: FlaskClient, alice: User) -> None:
    one, two = make_images(alice, 2)
    login_as(client, alice)
    album = new_album(client, image_ids=[one.id, two.id])
    response = send(client, "PATCH", f"/api/albums/{album['id']}", {"cover_image_id": two.id})
    assert response.json["cover"]["id"] == two.id
    other = create_image(alice)
    response = send(client, "PATCH", f"/api/albums/{album['id']}", {"cover_image_id": other.id})
    assert response.status_code == 400 and response.json["error"] == "bad_cover"


# --- hidden images leave at once ----------------------------------------------------------


def test_hidden_image_leaves_every_album_and_its_cache(client: FlaskClient, alice: User) -> None:
    images = make_images(alice, 3)
    first = albums.create_album(alice, {"title": "One"})
    second = albums.create_album(alice, {"title": "Two"})
    for album in (first, second):
        albums.add_images(album, [image.id for image in images])
    db.session.commit()
    for album in (first, second):
        assert len(ids(listed(client, album.id))) == 3
        client.get(f"/a/{album.id}")
    hidden = images[1]
    moderation.hide_image(hidden, None, "cli")
    db.session.commit()
    for album in (first, second):
        response = listed(client, album.id)
        assert hidden.id not in ids(response)
        assert response.json["album"]["image_count"] == 2
        page = client.get(f"/a/{album.id}").get_data(as_text=True)
        assert f'data-id="{hidden.id}"' not in page
    # purged: its rows go too
    moderation.purge_image(db.session.get(Image, hidden.id), None, "cli")
    db.session.commit()
    assert db.session.query(AlbumImage).filter_by(image_id=hidden.id).count() == 0


def test_hidden_cover_falls_back_to_the_first_image(client: FlaskClient, alice: User) -> None:
    one, two = make_images(alice, 2)
    album = albums.create_album(alice, {"title": "Cover"})
    albums.add_images(album, [one.id, two.id])
    album.cover_image_id = two.id
    db.session.commit()
    moderation.hide_image(two, None, "cli")
    db.session.commit()
    assert listed(client, album.id).json["album"]["cover"]["id"] == one.id


# --- statements per page -----------------------------------------------------------------


@pytest.mark.parametrize("member", [False, True])
def test_album_page_statements_do_not_grow(client: FlaskClient, alice: User, member: bool) -> None:
    album = albums.create_album(alice, {"title": "Counted"})
    db.session.commit()
    album_id = album.id
    if member:
        login_as(client, create_user("bob"))
    counts = []
    for round_, total in enumerate((3, 20)):
        current = db.session.scalar(
            db.select(db.func.count())
            .select_from(AlbumImage)
            .where(AlbumImage.album_id == album_id)
        )
        fresh = []
        for i in range(total - current):
            image = create_image(alice)
            create_comment(image, create_user(f"c{round_}x{i}"), body="hi")
            fresh.append(image.id)
        albums.add_images(db.session.get(Album, album_id), fresh)
        db.session.commit()
        db.session.remove()
        for path in (f"/a/{album_id}?round={round_}", f"/api/albums/{album_id}?round={round_}"):
            client.get(path + "&warm=1")  # per-session state (the bell count) is read once
            with count_statements() as statements:
                response = client.get(path)
            assert response.status_code == 200
            counts.append((path.split("?")[0], len(statements)))
    assert counts[0][1] == counts[2][1] and counts[1][1] == counts[3][1], counts


# --- pages ---------------------------------------------------------------------------------


def test_album_page_for_owner_and_visitor(client: FlaskClient, alice: User) -> None:
    images = make_images(alice, 2)
    album = albums.create_album(alice, {"title": "Walks", "description": "<b>mine</b>"})
    albums.add_images(album, [image.id for image in images])
    db.session.commit()
    html = client.get("/a/walks").get_data(as_text=True)
    assert "Walks" in html and "&lt;b&gt;mine&lt;/b&gt;" in html
    assert "data-album-owner" not in html
    login_as(client, alice)
    html = client.get("/a/walks").get_data(as_text=True)
    assert "data-album-owner" in html and "data-album-order" in html


def test_forms_create_add_and_remove(client: FlaskClient, alice: User) -> None:
    one, two = make_images(alice, 2)
    login_as(client, alice)
    token = csrf(client)
    response = client.post(
        "/albums/new",
        data={
            "csrf_token": token,
            "title": "Form album",
            "visibility": "public",
            "image_id": one.id,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/a/form-album")
    album = db.session.scalar(db.select(Album).where(Album.slug == "form-album"))
    client.post(f"/a/{album.id}/images", data={"csrf_token": token, "image_id": [two.id]})
    assert albums.member_ids(album) == [one.id, two.id]
    client.post(f"/a/{album.id}/images", data={"csrf_token": token, "remove": one.id})
    assert albums.member_ids(album) == [two.id]
    html = client.get(f"/images/{two.id}/albums").get_data(as_text=True)
    assert "Form album" in html and f'data-album-toggle="{album.id}"' in html


def test_profile_lists_public_albums_only_to_others(client: FlaskClient, alice: User) -> None:
    albums.create_album(alice, {"title": "Open"})
    albums.create_album(alice, {"title": "Hidden away", "visibility": "unlisted"})
    db.session.commit()
    html = client.get("/u/alice").get_data(as_text=True)
    assert "Open" in html and "Hidden away" not in html
    login_as(client, alice)
    html = client.get("/u/alice").get_data(as_text=True)
    assert "Open" in html and "Hidden away" in html


# --- from the upload page ------------------------------------------------------------------


def test_upload_into_an_album(client: FlaskClient, alice: User) -> None:
    from tests.support import sample_images as samples

    album = albums.create_album(alice, {"title": "Fresh"})
    other = albums.create_album(create_user("bob"), {"title": "Not mine"})
    db.session.commit()
    login_as(client, alice)
    html = client.get(f"/upload?album={album.id}").get_data(as_text=True)
    assert f'<option value="{album.id}" selected>Fresh</option>' in html
    token = csrf(client)
    response = client.post(
        "/api/images",
        data={"file": (io.BytesIO(samples.jpeg()), "a.jpg"), "album_id": str(album.id)},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    assert albums.member_ids(album) == [response.json["id"]]
    # the plain form too
    response = client.post(
        "/upload",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(samples.png()), "b.png"),
            "album_id": str(album.id),
        },
    )
    assert response.status_code == 200 and len(albums.member_ids(album)) == 2
    # someone else's album: refused before anything is stored
    response = client.post(
        "/api/images",
        data={"file": (io.BytesIO(samples.webp()), "c.webp"), "album_id": str(other.id)},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Image.id))) == 2
