"""The Redis connection: a real server from REDIS_URL, or an in-process stand-in."""

from __future__ import annotations

from typing import Any

import fakeredis
import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry


def client_options(config: Any) -> dict[str, Any]:
    """Options of every Redis client of the app (caches, counters, rate limits).

    One attempt per call: redis-py 6+ retries a timed-out call 10 times with
    back-off by default, so with Redis paused one call took about 8 s and every
    worker froze. The breaker in gallery.caching.cache takes the place of retries.
    """
    timeout = float(config["REDIS_SOCKET_TIMEOUT"])
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 30,
    }


class RedisStore:
    """A Flask extension holding one Redis client per app."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Create the client from REDIS_URL (fakeredis when it is not set)."""
        url = app.config["REDIS_URL"]
        if url:
            client: Any = redis.Redis.from_url(url, **client_options(app.config))
        else:
            client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        app.extensions["gallery_redis"] = client

    @property
    def client(self) -> redis.Redis:
        """The current app's client."""
        return current_app.extensions["gallery_redis"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


#: the Redis client of the current app (real Redis or the in-process stand-in)
redis_store = RedisStore()
