"""Daily picks: schedule, move, remove (audited), automatic fallback, CLI, API cache."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gallery.errors import BadRequest, Conflict
from gallery.extensions import db
from gallery.feeds import hot, picks
from gallery.models import HIDDEN, AuditLog, Pick, utcnow
from tests.support.environment import FROZEN_NOW
from tests.support.factories import create_image, create_user
from tests.support.feeds import ids

DAY = FROZEN_NOW.date() + dt.timedelta(days=3)  # a scheduled day that is not today


@pytest.fixture
def setup(app):
    alice = create_user("alice")
    mod = create_user("mod", roles=("member", "moderator"))
    return mod, [create_image(alice) for _ in range(4)]


def positions(day=DAY) -> list[tuple[int, int]]:
    return [(p.position, p.image_id) for p in picks.picks_of(day)]


def test_schedule_move_remove_keep_positions_and_audit(setup):
    mod, images = setup
    a = picks.schedule_pick(DAY, images[0], mod)
    b = picks.schedule_pick(DAY, images[1], mod)
    picks.schedule_pick(DAY, images[2], mod, position=1)
    db.session.commit()
    assert positions() == [(1, images[2].id), (2, images[0].id), (3, images[1].id)]
    picks.move_pick(b, 1, mod)
    db.session.commit()
    assert positions() == [(1, images[1].id), (2, images[2].id), (3, images[0].id)]
    picks.remove_pick(a, mod)
    db.session.commit()
    assert positions() == [(1, images[1].id), (2, images[2].id)]
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["pick.schedule"] * 3 + ["pick.move", "pick.remove"]
    assert db.session.scalars(select(AuditLog.actor_id)).all() == [mod.id] * 5


def test_schedule_refuses_duplicates_and_hidden_images(setup):
    mod, images = setup
    picks.schedule_pick(DAY, images[0], mod)
    with pytest.raises(Conflict):
        picks.schedule_pick(DAY, images[0], mod)
    images[1].status = HIDDEN
    with pytest.raises(BadRequest):
        picks.schedule_pick(DAY, images[1], mod)


@pytest.mark.settings(PICKS_PER_DAY=2)
def test_today_falls_back_to_the_top_hot_images_of_the_last_24_hours(client):
    alice = create_user("alice")
    now = utcnow()
    old_star = create_image(alice, created_at=now - dt.timedelta(days=3), views=10_000)
    quiet = create_image(alice, created_at=now - dt.timedelta(hours=2), views=1)
    busy = create_image(alice, created_at=now - dt.timedelta(hours=5), views=50)
    middling = create_image(alice, created_at=now - dt.timedelta(hours=20), views=20)
    hot.rebuild_hot()
    db.session.commit()
    response = client.get("/api/picks")
    assert ids(response) == [busy.id, middling.id]
    assert db.session.query(Pick).count() == 0  # a GET shows the choice, never records it
    assert client.get("/").status_code == 200 and client.get("/picks").status_code == 200
    assert db.session.query(Pick).count() == 0
    picks.ensure_automatic_picks(now.date())  # what `flask picks auto` does
    db.session.commit()
    rows = db.session.scalars(select(Pick).where(Pick.date == now.date())).all()
    assert {(row.image_id, row.automatic) for row in rows} == {(busy.id, True), (middling.id, True)}
    assert ids(client.get("/api/picks")) == [busy.id, middling.id]
    assert db.session.query(Pick).count() == 2
    assert old_star.id not in ids(response) and quiet.id not in ids(response)


def test_scheduled_picks_replace_automatic_ones_and_reach_the_api(client, setup):
    mod, images = setup
    hot.rebuild_hot()
    db.session.commit()
    today = utcnow().date()
    automatic = ids(client.get("/api/picks"))
    assert automatic and db.session.query(Pick).count() == 0
    picks.ensure_automatic_picks(today)
    db.session.commit()
    assert db.session.query(Pick).filter_by(automatic=True).count() == len(automatic)
    picks.schedule_pick(today, images[3], mod)
    db.session.commit()
    assert ids(client.get("/api/picks")) == [images[3].id]  # the cached list was dropped
    assert db.session.query(Pick).filter_by(automatic=True).count() == 0


def test_past_dates_are_not_filled_automatically(client, setup):
    assert client.get("/api/picks?date=2020-01-01").get_json()["items"] == []
    assert db.session.query(Pick).count() == 0


def test_hidden_pick_is_left_out(client, setup):
    mod, images = setup
    picks.schedule_pick(DAY, images[0], mod)
    picks.schedule_pick(DAY, images[1], mod)
    db.session.commit()
    assert ids(client.get(f"/api/picks?date={DAY}")) == [images[0].id, images[1].id]
    from gallery.moderation import actions as moderation

    moderation.hide_image(images[0], mod, "admin")
    db.session.commit()
    assert ids(client.get(f"/api/picks?date={DAY}")) == [images[1].id]


def test_picks_commands(runner, setup):
    mod, images = setup
    result = runner.invoke(args=["picks", "schedule", str(DAY), str(images[2].id), "--by", "mod"])
    assert result.exit_code == 0, result.output
    assert f"picked image {images[2].id} for {DAY} at position 1" in result.output
    listed = runner.invoke(args=["picks", "list", str(DAY)]).output
    assert f"image {images[2].id}" in listed and "scheduled" in listed
    assert runner.invoke(args=["picks", "schedule", str(DAY), "999"]).exit_code != 0
    again = runner.invoke(args=["picks", "schedule", str(DAY), str(images[2].id)])
    assert again.exit_code != 0 and "already picked" in again.output
    auto = runner.invoke(args=["picks", "auto"])
    assert "automatic picks for" in auto.output, auto.output
    assert "already has picks" in runner.invoke(args=["picks", "auto"]).output
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "pick.schedule")).one()
    assert audit.origin == "cli" and audit.actor_id == mod.id
