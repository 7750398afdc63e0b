"""Notifications: likes (grouped), comments, follows, picks and moderator hides with
their reason; none for one's own actions; a hidden item's notifications disappear;
the bell's count comes from Redis (no statement on a page view); keyset paging and
mark as read."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.feeds.picks import ensure_automatic_picks, schedule_pick
from gallery.models import Comment, Image, ImageTag, Notification, SearchTerm, utcnow
from gallery.moderation.actions import hide_comment, hide_image, purge_image
from gallery.social import notifications
from tests.support.auth import Member, csrf_token_from
from tests.support.discovery import indexed_image
from tests.support.factories import create_image, create_user
from tests.support.feeds import count_statements


def inbox(client: Any) -> dict[str, Any]:
    return client.get("/api/notifications").get_json()


def switch(client: Any, username: str) -> Member:
    """A fresh logged-in client for an existing member (the `client` passed is ignored
    except for its app)."""
    fresh = client.application.test_client()
    g.pop("csrf_token", None)
    token = csrf_token_from(fresh)
    response = fresh.post(
        "/login",
        data={"identity": username, "password": f"password-{username}", "csrf_token": token},
    )
    assert response.status_code == 302
    member = Member.__new__(Member)
    member.client = fresh
    member.token = token
    return member


@pytest.fixture
def owner(app: Any) -> Any:
    return create_user("owner")


def test_likes_group_into_one_notification(app: Any, client: Any, owner: Any) -> None:
    image = create_image(owner)
    for name in ("alice", "bob", "carol", "dave"):
        create_user(name)
        member = switch(client, name)
        assert member.post(f"/api/images/{image.id}/like").status_code == 200
    switch(client, "dave").delete(f"/api/images/{image.id}/like")
    switch(client, "dave").post(f"/api/images/{image.id}/like")  # again: counted once
    client = switch(client, "owner").client
    data = inbox(client)
    assert data["unread"] == 1
    [item] = data["items"]
    assert item["kind"] == "like"
    assert item["actor"]["username"] == "dave"
    assert item["others"] == 3
    page = client.get("/notifications").get_data(as_text=True)
    assert "dave and 3 others liked your image" in page


def test_comment_follow_and_own_actions(app: Any, client: Any, owner: Any) -> None:
    image = create_image(owner)
    create_user("alice")
    alice = switch(client, "alice")
    alice.post(f"/api/images/{image.id}/comments", {"body": "Lovely <b>light</b>"})
    alice.post("/api/users/owner/follow")
    me = switch(client, "owner")
    client = me.client
    me.post(f"/api/images/{image.id}/like")  # own actions: nothing
    me.post(f"/api/images/{image.id}/comments", {"body": "thanks"})
    kinds = [item["kind"] for item in inbox(client)["items"]]
    assert kinds == ["follow", "comment"]
    page = client.get("/notifications").get_data(as_text=True)
    assert "Lovely &lt;b&gt;light&lt;/b&gt;" in page
    assert "alice started following you" in page


def test_picks_and_moderator_hides_notify_with_the_reason(
    app: Any, client: Any, owner: Any
) -> None:
    mod = create_user("mod", roles=("moderator",))
    picked = create_image(owner)
    hidden = create_image(owner)
    day = utcnow().date()
    schedule_pick(day, picked, mod)
    hide_image(hidden, mod, "admin", reason="Copyright claim")
    db.session.commit()
    client = switch(client, "owner").client
    items = inbox(client)["items"]
    assert [item["kind"] for item in items] == ["hidden", "pick"]
    assert items[0]["reason"] == "Copyright claim"
    page = client.get("/notifications").get_data(as_text=True)
    assert "Reason: Copyright claim" in page
    assert f"Your image was chosen as a pick for {day.isoformat()}" in page


def test_automatic_picks_notify_their_owners_too(app: Any, client: Any, owner: Any) -> None:
    """Review of issue 13: only a moderator's pick sent a notification."""
    create_image(owner, caption="chosen by the site")
    day = utcnow().date()
    assert ensure_automatic_picks(day)
    db.session.commit()
    items = inbox(switch(client, "owner").client)["items"]
    assert [(item["kind"], item["reason"]) for item in items] == [("pick", day.isoformat())]


