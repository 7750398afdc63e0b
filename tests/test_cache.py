"""Caches: visitor responses, invalidation on hide/upload/picks, single-flight, CLI."""

from __future__ import annotations

import threading

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gallery.caching import cache
from gallery.caching.kv import redis_store
from gallery.caching.pagecache import HEADER, page_key_of
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


# --- the fast path: fresh visitor hits answered before Flask (issue 15) -------


@pytest.fixture
def flask_calls(app):
    """How many requests reached Flask's before_request hooks."""
    calls: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append("flask"))
    return calls


@pytest.mark.parametrize("path", ["/api/images?limit=2", "/api/hot", "/", "/hot"])
def test_a_fresh_hit_skips_flask_and_replays_the_same_answer(client, images, flask_calls, path):
    client.get(path)  # the home page's first request also chooses today's picks
    first = client.get(path)
    assert first.status_code == 200 and first.headers[HEADER] in ("hit", "miss")
    calls = len(flask_calls)
    hit = client.get(path)
    assert hit.headers[HEADER] == "hit"
    assert len(flask_calls) == calls  # no session, user load, limiter or locale hooks ran
    assert hit.data == first.data
    assert "Set-Cookie" not in hit.headers
    same = {k: v for k, v in first.headers.items() if k not in (HEADER, "Date")}
    assert {k: v for k, v in hit.headers.items() if k not in (HEADER, "Date")} == same
    # the security headers of site/headers.py and the edge caching headers are replayed too
    assert hit.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in hit.headers["Content-Security-Policy"]
    assert hit.headers["X-Content-Type-Options"] == "nosniff"
    assert hit.headers["X-Frame-Options"] == "DENY"
    assert hit.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Permissions-Policy" in hit.headers
    assert hit.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "public" in hit.headers["Cache-Control"]
    assert "stale-if-error=" in hit.headers["Cache-Control"]
    assert {"Cookie", "Accept-Language"} <= set(hit.headers["Vary"].replace(" ", "").split(","))


def test_the_fast_path_keys_on_the_language_and_never_serves_members(client, images, flask_calls):
    client.get("/hot")
    assert client.get("/hot").headers[HEADER] == "hit"
    chinese = client.get("/hot", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.headers[HEADER] == "miss" and 'lang="zh' in chinese.get_data(as_text=True)
    client.set_cookie("lang", "zh")
    assert client.get("/hot").headers[HEADER] == "hit"  # the cookie's zh page, learnt above
    assert 'lang="zh' in client.get("/hot").get_data(as_text=True)
    client.delete_cookie("lang")
    calls = len(flask_calls)
    Member(client, "bob")
    assert HEADER not in client.get("/hot").headers
    assert len(flask_calls) > calls


def test_a_stale_or_invalidated_entry_goes_to_flask(client, images, flask_calls):
    client.get("/api/images")
    client.get("/api/images")
    assert len(flask_calls) == 1
    image_changed.send(client.application, image_id=images[0].id, reason="created")
    assert client.get("/api/images").headers[HEADER] == "miss"
    assert len(flask_calls) == 2


def test_pages_are_stored_as_bytes_not_pickles(app, client, images):
    body = client.get("/api/images").data
    name = page_key_of(Request(EnvironBuilder(path="/api/images").get_environ()), app.config)
    raw = redis_store.client.get(app.config["CACHE_KEY_PREFIX"] + name)
    head, _, payload = raw.partition(b"\n")
    assert payload == b"application/json\n" + body
    assert head.split(b" ")[0] == str(cache.generation()).encode()
    assert b"\x80" not in head  # no pickle protocol header
