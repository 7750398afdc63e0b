"""Following: follow/unfollow (API and profile counts), the Following tab and
GET /api/following (keyset, constant statements, 400 on bad cursors, visitors log in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gallery.extensions import db
from gallery.models import utcnow
from gallery.moderation.actions import hide_image
from tests.support.auth import Member
from tests.support.factories import create_image, create_user
from tests.support.feeds import count_statements, ids, make_images


@pytest.fixture
def bob(app: Any) -> Any:
    return create_user("bob")


def test_follow_and_unfollow_through_the_api(app: Any, client: Any, bob: Any) -> None:
    alice = Member(client, "alice")
    response = alice.post("/api/users/bob/follow")
    assert response.status_code == 200
    assert response.get_json() == {"following": True, "followers": 1}
    assert alice.post("/api/users/bob/follow").get_json() == {"following": True, "followers": 1}
    page = client.get("/u/bob").get_data(as_text=True)
    assert "data-follower-count>1<" in page
    assert 'data-following="true"' in page
    assert alice.delete("/api/users/bob/follow").get_json() == {"following": False, "followers": 0}
    assert alice.delete("/api/users/bob/follow").get_json() == {"following": False, "followers": 0}
    assert "data-follower-count>0<" in client.get("/u/bob").get_data(as_text=True)


def test_follow_rules(app: Any, client: Any, bob: Any) -> None:
    assert client.post("/api/users/bob/follow").status_code in (400, 401)  # no CSRF / no login
    alice = Member(client, "alice")
    assert alice.post("/api/users/alice/follow").get_json()["error"] == "self_follow"
    assert alice.post("/api/users/nobody/follow").status_code == 404
    response = client.post("/api/users/bob/follow")  # session but no token
    assert response.get_json()["error"] == "csrf_failed"


def test_unconfirmed_members_cannot_follow(app: Any, client: Any, bob: Any) -> None:
    newbie = Member(client, "newbie", confirmed=False)
    assert newbie.post("/api/users/bob/follow").get_json()["error"] == "not_confirmed"


def test_visitors_are_asked_to_log_in(app: Any, client: Any, bob: Any) -> None:
    response = client.get("/following")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/api/following").status_code == 401
    assert "Log in to follow" in client.get("/u/bob").get_data(as_text=True)


def test_following_feed_is_newest_first_from_followed_members_only(
    app: Any, client: Any, bob: Any
) -> None:
    carol = create_user("carol")
    dave = create_user("dave")
    alice = Member(client, "alice")
    alice.post("/api/users/bob/follow")
    alice.post("/api/users/carol/follow")
    now = utcnow()
    old_bob = create_image(bob, created_at=now - dt.timedelta(days=400))
    new_carol = create_image(carol, created_at=now - dt.timedelta(minutes=1))
    create_image(dave, created_at=now)  # not followed
    mid_bob = create_image(bob, created_at=now - dt.timedelta(days=3))
    hidden = create_image(carol, created_at=now - dt.timedelta(days=1))
    hide_image(hidden, None, "cli")
    db.session.commit()
    assert ids(client.get("/api/following")) == [new_carol.id, mid_bob.id, old_bob.id]
    page = client.get("/following").get_data(as_text=True)
    assert f'data-id="{new_carol.id}"' in page
    assert 'aria-current="page' in page


def test_following_pages_with_constant_statements(app: Any, client: Any, bob: Any) -> None:
    alice = Member(client, "alice")
    alice.post("/api/users/bob/follow")
    images = make_images(bob, 23)
    seen: list[int] = []
    counts = []
    cursor = ""
    for _ in range(3):
        db.session.expire_all()
        with count_statements() as statements:
            data = client.get(f"/api/following?limit=10&cursor={cursor}").get_json()
        counts.append(len(statements))
        seen += [item["id"] for item in data["items"]]
        cursor = data["next_cursor"] or ""
    assert seen == [image.id for image in reversed(images)]
    # the first request of a session also loads the member: compare the later pages
    assert counts[1] == counts[2], counts
    assert client.get("/api/following?cursor=%%%").status_code == 400
    assert client.get("/following?cursor=bm9wZQ").status_code == 400
