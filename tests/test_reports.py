"""Reports: POST /api/reports (validation, once per member, rate limit) and the decisions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import (
    HIDDEN,
    REPORT_DISMISSED,
    REPORT_OPEN,
    REPORT_RESOLVED,
    VISIBLE,
    AuditLog,
    Report,
)
from gallery.moderation import reports
from tests.support.auth import csrf, login_as, post_json
from tests.support.factories import create_comment, create_image, create_user


@pytest.fixture
def image(app: Any) -> Any:
    return create_image(create_user("alice"), caption="a lake")


@pytest.fixture
def member(app: Any, client: Any) -> Any:
    user = create_user("bob")
    login_as(client, user)
    return user


def test_member_reports_an_image_and_nothing_is_hidden(client, member, image) -> None:
    response = post_json(
        client,
        "/api/reports",
        {"target": "image", "id": image.id, "reason": "spam", "details": "  sells things  "},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["target"] == "image" and body["target_id"] == image.id
    assert body["reason"] == "spam" and body["details"] == "sells things"
    assert body["status"] == REPORT_OPEN
    report = db.session.get(Report, body["id"])
    assert report.reporter_id == member.id
    db.session.refresh(image)
    assert image.status == VISIBLE  # reports never hide anything by themselves


def test_reporting_twice_is_a_conflict(client, member, image) -> None:
    token = csrf(client)
    body = {"target": "image", "id": image.id, "reason": "nudity"}
    assert post_json(client, "/api/reports", body, token).status_code == 201
    again = post_json(client, "/api/reports", {**body, "reason": "spam"}, token)
    assert again.status_code == 409
    assert again.json["error"] == "already_reported"
    assert len(db.session.scalars(select(Report)).all()) == 1


def test_a_comment_can_be_reported(client, member, image) -> None:
    comment = create_comment(image, create_user("carol"), "buy followers")
    response = post_json(
        client, "/api/reports", {"target": "comment", "id": comment.id, "reason": "spam"}
    )
    assert response.status_code == 201
    assert response.json["target"] == "comment"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"target": "image", "reason": "spam"}, 400, "bad_target"),
        ({"target": "user", "id": "{image}", "reason": "spam"}, 400, "bad_target"),
        ({"target": "image", "id": "x", "reason": "spam"}, 400, "bad_target"),
        ({"target": "image", "id": "{image}", "reason": "ugly"}, 400, "bad_reason"),
        (
            {"target": "image", "id": "{image}", "reason": "other", "details": "x" * 1001},
            400,
            "details_too_long",
        ),
        ({"target": "image", "id": "{image}", "reason": "other", "details": 5}, 400, "bad_details"),
        ({"target": "image", "id": 999999, "reason": "spam"}, 404, "not_found"),
        ({"target": "image", "id": "{hidden}", "reason": "spam"}, 404, "not_found"),
        ([1, 2], 400, "bad_json"),
    ],
)
def test_bad_reports_are_refused_with_json_errors(
    client, member, image, body, status, error
) -> None:
    hidden = create_image(image.author, status=HIDDEN)
    if isinstance(body, dict):
        body = {
            k: (
                int(v.format(image=image.id, hidden=hidden.id))
                if isinstance(v, str) and v.startswith("{")
                else v
            )
            for k, v in body.items()
        }
    response = post_json(client, "/api/reports", body)
    assert response.status_code == status
    assert response.json["error"] == error
    assert response.json["message"]
    assert db.session.scalars(select(Report)).all() == []


def test_anonymous_unconfirmed_and_no_csrf_are_refused(app, client, image) -> None:
    body = {"target": "image", "id": image.id, "reason": "spam"}
    token = csrf(client)
    anonymous = post_json(client, "/api/reports", body, token)
    assert (anonymous.status_code, anonymous.json["error"]) == (401, "not_logged_in")
    login_as(client, create_user("newbie", confirmed=False))
    unconfirmed = post_json(client, "/api/reports", body)
    assert (unconfirmed.status_code, unconfirmed.json["error"]) == (403, "not_confirmed")
    login_as(client, create_user("dave"))
    no_token = client.post("/api/reports", json=body)
    assert (no_token.status_code, no_token.json["error"]) == (400, "csrf_failed")
    assert db.session.scalars(select(Report)).all() == []


@pytest.mark.settings(REPORT_RATE_LIMIT="2 per hour")
def test_reports_are_rate_limited_per_member(client, member, image) -> None:
    others = [create_image(image.author) for _ in range(3)]
    token = csrf(client)
    codes = [
        post_json(
            client, "/api/reports", {"target": "image", "id": i.id, "reason": "spam"}, token
        ).status_code
        for i in others
    ]
    assert codes == [201, 201, 429]
    assert (
        client.post("/api/reports", json={}, headers={"X-CSRFToken": token}).json["error"]
        == "too_many_requests"
    )


def _report(reporter: Any, target: Any, kind: str = "image", reason: str = "spam") -> Report:
    report = reports.create_report(reporter, kind, target.id, reason, "")
    db.session.commit()
    return report


def test_resolve_by_hiding_then_reopen(app, image) -> None:
    mod = create_user("mod", roles=("moderator",))
    first = _report(create_user("r1"), image)
    second = _report(create_user("r2"), image, reason="nudity")
    [group] = reports.grouped()
    assert (group.target_type, group.target_id, group.count) == ("image", image.id, 2)
    assert group.reasons == {"spam": 1, "nudity": 1} and group.target is image

    assert reports.resolve_target("image", image.id, mod, "admin", "hide", "nsfw") == 2
    db.session.commit()
    assert image.status == HIDDEN
    assert {first.status, second.status} == {REPORT_RESOLVED}
    assert first.resolution == "hidden: nsfw" and first.resolved_by_id == mod.id
    assert reports.grouped() == [] and reports.target_count() == 0
    assert len(reports.grouped(REPORT_RESOLVED)) == 1

    assert reports.reopen_target("image", image.id, mod, "admin") == 2
    db.session.commit()
    assert first.status == REPORT_OPEN and first.resolved_by_id is None
    assert reports.target_count() == 1
    actions = [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == [
        "report.resolve",
        "report.resolve",
        "image.hide",
        "report.reopen",
        "report.reopen",
    ]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "report.reopen"))
    assert entry.before["status"] == REPORT_RESOLVED and entry.after["status"] == REPORT_OPEN


def test_dismiss_leaves_the_target_alone(app, image) -> None:
    mod = create_user("mod", roles=("moderator",))
    report = _report(create_user("r1"), image)
    assert reports.dismiss_target("image", image.id, mod, "admin") == 1
    db.session.commit()
    assert report.status == REPORT_DISMISSED and image.status == VISIBLE
    assert reports.dismiss_target("image", image.id, mod, "admin") == 0


def test_resolve_a_comment_report_by_hiding_the_comment(app, image) -> None:
    mod = create_user("mod", roles=("moderator",))
    comment = create_comment(image, create_user("troll"), "go away")
    _report(create_user("r1"), comment, kind="comment", reason="harassment")
    reports.resolve_target("comment", comment.id, mod, "admin", "hide")
    db.session.commit()
    db.session.refresh(image)
    assert comment.status == HIDDEN and image.comment_count == 0 and image.status == VISIBLE
