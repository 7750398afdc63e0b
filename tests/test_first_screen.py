"""The hot ranking and the first screen: seeding commits its scores (a fresh `flask
seed demo` gives /hot != latest even when Redis lost the ranking), the intended order
of a new image against a day-old one with 5 likes, the Latest grid does not repeat
today's picks, the demo's first screen leads with the featured photos, and every place
that shows views shows the same number."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds import latest as feeds
from gallery.feeds.picks import ensure_automatic_picks
from gallery.models import Image, Like, utcnow
from tests.support.factories import create_image, create_user
from tests.support.feeds import ids

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def card_ids(page: str) -> list[int]:
    page = page.split('<template id="card-template">')[0]
    return [int(x) for x in re.findall(r'<article class="g-card" data-id="(\d+)"', page)]


def test_fresh_seed_ranks_hot_from_committed_scores(app: Any, runner: Any, client: Any) -> None:
    result = runner.invoke(args=["seed", "demo", "--quiet"])
    assert result.exit_code == 0, result.output
    # A server process does not share the seeding process's in-process Redis: it
    # ranks from the hot_score column, which must hold the committed scores.
    redis_store.client.flushdb()
    db.session.remove()
    stored = db.session.execute(select(Image.id, Image.hot_score, Image.like_count)).all()
    assert len({round(score, 6) for _, score, _ in stored}) > 1
    hot = ids(client.get("/api/hot?limit=50"))
    latest = ids(client.get("/api/images?limit=50"))
    assert sorted(hot) == sorted(latest)
    assert hot != latest
    # the featured photos (liked by every demo member) lead the hot list and the picks
    featured = ("Hubble eXtreme", "DSCOVR lifting", "Chelsea the cat", "Eileen Collins")
    top = db.session.scalars(select(Image).where(Image.id.in_(hot[:4]))).all()
    assert sorted(image.caption.startswith(featured) for image in top) == [True] * 4
    home = client.get("/").get_data(as_text=True)
    picks = card_ids(home.split('id="latest-heading"')[0])
    assert sorted(picks) == sorted(hot[:4])


def test_a_day_old_image_with_5_likes_outranks_a_new_one_without_engagement(
    app: Any, client: Any
) -> None:
    """Intended: points halve every 12 h, so the day-old image keeps (1 + 5×5) / 4 = 6.5
    against 1 for the new one. It takes about 2 days without new likes for a newcomer
    with no engagement to pass it (26 / 2^4 < 1 + ... at 48 h: 1.6; at 57 h: < 1)."""
    alice = create_user("alice")
    old = create_image(alice, created_at=utcnow() - dt.timedelta(days=1))
    for i in range(5):
        fan = create_user(f"fan{i}")
        db.session.add(Like(user_id=fan.id, image_id=old.id))
    old.like_count = 5
    db.session.commit()
    new = create_image(alice, created_at=utcnow())
    from gallery.feeds.hot import rebuild_hot

    rebuild_hot()
    db.session.commit()
    assert ids(client.get("/api/hot")) == [old.id, new.id]
    redis_store.client.flushdb()  # the database fallback gives the same order
    assert ids(client.get("/api/hot")) == [old.id, new.id]
    older = create_image(alice, created_at=utcnow() - dt.timedelta(hours=60))
    older.like_count = 5
    db.session.commit()
    rebuild_hot()
    db.session.commit()
    assert ids(client.get("/api/hot")) == [old.id, new.id, older.id]


def test_latest_grid_does_not_repeat_todays_picks(app: Any, client: Any) -> None:
    alice = create_user("alice")
    start = utcnow() - dt.timedelta(hours=1)
    images = [create_image(alice, created_at=start + dt.timedelta(minutes=i)) for i in range(8)]
    ensure_automatic_picks(utcnow().date())
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    top, grid = page.split('id="latest-heading"')
    picks = card_ids(top)
    latest = card_ids(grid)
    assert len(picks) == 4
    assert not set(picks) & set(latest)
    assert sorted(picks + latest) == sorted(image.id for image in images)
    # the API feed and later pages are unchanged: the picks are only not shown twice
    assert len(ids(client.get("/api/images"))) == 8


@pytest.mark.settings(VIEW_FLUSH_EVERY=1000, VIEW_FLUSH_SECONDS=3600)
def test_every_place_shows_the_same_view_count(app: Any, client: Any) -> None:
    alice = create_user("alice")
    admin = create_user("boss", roles=("admin",))
    image = create_image(alice)
    page = client.get(f"/images/{image.id}", headers={"User-Agent": BROWSER})
    assert "<dd data-views>1</dd>" in page.get_data(as_text=True)
    assert client.get(f"/api/images/{image.id}").get_json()["views"] == 1
    assert client.get("/api/images").get_json()["items"][0]["views"] == 1
    home = client.get("/?fresh=1").get_data(as_text=True)
    assert '<span data-slot="views">1</span>' in home
    from flask import g

    from tests.support.auth import csrf_token_from

    admin_client = app.test_client()
    g.pop("csrf_token", None)  # the test's app context spans requests
    token = csrf_token_from(admin_client)
    admin_client.post(
        "/login", data={"identity": "boss", "password": "password-boss", "csrf_token": token}
    )
    listing = admin_client.get("/admin/image/").get_data(as_text=True)
    assert re.search(r'class="col-views">\s*1\s*<', listing)
    dashboard = admin_client.get("/admin/").get_data(as_text=True)
    assert "· 1 view<" in dashboard  # one view, singular
    # after the flush the numbers stay the same everywhere
    feeds.flush_views()
    db.session.remove()  # a new transaction sees the flushed count (MariaDB: repeatable read)
    assert client.get("/api/images?after=flush").get_json()["items"][0]["views"] == 1
    assert admin is not None
