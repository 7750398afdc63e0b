"""The Redis connection: a real server from REDIS_URL, or an in-process stand-in."""

from __future__ import annotations

from typing import Any

import fakeredis
import redis
from flask import Flask, current_app


class RedisStore:
    """A Flask extension holding one Redis client per app."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Create the client from REDIS_URL (fakeredis when it is not set)."""
        url = app.config["REDIS_URL"]
        if url:
            timeout = app.config["REDIS_SOCKET_TIMEOUT"]
            client: Any = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
            )
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
