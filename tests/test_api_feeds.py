"""GET rows of the JSON API: latest, profile, hot, picks, one card, comments; errors."""

from __future__ import annotations

import datetime as dt

import pytest

from gallery.extensions import db
from gallery.models import HIDDEN, Pick, utcnow
from tests.support.auth import Member
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import ids, make_images

CARD_KEYS = {
    "id",
    "url",
    "thumb_url",
    "medium_url",
    "original_url",
    "width",
    "height",
    "placeholder",
    "caption",
    "author",
    "created_at",
    "views",
    "comment_count",
    "like_count",
    "comments",
    "shop",
}


def test_latest_feed_pages_newest_first_with_card_shape(client):
    alice = create_user("alice")
    images = make_images(alice, 25, shop_url="https://shop.example/x", shop_title="Buy")
    first = client.get("/api/images")
    assert first.status_code == 200 and first.mimetype == "application/json"
    data = first.get_json()
    assert ids(first) == [image.id for image in reversed(images)][:20]
    card = data["items"][0]
    assert set(card) == CARD_KEYS
    assert card["url"] == f"/images/{images[-1].id}"
    assert card["author"] == {
        "username": "alice",
        "url": "/u/alice",
        "display_name": "alice",
        "avatar_url": None,
    }
    assert card["shop"] == {"title": "Buy", "url": f"/go/{images[-1].id}"}
    assert card["created_at"].endswith("Z")
    second = client.get(f"/api/images?cursor={data['next_cursor']}")
    assert ids(second) == [image.id for image in reversed(images)][20:]
    assert second.get_json()["next_cursor"] is None


def test_card_carries_latest_three_comments_newest_first(client):
    alice, bob = create_user("alice"), create_user("bob")
    image = create_image(alice)
    start = utcnow() - dt.timedelta(minutes=10)
    for n in range(5):
        create_comment(image, bob, f"comment {n}", created_at=start + dt.timedelta(minutes=n))
    card = client.get(f"/api/images/{image.id}").get_json()
    assert [c["body"] for c in card["comments"]] == ["comment 4", "comment 3", "comment 2"]
    assert card["comments"][0]["author"] == {
        "username": "bob",
        "url": "/u/bob",
        "display_name": "bob",
        "avatar_url": None,
    }
    assert card["comment_count"] == 5


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("cursor=zzz", "bad_cursor"),
        ("cursor=%00", "bad_cursor"),
        ("cursor=MjAyNi0xMS0yN3w", "bad_cursor"),  # "2026-11-27|" : no id
        ("cursor=bm90LWEtZGF0ZXwx", "bad_cursor"),  # "not-a-date|1"
        ("cursor=MjAyNi0xMS0yN1QwOTowMDowMHwtNQ", "bad_cursor"),  # negative id
        ("limit=ten", "bad_limit"),
        ("limit=1.5", "bad_limit"),
    ],
)
@pytest.mark.parametrize("path", ["/api/images", "/api/users/alice/images"])
def test_malformed_cursor_or_limit_is_a_400(client, path, query, code):
    create_user("alice")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == code
    assert response.get_json()["message"]


@pytest.mark.parametrize(("limit", "expected"), [("0", 1), ("-3", 1), ("7", 7), ("500", 50)])
def test_limit_is_clamped(client, limit, expected):
    make_images(create_user("alice"), 55)
    assert len(client.get(f"/api/images?limit={limit}").get_json()["items"]) == expected


def test_profile_feed_only_that_members_visible_images(client):
    alice, bob = create_user("alice"), create_user("bob")
    mine = make_images(alice, 3)
    make_images(bob, 2)
    create_image(alice, status=HIDDEN)
    response = client.get("/api/users/alice/images?limit=2")
    assert ids(response) == [mine[2].id, mine[1].id]
    rest = client.get(f"/api/users/alice/images?cursor={response.get_json()['next_cursor']}")
    assert ids(rest) == [mine[0].id]
    missing = client.get("/api/users/nobody/images")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_hidden_images_never_in_feeds(client):
    alice = create_user("alice")
    shown, hidden = create_image(alice), create_image(alice, status=HIDDEN)
    for path in ("/api/images", "/api/hot", "/api/users/alice/images"):
        assert ids(client.get(path)) == [shown.id], path
    assert client.get(f"/api/images/{hidden.id}").status_code == 404
    assert client.get(f"/api/images/{hidden.id}/comments").status_code == 404


def test_moderator_sees_hidden_image_card(client):
    alice = create_user("alice")
    hidden = create_image(alice, status=HIDDEN)
    Member(client, "mod", roles=("member", "moderator"))
    assert client.get(f"/api/images/{hidden.id}").get_json()["id"] == hidden.id


def test_one_card_and_404(client):
    image = create_image(create_user("alice"), caption="hello")
    assert client.get(f"/api/images/{image.id}").get_json()["caption"] == "hello"
    response = client.get("/api/images/999999")
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "message"}


def test_comments_oldest_first_paged(client):
    alice = create_user("alice")
    image = create_image(alice)
    start = utcnow() - dt.timedelta(hours=1)
    made = [
        create_comment(image, alice, f"c{n}", created_at=start + dt.timedelta(seconds=n))
        for n in range(7)
    ]
    create_comment(image, alice, "hidden one", status=HIDDEN)
    seen, cursor = [], ""
    while True:
        data = client.get(f"/api/images/{image.id}/comments?limit=3&cursor={cursor}").get_json()
        seen += [item["id"] for item in data["items"]]
        if not data["next_cursor"]:
            break
        cursor = data["next_cursor"]
    assert seen == [comment.id for comment in made]
    assert client.get(f"/api/images/{image.id}/comments?cursor=bad!").status_code == 400


def test_hot_returns_cards_and_limit(client):
    make_images(create_user("alice"), 5)
    response = client.get("/api/hot?limit=3")
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 3
    assert client.get("/api/hot?limit=x").status_code == 400


def test_picks_by_date_and_bad_date(client):
    alice = create_user("alice")
    images = make_images(alice, 3)
    day = dt.date(2026, 1, 2)
    for position, image in enumerate([images[1], images[0]], start=1):
        db.session.add(Pick(date=day, image_id=image.id, position=position))
    db.session.commit()
    data = client.get("/api/picks?date=2026-01-02").get_json()
    assert data["date"] == "2026-01-02"
    assert [item["id"] for item in data["items"]] == [images[1].id, images[0].id]
    assert client.get("/api/picks?date=2026-13-01").status_code == 400
    assert client.get("/api/picks?date=yesterday").get_json()["error"] == "bad_date"
    today = client.get("/api/picks").get_json()
    assert today["date"] == utcnow().date().isoformat()
