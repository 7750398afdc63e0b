"""Members manage their own work: PATCH / DELETE / restore an image, delete or hide
comments, the owner's controls on the image page, all audited as the member."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import HIDDEN, VISIBLE, AuditLog, Comment, Image, User
from tests.support.auth import csrf, login_as
from tests.support.factories import create_comment, create_image, create_user


@pytest.fixture
def image(alice: User) -> Image:
    return create_image(alice, caption="sunset")


def send(client: FlaskClient, method: str, path: str, body: Any = None) -> Any:
    return client.open(path, method=method, json=body, headers={"X-CSRFToken": csrf(client)})


def audits(target_type: str, target_id: int) -> list[AuditLog]:
    return list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.target_type == target_type, AuditLog.target_id == target_id)
            .order_by(AuditLog.id)
        )
    )


# --- PATCH /api/images/<id> -----------------------------------------------------------


def test_owner_edits_caption_and_shop(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    response = send(
        client,
        "PATCH",
        f"/api/images/{image.id}",
        {"caption": "  dusk  ", "shop_url": "https://shop.example/p", "shop_title": "Print"},
    )
    assert response.status_code == 200
    assert response.json["caption"] == "dusk"
    assert response.json["shop"] == {"title": "Print", "url": f"/go/{image.id}"}
    db.session.refresh(image)
    assert (image.caption, image.shop_url) == ("dusk", "https://shop.example/p")
    (entry,) = audits("image", image.id)
    assert (entry.action, entry.origin, entry.actor_id) == ("image.edit", "api", image.user_id)
    assert entry.before["caption"] == "sunset" and entry.after["caption"] == "dusk"


def test_partial_edit_keeps_other_fields(client: FlaskClient, alice: User) -> None:
    image = create_image(alice, shop_url="https://a.example/", shop_title="A")
    login_as(client, alice)
    assert send(client, "PATCH", f"/api/images/{image.id}", {"caption": "new"}).status_code == 200
    db.session.refresh(image)
    assert (image.caption, image.shop_url, image.shop_title) == ("new", "https://a.example/", "A")
    # null clears the shop link
    send(client, "PATCH", f"/api/images/{image.id}", {"shop_url": None})
    db.session.refresh(image)
    assert image.shop_url is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"shop_url": "javascript:alert(1)"}, 400, "bad_shop_url"),
        ({"caption": 5}, 400, "bad_field"),
        ({}, 400, "bad_json"),
        (["caption"], 400, "bad_json"),
    ],
)
def test_edit_rejects_bad_input(
    client: FlaskClient, image: Image, body: Any, status: int, code: str
) -> None:
    login_as(client, image.author)
    response = send(client, "PATCH", f"/api/images/{image.id}", body)
    assert (response.status_code, response.json["error"]) == (status, code)


def test_only_the_owner_edits(client: FlaskClient, image: Image) -> None:
    assert send(client, "PATCH", f"/api/images/{image.id}", {"caption": "x"}).status_code == 401
    login_as(client, create_user("bob"))
    response = send(client, "PATCH", f"/api/images/{image.id}", {"caption": "x"})
    assert response.status_code == 403 and response.json["error"] == "forbidden"
    login_as(client, create_user("mod", roles=("moderator",)))
    assert send(client, "PATCH", f"/api/images/{image.id}", {"caption": "x"}).status_code == 403
    assert send(client, "PATCH", "/api/images/999", {"caption": "x"}).status_code == 404
    db.session.refresh(image)
    assert image.caption == "sunset"


# --- delete and restore --------------------------------------------------------------


def test_owner_deletes_then_undoes(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    assert send(client, "DELETE", f"/api/images/{image.id}").status_code == 204
    db.session.refresh(image)
    assert image.status == HIDDEN and image.hidden_by_id == image.user_id
    response = send(client, "POST", f"/api/images/{image.id}/restore")
    assert response.status_code == 200 and response.json["id"] == image.id
    db.session.refresh(image)
    assert image.status == VISIBLE
    actions = [(e.action, e.actor_id, e.origin) for e in audits("image", image.id)]
    assert actions == [
        ("image.hide", image.user_id, "api"),
        ("image.restore", image.user_id, "api"),
    ]


def test_undo_ends_with_the_retention(client: FlaskClient, image: Image, app: Flask) -> None:
    login_as(client, image.author)
    send(client, "DELETE", f"/api/images/{image.id}")
    # deleted just over the retention period ago
    image.hidden_at -= dt.timedelta(days=app.config["PURGE_RETENTION_DAYS"], seconds=1)
    db.session.commit()
    response = send(client, "POST", f"/api/images/{image.id}/restore")
    # past the retention the owner no longer sees it
    assert response.status_code == 404, response.json
    db.session.refresh(image)
    assert image.status == HIDDEN


def test_owner_cannot_undo_a_moderators_hide(client: FlaskClient, image: Image) -> None:
    login_as(client, create_user("mod", roles=("moderator",)))
    send(client, "DELETE", f"/api/images/{image.id}")
    login_as(client, image.author)
    assert send(client, "POST", f"/api/images/{image.id}/restore").status_code == 404
    assert client.get(f"/images/{image.id}").status_code == 404
    db.session.refresh(image)
    assert image.status == HIDDEN


def test_restore_of_someone_elses_image_is_404(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    send(client, "DELETE", f"/api/images/{image.id}")
    login_as(client, create_user("bob"))
    assert send(client, "POST", f"/api/images/{image.id}/restore").status_code == 404


# --- the image page --------------------------------------------------------------------


def test_owner_sees_edit_and_delete_but_no_report(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    html = client.get(f"/images/{image.id}").get_data(as_text=True)
    assert "data-owner-panel" in html and "data-edit-form" in html and "data-delete-form" in html
    assert "data-report-image" not in html
    login_as(client, create_user("bob"))
    html = client.get(f"/images/{image.id}").get_data(as_text=True)
    assert "data-owner-panel" not in html and "data-report-image" in html


def test_page_forms_edit_delete_and_undo(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    token = csrf(client)
    response = client.post(
        f"/images/{image.id}/edit",
        data={"csrf_token": token, "caption": "from the form", "shop_url": "", "shop_title": ""},
    )
    assert response.status_code == 302
    response = client.post(f"/images/{image.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(image)
    assert (image.caption, image.status) == ("from the form", HIDDEN)
    html = client.get(f"/images/{image.id}").get_data(as_text=True)
    assert "data-deleted-banner" in html and "data-undo-form" in html
    client.post(f"/images/{image.id}/undo", data={"csrf_token": token})
    db.session.refresh(image)
    assert image.status == VISIBLE
    assert [e.origin for e in audits("image", image.id)] == ["page", "page", "page"]


def test_deleted_image_is_gone_for_others(client: FlaskClient, image: Image) -> None:
    login_as(client, image.author)
    send(client, "DELETE", f"/api/images/{image.id}")
    login_as(client, create_user("bob"))
    assert client.get(f"/images/{image.id}").status_code == 404
    assert client.get(f"/api/images/{image.id}").status_code == 404


# --- comments ----------------------------------------------------------------------------


@pytest.fixture
def comment(image: Image) -> Comment:
    return create_comment(image, create_user("bob"), "hello")


def test_author_deletes_own_comment(client: FlaskClient, comment: Comment) -> None:
    login_as(client, comment.author)
    assert send(client, "DELETE", f"/api/comments/{comment.id}").status_code == 204
    db.session.refresh(comment)
    assert comment.status == HIDDEN
    assert db.session.get(Image, comment.image_id).comment_count == 0
    (entry,) = audits("comment", comment.id)
    assert (entry.action, entry.actor_id, entry.after["reason"]) == (
        "comment.hide",
        comment.user_id,
        "deleted by its author",
    )
    assert send(client, "DELETE", f"/api/comments/{comment.id}").status_code == 404


def test_image_owner_hides_a_comment(client: FlaskClient, comment: Comment) -> None:
    login_as(client, comment.image.author)
    assert send(client, "DELETE", f"/api/comments/{comment.id}").status_code == 204
    (entry,) = audits("comment", comment.id)
    assert entry.actor_id == comment.image.user_id
    assert entry.after["reason"] == "hidden by the image's owner"


def test_others_cannot_delete_a_comment(client: FlaskClient, comment: Comment) -> None:
    assert send(client, "DELETE", f"/api/comments/{comment.id}").status_code == 401
    login_as(client, create_user("carol"))
    response = send(client, "DELETE", f"/api/comments/{comment.id}")
    assert response.status_code == 403 and response.json["error"] == "forbidden"
    db.session.refresh(comment)
    assert comment.status == VISIBLE


def test_moderator_hides_a_comment(client: FlaskClient, comment: Comment) -> None:
    login_as(client, create_user("mod", roles=("moderator",)))
    assert send(client, "DELETE", f"/api/comments/{comment.id}").status_code == 204


def test_comment_delete_needs_csrf(client: FlaskClient, comment: Comment) -> None:
    login_as(client, comment.author)
    response = client.delete(f"/api/comments/{comment.id}")
    assert response.status_code == 400 and response.json["error"] == "csrf_failed"


def test_comment_menu_on_the_page(client: FlaskClient, comment: Comment) -> None:
    carol = create_user("carol")
    login_as(client, carol)
    html = client.get(f"/images/{comment.image_id}").get_data(as_text=True)
    assert "data-comment-report" in html and "data-comment-delete-form" in html  # template
    listed = html.split('<template id="comment-template">')[0]
    assert "data-comment-report" in listed and "data-comment-delete-form" not in listed
    login_as(client, comment.author)
    listed = client.get(f"/images/{comment.image_id}").get_data(as_text=True)
    listed = listed.split('<template id="comment-template">')[0]
    assert "data-comment-delete-form" in listed and "data-comment-report" not in listed
    # the image's owner may hide it
    login_as(client, comment.image.author)
    listed = client.get(f"/images/{comment.image_id}").get_data(as_text=True)
    assert "data-comment-delete-form" in listed.split('<template id="comment-template">')[0]


def test_comment_delete_form_without_javascript(client: FlaskClient, comment: Comment) -> None:
    login_as(client, comment.author)
    response = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": csrf(client)})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.status == HIDDEN
