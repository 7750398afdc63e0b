"""View counting: once per visitor per image per window, bots ignored, batch flushes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.feeds import hot
from gallery.feeds import latest as feeds
from gallery.models import DailyViews, Image
from tests.support.environment import let_redis_keys_expire
from tests.support.factories import create_image, create_user

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def view(app, image, ua=BROWSER, ip="203.0.113.5", user=None) -> bool:
    with app.test_request_context(
        f"/images/{image.id}", headers={"User-Agent": ua}, environ_base={"REMOTE_ADDR": ip}
    ):
        if user is not None:
            from flask_login import login_user

            login_user(user)
        return feeds.record_view(image, __import__("flask").request)


def pending(image) -> int:
    return int(redis_store.client.hget(hot.PENDING_VIEWS_KEY, image.id) or 0)


@pytest.fixture
def image(app):
    return create_image(create_user("alice"))


def test_a_visitor_counts_once_per_window(app, image):
    assert view(app, image) is True
    assert view(app, image) is False
    assert view(app, image, ip="198.51.100.7") is True  # another visitor
    assert view(app, image, ua=BROWSER + " Firefox") is True  # another device
    assert pending(image) == 3


def test_members_count_by_account_not_address(app, image):
    bob = create_user("bob")
    assert view(app, image, user=bob, ip="198.51.100.1") is True
    assert view(app, image, user=bob, ip="198.51.100.2", ua="Other/1.0 browser") is False
    assert pending(image) == 1


@pytest.mark.parametrize(
    "ua",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "Scrapy/2.11",
        "",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
    ],
)
def test_known_bots_are_not_counted(app, image, ua):
    assert view(app, image, ua=ua) is False
    assert pending(image) == 0


def test_no_raw_ip_is_stored(app, image):
    view(app, image, ip="192.0.2.99")
    keys = [k.decode() for k in redis_store.client.keys("gallery:views:*")]
    assert keys and not any("192.0.2.99" in k for k in keys)


@pytest.mark.settings(VIEW_DEDUP_SECONDS=1)
def test_the_window_expires(app, image, fixed_clock):
    assert view(app, image) is True
    fixed_clock.shift(0.5)
    assert view(app, image) is False  # still inside the window
    fixed_clock.shift(0.7)
    let_redis_keys_expire(redis_store.client, 1.2)
    assert view(app, image) is True
    assert pending(image) == 2


@pytest.mark.settings(VIEW_FLUSH_EVERY=1000, VIEW_FLUSH_SECONDS=3600)
def test_flask_views_flush_writes_batches(app, runner, image):
    other = create_image(image.author)
    for n in range(5):
        view(app, image, ip=f"198.51.100.{n}")
    view(app, other)
    db.session.rollback()  # a new snapshot: the flush wrote on its own connection
    assert db.session.get(Image, image.id).views == 0  # still buffered
    result = runner.invoke(args=["views", "flush"])
    assert "views flushed: 6" in result.output
    db.session.rollback()  # a new snapshot: the flush wrote on its own connection
    assert db.session.get(Image, image.id).views == 5
    assert db.session.get(Image, other.id).views == 1
    assert db.session.get(Image, image.id).hot_score > 0
    assert pending(image) == 0
    assert "views flushed: 0" in runner.invoke(args=["views", "flush"]).output
    # the dashboard's views-per-day chart counts what was flushed
    assert db.session.scalars(select(DailyViews.views)).all() == [6]


@pytest.mark.settings(VIEW_FLUSH_EVERY=3, VIEW_FLUSH_SECONDS=3600)
def test_every_n_views_flush_on_their_own(app, image):
    for n in range(3):
        view(app, image, ip=f"198.51.100.{n}")
    db.session.rollback()  # a new snapshot: the flush wrote on its own connection
    assert db.session.get(Image, image.id).views == 3
    assert pending(image) == 0


def test_a_failed_database_write_keeps_the_views(app, image, monkeypatch):
    from gallery.feeds import views as views_count

    view(app, image)

    def broken(counts):
        raise RuntimeError("database away")

    monkeypatch.setattr(views_count, "write_views", broken)
    with pytest.raises(RuntimeError):
        views_count.flush_views()
    assert pending(image) == 1


@pytest.mark.settings(VIEW_FLUSH_EVERY=1000, VIEW_FLUSH_SECONDS=1)
def test_a_batch_older_than_the_flush_interval_is_written(app, image, fixed_clock):
    view(app, image, ip="198.51.100.1")
    db.session.rollback()  # a new snapshot: the flush wrote on its own connection
    assert db.session.get(Image, image.id).views == 0
    fixed_clock.shift(1.1)
    view(app, image, ip="198.51.100.2")
    db.session.rollback()  # a new snapshot: the flush wrote on its own connection
    assert db.session.get(Image, image.id).views == 2


def test_the_image_page_counts_in_one_redis_round_trip_when_the_view_is_not_new(
    app, client, image, monkeypatch
):
    """Issue 15: a visitor's image page read the buffered views and marked the visitor as
    seen in two Redis round trips (then read its cached page in a third)."""
    headers = {"User-Agent": BROWSER}
    first = client.get(f"/images/{image.id}", headers=headers).get_data(as_text=True)
    assert "data-views>1<" in first
    trips: list[str] = []
    redis_client = redis_store.client
    real_command, real_pipeline = redis_client.execute_command, redis_client.pipeline

    def command(*args, **kwargs):
        trips.append(str(args[0]))
        return real_command(*args, **kwargs)

    def pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a, **kw):
            trips.append("pipeline")
            return real_execute(*a, **kw)

        pipe.execute = execute
        return pipe

    monkeypatch.setattr(redis_client, "execute_command", command)
    monkeypatch.setattr(redis_client, "pipeline", pipeline)
    again = client.get(f"/images/{image.id}", headers=headers).get_data(as_text=True)
    assert "data-views>1<" in again  # the same visitor: not counted twice
    assert trips == ["pipeline", "MGET"], trips  # views and seen-mark, then the cached page
    other = client.get(f"/images/{image.id}", headers={"User-Agent": BROWSER + " Firefox"})
    assert "data-views>2<" in other.get_data(as_text=True)
    assert pending(image) == 2
