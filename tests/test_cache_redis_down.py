"""Redis refused or hung: the API answers from the database; one log line per outage."""

from __future__ import annotations

import logging
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from gallery import create_app
from gallery.extensions import db
from tests.support.auth import Member
from tests.support.environment import (
    DATABASE_URL,
    REDIS_URL,
    TEMPLATE_CODE,
    base_config,
    empty_tables,
)
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import ids

PATHS = ("/api/images", "/api/hot", "/api/picks", "/api/users/alice/images")


class HungRedis:
    """A TCP server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.accepted:
            connection.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def build_app(tmp_path: Any, redis_url: str | None, **settings: Any) -> Flask:
    config = base_config(tmp_path)
    config.update(REDIS_URL=redis_url, **settings)
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture
def make_app(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    made: list[Any] = []

    def factory(redis_url: str | None, **settings: Any) -> Flask:
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        app = build_app(folder, redis_url, **settings)
        context = app.app_context()
        context.push()
        if DATABASE_URL:
            db.drop_all()
        db.create_all()
        from gallery.roles import sync_roles

        sync_roles()
        db.session.commit()
        if redis_url == REDIS_URL:
            from gallery.caching.kv import redis_store

            redis_store.client.flushdb()  # our own test database (fakeredis when unset)
        made.append(context)
        return app

    yield factory
    for context in reversed(made):
        db.session.remove()
        if DATABASE_URL:
            empty_tables()
        db.engine.dispose()
        context.pop()


def seed() -> list[Any]:
    alice = create_user("alice")
    images = [create_image(alice) for _ in range(12)]
    create_comment(images[-1], alice, "still here")
    return images


def exercise(app: Flask) -> list[float]:
    """Every GET row, a comment and a like; returns the latencies of GET /api/images."""
    client = app.test_client()
    images = seed()
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_json())
    assert ids(client.get("/api/images?limit=3")) == [i.id for i in reversed(images)][:3]
    card = client.get(f"/api/images/{images[-1].id}").get_json()
    assert card["comments"][0]["body"] == "still here"
    assert client.get(f"/api/images/{images[-1].id}/comments").status_code == 200
    bob = Member(app.test_client(), "bob")
    assert bob.post(f"/api/images/{images[0].id}/comments", {"body": "hi"}).status_code == 201
    assert bob.post(f"/api/images/{images[0].id}/like").get_json()["like_count"] == 1
    return timed(client, "/api/images")


def timed(client: Any, path: str, distinct: bool = False) -> list[float]:
    """Latencies of 30 GETs; `distinct` adds a parameter so no cached answer fits."""
    latencies = []
    for n in range(30):
        started = time.perf_counter()
        assert client.get(f"{path}?n={n}" if distinct else path).status_code == 200
        latencies.append(time.perf_counter() - started)
    return latencies


def test_redis_refused_leaves_the_api_working(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="gallery.caching.cache")
    app = make_app(f"redis://127.0.0.1:{closed_port()}/0")
    exercise(app)
    outage_lines = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(outage_lines) == 1  # one line per outage, not per request


def test_redis_hung_is_skipped_after_one_timeout(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="gallery.caching.cache")
    hung = HungRedis()
    try:
        app = make_app(f"redis://127.0.0.1:{hung.port}/0", REDIS_SOCKET_TIMEOUT=0.2)
        started = time.perf_counter()
        exercise(app)
        elapsed = time.perf_counter() - started
        # The breaker opened on the first timeout: Redis was not asked again (one
        # connection for the cache client, at most a few for the rate limiter's).
        assert len(hung.accepted) <= 4, len(hung.accepted)
        assert elapsed < 10, elapsed
        assert len([r for r in caplog.records if "Redis unavailable" in r.getMessage()]) == 1
    finally:
        hung.close()


def test_breaker_tries_again_after_its_pause(make_app):
    from gallery.caching import cache

    hung = HungRedis()
    try:
        app = make_app(
            f"redis://127.0.0.1:{hung.port}/0", REDIS_SOCKET_TIMEOUT=0.1, REDIS_BREAKER_SECONDS=60
        )
        client = app.test_client()
        seed()
        assert client.get("/api/images").status_code == 200
        assert cache.breaker().failures == 1 and not cache.redis_available()
        for _ in range(5):
            assert client.get("/api/images").status_code == 200
        assert cache.breaker().failures == 1  # skipped while open: no new timeout
        cache.breaker().open_until = 0  # the pause is over
        assert client.get("/api/images").status_code == 200
        assert cache.breaker().failures == 2  # asked once more, failed once more
        assert not cache.redis_available()
    finally:
        hung.close()


def test_feed_latency_with_redis_stopped_against_running(make_app, capsys):
    """Prints the figures; the bound is generous (no timed unit tests), the report has them."""
    running_app = make_app(REDIS_URL)  # the real server when the suite has one
    running = statistics.median(exercise(running_app))
    uncached = statistics.median(timed(running_app.test_client(), "/api/images", distinct=True))
    db.session.remove()
    stopped_app = make_app(f"redis://127.0.0.1:{closed_port()}/0")
    stopped = statistics.median(exercise(stopped_app))
    with capsys.disabled():
        print(
            f"\nGET /api/images median: redis running {running * 1000:.2f} ms (cached), "
            f"{uncached * 1000:.2f} ms (not cached); redis stopped {stopped * 1000:.2f} ms "
            f"({stopped / uncached:.1f}x the uncached time)"
        )
    assert stopped < 1.0  # no per-request socket timeout once the breaker is open


def test_commands_say_when_redis_is_away(make_app):
    app = make_app(f"redis://127.0.0.1:{closed_port()}/0")
    runner = app.test_cli_runner()
    rebuilt = runner.invoke(args=["hot", "rebuild"])
    assert rebuilt.exit_code != 0 and "Redis is not reachable" in rebuilt.output
    flushed = runner.invoke(args=["views", "flush"])
    assert flushed.exit_code != 0 and "Redis is not reachable" in flushed.output


def test_refused_redis_on_a_cold_key_computes_at_once_without_waiting(make_app, monkeypatch):
    """The breaker opens during the read: remember() must not then wait 10 × 20 ms
    as if another worker were computing the value (issue 15)."""
    from gallery.caching import cache

    make_app(f"redis://127.0.0.1:{closed_port()}/0")
    sleeps: list[float] = []
    monkeypatch.setattr(cache.time, "sleep", sleeps.append)
    assert cache.redis_available()
    assert cache.remember("cold", lambda: "computed", 30) == "computed"
    assert not cache.redis_available()  # the breaker opened on the way
    assert sleeps == []
