"""The hot ranking: decay with age, updates on events, rebuild, hidden images leave it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds import hot
from gallery.models import Image
from tests.support.auth import Member
from tests.support.factories import create_image, create_user
from tests.support.feeds import ids

T0 = dt.datetime(2026, 11, 20, 12, 0, 0)


@pytest.mark.parametrize(("newer_views", "newer_first"), [(1, False), (3, True)])
@pytest.mark.settings(HOT_HALF_LIFE_HOURS=12)
def test_points_decay_by_half_every_half_life(client, runner, newer_views, newer_first):
    alice = create_user("alice")
    with time_machine.travel(T0, tick=False):
        older = create_image(alice, created_at=T0, views=10)
    with time_machine.travel(T0 + dt.timedelta(hours=24), tick=False):
        newer = create_image(alice, created_at=T0 + dt.timedelta(hours=24), views=newer_views)
        assert "rebuilt: 2 images" in runner.invoke(args=["hot", "rebuild"]).output
        # (1 + 10) × 2^(−24/12) = 2.75 against 1 + newer_views
        expected = [newer.id, older.id] if newer_first else [older.id, newer.id]
        assert ids(client.get("/api/hot")) == expected
    db.session.expire_all()
    assert (
        db.session.get(Image, newer.id).hot_score > db.session.get(Image, older.id).hot_score
    ) is newer_first


def test_score_formula(app):
    born = hot.born_of(T0)
    assert hot.score_of(0, born) == pytest.approx(born / (12 * 3600))
    assert hot.score_of(7, born) - hot.score_of(0, born) == pytest.approx(3.0)  # log2(8)
    assert hot.points_of(views=2, comments=1, likes=1) == 2 + 3 + 5


def test_like_and_comment_move_an_image_up_at_once(client):
    alice = create_user("alice")
    old = create_image(alice, created_at=dt.datetime(2026, 11, 27, 8, 0))
    new = create_image(alice, created_at=dt.datetime(2026, 11, 27, 8, 30))
    hot.rebuild_hot()
    db.session.commit()
    assert ids(client.get("/api/hot")) == [new.id, old.id]
    bob = Member(client, "bob")
    assert bob.post(f"/api/images/{old.id}/like").status_code == 200
    assert bob.post(f"/api/images/{old.id}/comments", {"body": "great"}).status_code == 201
    # 5 (like) + 3 (comment) points outweigh half an hour of age
    assert ids(client.get("/api/hot")) == [old.id, new.id]
    assert float(redis_store.client.hget(hot.POINTS_KEY, old.id)) == 8.0


def test_hidden_image_leaves_the_ranking(client):
    from gallery.moderation import actions as moderation

    alice = create_user("alice")
    mod = create_user("mod", roles=("member", "moderator"))
    images = [create_image(alice) for _ in range(3)]
    hot.rebuild_hot()
    db.session.commit()
    assert redis_store.client.zcard(hot.HOT_KEY) == 3
    moderation.hide_image(images[1], mod, "admin")
    db.session.commit()
    assert redis_store.client.zscore(hot.HOT_KEY, str(images[1].id)) is None
    assert images[1].id not in ids(client.get("/api/hot"))
    moderation.restore_image(images[1], mod, "admin")
    db.session.commit()
    assert redis_store.client.zscore(hot.HOT_KEY, str(images[1].id)) is not None
    assert images[1].id in ids(client.get("/api/hot"))


def test_hot_falls_back_to_the_hot_score_column_when_the_set_is_empty(client):
    alice = create_user("alice")
    low, high = create_image(alice, hot_score=1.0), create_image(alice, hot_score=9.0)
    redis_store.client.delete(hot.HOT_KEY)
    assert ids(client.get("/api/hot")) == [high.id, low.id]


def test_a_partial_sorted_set_is_topped_up_from_the_database(client):
    alice = create_user("alice")
    a, b, c = (create_image(alice, hot_score=score) for score in (9.0, 1.0, 4.0))
    redis_store.client.delete(hot.HOT_KEY)
    redis_store.client.zadd(hot.HOT_KEY, {str(b.id): 5.0})  # only b survived, with a newer score
    assert ids(client.get("/api/hot")) == [a.id, b.id, c.id]


def test_hot_show_lists_the_top(runner):
    alice = create_user("alice")
    low, high = create_image(alice, views=1), create_image(alice, views=50)
    runner.invoke(args=["hot", "rebuild"])
    lines = runner.invoke(args=["hot", "show", "--limit", "2"]).output.splitlines()
    assert lines[0].startswith("  1. image") and f"image {high.id}" in lines[0]
    assert f"image {low.id}" in lines[1]
