"""POST /api/images/<id>/comments and POST/DELETE /api/images/<id>/like."""

from __future__ import annotations

import pytest

from gallery.extensions import db
from gallery.models import HIDDEN, Comment, Image, Like
from tests.support.auth import Member, csrf_token_from
from tests.support.factories import create_image, create_user


@pytest.fixture
def image(app):
    return create_image(create_user("alice"))


def test_comment_is_created_trimmed_and_counted(client, image):
    bob = Member(client, "bob")
    response = bob.post(f"/api/images/{image.id}/comments", {"body": "  lovely light \n"})
    assert response.status_code == 201
    data = response.get_json()
    assert data["body"] == "lovely light"
    assert data["author"] == {
        "username": "bob",
        "url": "/u/bob",
        "display_name": "bob",
        "avatar_url": None,
    }
    assert set(data) == {"id", "body", "author", "created_at"}
    db.session.expire_all()
    assert db.session.get(Image, image.id).comment_count == 1
    card = client.get(f"/api/images/{image.id}").get_json()
    assert card["comments"][0]["body"] == "lovely light"


XSS = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "${7*7} <b>x</b>",
    "http://evil.example/?a=<img src=x>",
]


@pytest.mark.parametrize("body", XSS)
def test_comment_text_comes_back_literally_in_json(client, image, body):
    bob = Member(client, "bob")
    created = bob.post(f"/api/images/{image.id}/comments", {"body": body})
    assert created.get_json()["body"] == body
    listed = client.get(f"/api/images/{image.id}/comments").get_json()["items"]
    assert [c["body"] for c in listed] == [body]
    card = client.get(f"/api/images/{image.id}")
    assert card.mimetype == "application/json"
    assert card.get_json()["comments"][0]["body"] == body  # never evaluated nor escaped twice


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"body": ""}, 400, "bad_comment"),
        ({"body": "   \n\t "}, 400, "bad_comment"),
        ({"body": "x" * 1001}, 400, "bad_comment"),
        ({"body": 42}, 400, "bad_comment"),
        ({}, 400, "bad_comment"),
        (["body"], 400, "bad_comment"),
    ],
)
def test_bad_comment_bodies(client, image, payload, status, code):
    bob = Member(client, "bob")
    response = bob.post(f"/api/images/{image.id}/comments", payload)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert db.session.query(Comment).count() == 0


def test_comment_of_exactly_1000_characters_is_fine(client, image):
    bob = Member(client, "bob")
    assert bob.post(f"/api/images/{image.id}/comments", {"body": "é" * 1000}).status_code == 201


def test_anonymous_comment_is_401(client, image):
    token = csrf_token_from(client)
    response = client.post(
        f"/api/images/{image.id}/comments", json={"body": "hi"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "not_logged_in"


def test_unconfirmed_comment_and_like_are_403(client, image):
    bob = Member(client, "bob", confirmed=False)
    for response in (
        bob.post(f"/api/images/{image.id}/comments", {"body": "hi"}),
        bob.post(f"/api/images/{image.id}/like"),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"] == "not_confirmed"


def test_comment_on_hidden_or_missing_image_is_404(client, image):
    bob = Member(client, "bob")
    image.status = HIDDEN
    db.session.commit()
    assert bob.post(f"/api/images/{image.id}/comments", {"body": "hi"}).status_code == 404
    assert bob.post("/api/images/424242/comments", {"body": "hi"}).status_code == 404
    assert bob.post(f"/api/images/{image.id}/like").status_code == 404


def test_comment_without_csrf_token_is_refused(client, image):
    bob = Member(client, "bob")
    response = client.post(f"/api/images/{image.id}/comments", json={"body": "hi"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"
    assert bob.user.id and db.session.query(Comment).count() == 0


@pytest.mark.settings(COMMENT_RATE_LIMIT="3 per minute")
def test_comments_are_rate_limited_per_user(client, image):
    bob = Member(client, "bob")
    statuses = [
        bob.post(f"/api/images/{image.id}/comments", {"body": f"n{n}"}).status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    limited = bob.post(f"/api/images/{image.id}/comments", {"body": "again"})
    assert limited.get_json()["error"] == "too_many_requests"
    assert "3 per 1 minute" in limited.get_json()["message"]


def test_like_and_unlike_are_idempotent(client, image):
    bob = Member(client, "bob")
    path = f"/api/images/{image.id}/like"
    assert bob.post(path).get_json() == {"liked": True, "like_count": 1}
    assert bob.post(path).get_json() == {"liked": True, "like_count": 1}
    carol = Member(client.application.test_client(), "carol")
    assert carol.post(path).get_json() == {"liked": True, "like_count": 2}
    assert bob.delete(path).get_json() == {"liked": False, "like_count": 1}
    assert bob.delete(path).get_json() == {"liked": False, "like_count": 1}
    assert db.session.query(Like).count() == 1
    assert client.get(f"/api/images/{image.id}").get_json()["like_count"] == 1


def test_anonymous_like_is_401(client, image):
    token = csrf_token_from(client)
    response = client.post(f"/api/images/{image.id}/like", headers={"X-CSRFToken": token})
    assert response.status_code == 401
