"""Caches: visitor responses, invalidation on hide/upload/picks, single-flight, CLI."""

from __future__ import annotations

import threading

import pytest

from gallery.caching import cache
from gallery.caching.pagecache import HEADER
from gallery.extensions import db
from gallery.models import today
from gallery.moderation import actions as moderation
from gallery.signals import image_changed
from tests.support.auth import Member
from tests.support.factories import create_image, create_user
from tests.support.feeds import ids

API_PATHS = ("/api/images", "/api/hot", "/api/users/alice/images")


@pytest.fixture
def images(app):
    alice = create_user("alice")
    return [create_image(alice) for _ in range(3)]


def test_visitor_responses_are_cached_by_every_parameter(client, images):
    assert client.get("/api/images?limit=2").headers[HEADER] == "miss"
    assert client.get("/api/images?limit=2").headers[HEADER] == "hit"
    assert client.get("/api/images?limit=1").headers[HEADER] == "miss"
    hit = client.get("/api/images?limit=2")
    assert hit.mimetype == "application/json" and len(hit.get_json()["items"]) == 2
    assert "Cookie" in hit.headers["Vary"]


def test_errors_and_members_are_never_cached(client, images):
    assert HEADER not in client.get("/api/images?cursor=bad").headers
    assert HEADER not in client.get("/api/images?cursor=bad").headers
    Member(client, "bob")
    response = client.get("/api/images")
    assert HEADER not in response.headers


@pytest.mark.parametrize("path", [*API_PATHS, "/api/picks"])
def test_hiding_an_image_drops_it_from_every_cached_list_at_once(client, images, path):
    from gallery.feeds import hot, picks

    mod = create_user("mod", roles=("member", "moderator"))
    hot.rebuild_hot()
    picks.schedule_pick(today(), images[1], mod)
    db.session.commit()
    client.get(path)
    assert client.get(path).headers[HEADER] == "hit"
    assert images[1].id in ids(client.get(path))
    moderation.hide_image(images[1], mod, "admin")
    db.session.commit()
    after = client.get(path)
    assert images[1].id not in ids(after)
    assert after.headers[HEADER] == "miss"


def test_a_new_image_signal_drops_cached_feeds(client, images):
    client.get("/api/images")
    newer = create_image(images[0].author)
    assert newer.id not in ids(client.get("/api/images"))  # still the cached answer
    image_changed.send(client.application, image_id=newer.id, reason="created")
    assert ids(client.get("/api/images"))[0] == newer.id


def test_single_flight_recomputes_an_expiring_key_once(app, fixed_clock):
    calls = []
    results = []
    others_answered = threading.Condition()

    def slow() -> list[int]:
        calls.append(1)
        if len(calls) == 2:  # the refresh: the 7 other workers answer meanwhile
            with others_answered:
                others_answered.wait_for(lambda: len(results) >= 7, timeout=10)
        return [len(calls)]

    assert cache.remember("k", slow, ttl=1) == [1]
    fixed_clock.shift(1.05)  # stale now, but still stored (entries live 2 × ttl)

    def worker() -> None:
        with app.app_context():
            value = cache.remember("k", slow, ttl=1)
        with others_answered:
            results.append(value)
            others_answered.notify_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 2  # the first fill and exactly one refresh
    assert sorted(map(tuple, results)).count((2,)) >= 1
    assert set(map(tuple, results)) <= {(1,), (2,)}  # the others kept the old value
    assert cache.remember("k", slow, ttl=1) == [2]


def test_single_flight_on_a_cold_key_waits_for_the_worker_computing_it(app, monkeypatch):
    calls = []
    refused = []  # workers that found the lock taken and wait for the answer
    lock_taken = threading.Condition()
    real_lock = cache._lock

    def counting_lock(name: str, seconds: int) -> bool:
        taken = real_lock(name, seconds)
        if not taken:
            with lock_taken:
                refused.append(name)
                lock_taken.notify_all()
        return taken

    monkeypatch.setattr(cache, "_lock", counting_lock)

    def compute() -> str:
        calls.append(1)
        with lock_taken:  # answer once the other 5 workers are waiting for it
            lock_taken.wait_for(lambda: len(refused) >= 5, timeout=10)
        return "value"

    results = []

    def worker() -> None:
        with app.app_context():
            results.append(cache.remember("cold", compute, ttl=5))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 6
    assert len(calls) == 1


def test_recovery_from_an_outage_starts_a_new_generation(app):
    before = cache.generation()
    cache.breaker().failed(ConnectionError("gone"))
    cache.breaker().open_until = 0  # the pause is over
    cache.generation()  # the first call that reaches Redis again ends the outage
    assert cache.generation() == before + 1


def test_cache_commands(client, runner, images):
    client.get("/api/images")
    assert client.get("/api/images").headers[HEADER] == "hit"
    assert "caches cleared" in runner.invoke(args=["cache", "clear"]).output
    assert client.get("/api/images").headers[HEADER] == "miss"
    warmed = runner.invoke(args=["cache", "warm"]).output
    assert "/api/hot: 200" in warmed and "/api/images: 200" in warmed
    assert client.get("/api/hot").headers[HEADER] == "hit"
    assert cache.generation() >= 2  # cleared once, never reset
