"""Moderation services: hide/restore/purge, the crawl queue, comment counts, audit, retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.models import (
    HIDDEN,
    PENDING,
    REJECTED,
    VISIBLE,
    AuditLog,
    Comment,
    Image,
    Like,
    Pick,
    Report,
    utcnow,
)
from gallery.moderation import actions as moderation
from gallery.signals import image_changed
from tests.support.factories import create_comment, create_image, create_user


@pytest.fixture
def people(app: Any) -> dict[str, Any]:
    return {
        "author": create_user("alice"),
        "mod": create_user("mod", roles=("moderator",)),
        "bob": create_user("bob"),
    }


@pytest.fixture
def changes(app: Any) -> list[tuple[int, str]]:
    """Record every image_changed signal sent during the test."""
    seen: list[tuple[int, str]] = []

    def receiver(sender: Any, image_id: int, reason: str) -> None:
        seen.append((image_id, reason))

    image_changed.connect(receiver, weak=False)
    yield seen
    image_changed.disconnect(receiver)


def audit_entries(action: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return list(db.session.scalars(query))


def test_hide_image_records_state_signals_and_does_not_commit(people, changes) -> None:
    image = create_image(people["author"], caption="sunset")
    assert moderation.hide_image(image, people["mod"], "admin", reason="spam") is True
    assert image.status == HIDDEN
    assert image.hidden_by_id == people["mod"].id
    assert image.hidden_at is not None
    [entry] = audit_entries("image.hide")
    assert (entry.actor_id, entry.actor_name, entry.origin) == (people["mod"].id, "mod", "admin")
    assert (entry.target_type, entry.target_id) == ("image", image.id)
    assert entry.before["status"] == VISIBLE and entry.before["hidden_at"] is None
    assert entry.after["status"] == HIDDEN and entry.after["reason"] == "spam"
    assert changes == [(image.id, "hide")]
    db.session.rollback()  # the caller commits; nothing was committed yet
    assert db.session.get(Image, image.id).status == VISIBLE
    assert audit_entries() == []


def test_hide_twice_is_a_no_op_and_restore_brings_it_back(people, changes) -> None:
    image = create_image(people["author"])
    assert moderation.hide_image(image, people["mod"], "page")
    assert not moderation.hide_image(image, people["mod"], "page")
    db.session.commit()
    assert moderation.restore_image(image, people["mod"], "page") is True
    assert not moderation.restore_image(image, people["mod"], "page")
    db.session.commit()
    assert image.status == VISIBLE and image.hidden_at is None and image.hidden_by_id is None
    assert [e.action for e in audit_entries()] == ["image.hide", "image.restore"]
    restore = audit_entries("image.restore")[0]
    assert restore.before["status"] == HIDDEN and restore.after["status"] == VISIBLE
    assert changes == [(image.id, "hide"), (image.id, "restore")]


@pytest.mark.parametrize(
    ("status", "action", "expected", "result"),
    [
        (PENDING, "approve_image", VISIBLE, True),
        (PENDING, "reject_image", REJECTED, True),
        (REJECTED, "approve_image", VISIBLE, True),
        (VISIBLE, "reject_image", VISIBLE, False),
        (VISIBLE, "approve_image", VISIBLE, False),
        (REJECTED, "restore_image", VISIBLE, True),
        (PENDING, "hide_image", HIDDEN, True),
    ],
)
def test_crawl_queue_transitions(people, status, action, expected, result) -> None:
    image = create_image(people["author"], status=status, source="crawl")
    assert getattr(moderation, action)(image, people["mod"], "admin") is result
    db.session.commit()
    assert image.status == expected
    assert len(audit_entries()) == (1 if result else 0)
    if expected == REJECTED:
        assert image.hidden_at is not None  # the retention clock starts


def test_comment_hide_restore_keep_the_count_and_signal_the_image(people, changes) -> None:
    image = create_image(people["author"])
    first = create_comment(image, people["bob"], "first")
    create_comment(image, people["bob"], "second")
    assert image.comment_count == 2
    assert moderation.hide_comment(first, people["mod"], "admin")
    assert not moderation.hide_comment(first, people["mod"], "admin")
    db.session.commit()
    db.session.refresh(image)
    assert image.comment_count == 1 and first.status == HIDDEN
    assert moderation.restore_comment(first, people["mod"], "admin")
    db.session.commit()
    db.session.refresh(image)
    assert image.comment_count == 2 and first.status == VISIBLE
    assert changes == [(image.id, "comment.hide"), (image.id, "comment.restore")]
    hide = audit_entries("comment.hide")[0]
    assert hide.before["body"] == "first" and hide.after["status"] == HIDDEN


def test_purge_comment_removes_it_and_its_reports(people) -> None:
    image = create_image(people["author"])
    comment = create_comment(image, people["bob"], "rude")
    db.session.add(
        Report(
            reporter_id=people["author"].id,
            target_type="comment",
            target_id=comment.id,
            reason="harassment",
        )
    )
    db.session.commit()
    comment_id = comment.id
    moderation.purge_comment(comment, people["mod"], "admin")
    db.session.commit()
    db.session.refresh(image)
    assert db.session.get(Comment, comment_id) is None
    assert db.session.scalar(select(func.count(Report.id))) == 0
    assert image.comment_count == 0
    [entry] = audit_entries("comment.purge")
    assert entry.before["body"] == "rude" and entry.after is None


def test_purge_image_removes_rows_and_calls_the_storage(people, changes) -> None:
    pytest.importorskip("gallery.media.ingest")
    image = create_image(people["author"], status=HIDDEN, hidden_at=utcnow())
    comment = create_comment(image, people["bob"])
    db.session.add_all(
        [
            Like(user_id=people["bob"].id, image_id=image.id),
            Pick(date=dt.date.today(), image_id=image.id),
            Report(
                reporter_id=people["bob"].id, target_type="image", target_id=image.id, reason="spam"
            ),
            Report(
                reporter_id=people["author"].id,
                target_type="comment",
                target_id=comment.id,
                reason="spam",
            ),
        ]
    )
    db.session.commit()
    image_id = image.id
    moderation.purge_image(image, people["mod"], "admin")
    db.session.commit()
    assert db.session.get(Image, image_id) is None
    for model in (Comment, Like, Pick, Report):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    [entry] = audit_entries("image.purge")
    assert entry.before["status"] == HIDDEN and entry.before["comments"] == 1
    assert entry.after is None
    assert (image_id, "purge") in changes


def test_hide_all_by_user(people) -> None:
    target = people["bob"]
    images = [create_image(target), create_image(target, status=PENDING), create_image(target)]
    other = create_image(people["author"])
    comment = create_comment(other, target, "spam spam")
    keep = create_comment(other, people["author"], "fine")
    counts = moderation.hide_all_by_user(target, people["mod"], "admin")
    db.session.commit()
    assert counts == {"images": 3, "comments": 1}
    assert {image.status for image in images} == {HIDDEN}
    assert other.status == VISIBLE and keep.status == VISIBLE and comment.status == HIDDEN
    summary = audit_entries("user.hide_all")[0]
    assert summary.target_id == target.id and summary.after == counts
    assert len(audit_entries("image.hide")) == 3


def test_purge_expired_only_takes_what_was_hidden_long_enough(app, people) -> None:
    pytest.importorskip("gallery.media.ingest")
    now = utcnow()
    days = app.config["PURGE_RETENTION_DAYS"]
    old_hidden = create_image(
        people["author"], status=HIDDEN, hidden_at=now - dt.timedelta(days=days + 1)
    )
    old_rejected = create_image(
        people["author"], status=REJECTED, hidden_at=now - dt.timedelta(days=days + 2)
    )
    recent = create_image(
        people["author"], status=HIDDEN, hidden_at=now - dt.timedelta(days=days - 1)
    )
    old_visible = create_image(people["author"], created_at=now - dt.timedelta(days=400))
    old_comment = create_comment(
        old_visible, people["bob"], status=HIDDEN, hidden_at=now - dt.timedelta(days=days + 5)
    )
    ids = {x: x.id for x in (old_hidden, old_rejected, recent, old_visible)}
    comment_id = old_comment.id
    assert moderation.purge_expired(now=now) == 3
    db.session.commit()
    assert db.session.get(Image, ids[old_hidden]) is None
    assert db.session.get(Image, ids[old_rejected]) is None
    assert db.session.get(Image, ids[recent]) is not None
    assert db.session.get(Image, ids[old_visible]) is not None
    assert db.session.get(Comment, comment_id) is None
    assert {e.origin for e in audit_entries()} == {"cli"}
    assert {e.actor_name for e in audit_entries()} == {"system"}
    # a later run finds the recent one once its time has come
    assert moderation.purge_expired(now=now + dt.timedelta(days=2)) == 1


def test_audit_refuses_an_unknown_origin(people) -> None:
    with pytest.raises(BadRequest):
        moderation.audit(people["mod"], "somewhere", "x", "image", 1, None, None)