def test_a_hidden_items_notifications_disappear(app: Any, client: Any, owner: Any) -> None:
    mod = create_user("mod", roles=("moderator",))
    image = create_image(owner)
    other = create_image(owner)
    create_user("alice")
    alice = switch(client, "alice")
    alice.post(f"/api/images/{image.id}/like")
    alice.post(f"/api/images/{other.id}/comments", {"body": "spam spam"})
    client = switch(client, "owner").client
    assert inbox(client)["unread"] == 2
    hide_image(image, mod, "admin", reason="spam")
    comment = db.session.query(Comment).filter_by(body="spam spam").one()
    hide_comment(comment, mod, "admin", reason="spam")
    db.session.commit()
    data = inbox(client)
    assert data["items"] == [] or all(item["kind"] == "hidden" for item in data["items"])
    assert [item["kind"] for item in data["items"]] == ["hidden"]  # the owner's image
    assert data["unread"] == 1


def test_bell_count_comes_from_redis_without_a_statement(app: Any, client: Any, owner: Any) -> None:
    image = create_image(owner)
    create_user("alice")
    switch(client, "alice").post(f"/api/images/{image.id}/like")
    me = switch(client, "owner")
    client = me.client
    page = client.get("/hot").get_data(as_text=True)  # counts once, stores it in Redis
    assert "data-bell-count>1<" in page
    with count_statements() as with_bell:
        client.get("/hot")
    app.jinja_env.globals["unread_notifications"] = lambda: 0
    try:
        with count_statements() as without_bell:
            client.get("/hot")
    finally:
        app.jinja_env.globals.pop("unread_notifications")
    assert len(with_bell) == len(without_bell)
    create_user("bob")
    switch(client, "bob").post(f"/api/images/{image.id}/comments", {"body": "hi"})
    assert "data-bell-count>2<" in client.get("/hot").get_data(as_text=True)
    assert me.post("/api/notifications/read").get_json() == {"marked": 2, "unread": 0}
    assert "data-bell-count hidden>0<" in client.get("/hot").get_data(as_text=True)


def test_notifications_page_with_a_keyset_and_marks_read(app: Any, client: Any, owner: Any) -> None:
    images = [create_image(owner) for _ in range(5)]
    create_user("alice")
    alice = switch(client, "alice")
    for image in images:
        alice.post(f"/api/images/{image.id}/like")
    me = switch(client, "owner")
    client = me.client
    first = client.get("/api/notifications?limit=3").get_json()
    second = client.get(f"/api/notifications?limit=3&cursor={first['next_cursor']}").get_json()
    got = [item["image"]["id"] for item in first["items"] + second["items"]]
    assert got == [image.id for image in reversed(images)]
    assert second["next_cursor"] is None
    assert client.get("/api/notifications?cursor=%%%").status_code == 400
    marked = me.post("/api/notifications/read", {"ids": [first["items"][0]["id"]]})
    assert marked.get_json() == {"marked": 1, "unread": 4}
    assert me.post("/api/notifications/read", {"ids": ["x"]}).status_code == 400
    token = csrf_token_from(client, "/notifications")
    response = client.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 302
    assert inbox(client)["unread"] == 0


def test_visitors_have_no_notifications(app: Any, client: Any) -> None:
    assert client.get("/api/notifications").status_code == 401
    assert "/login" in client.get("/notifications").headers["Location"]
    assert "data-bell" not in client.get("/").get_data(as_text=True)
    assert notifications.unread_count(None) == 0


def test_purging_an_image_takes_its_notifications_tags_and_terms(
    app: Any, client: Any, owner: Any
) -> None:
    image = indexed_image(owner, "gone soon #bye 再见")
    create_user("alice")
    alice = switch(client, "alice")
    alice.post(f"/api/images/{image.id}/like")
    alice.post(f"/api/images/{image.id}/comments", {"body": "nice"})
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    purge_image(db.session.get(Image, image.id), None, "cli")
    db.session.commit()
    for model in (Notification, ImageTag, SearchTerm):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
