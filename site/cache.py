"""Redis-backed caches that never take the site down: a circuit breaker around every
Redis call, a cache generation for invalidation, and single-flight recomputation."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from gallery.extensions import cache, redis_store

T = TypeVar("T")
log = logging.getLogger("gallery.cache")

GENERATION_KEY = "gallery:cache-generation"
LOCK_PREFIX = "gallery:lock:"
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)
# fakeredis raises the same redis-py error classes, so one tuple covers both.


class Breaker:
    """Skips Redis for REDIS_BREAKER_SECONDS after a failure; logs once per outage."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.open_until = 0.0
        self.outage = False
        self.failures = 0

    def allows(self) -> bool:
        return time.monotonic() >= self.open_until

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        self.open_until = time.monotonic() + self.seconds
        if not self.outage:
            self.outage = True
            log.warning(
                "Redis unavailable (%s: %s); serving from the database for %ss at a time",
                type(error).__name__,
                error,
                self.seconds,
            )

    def succeeded(self) -> bool:
        """Record a success; True when it ends an outage."""
        if self.outage:
            self.outage = False
            log.warning("Redis is back; caches resume")
            return True
        return False


def init_app(app: Flask) -> None:
    """One breaker per app; one attempt per Redis call (the breaker replaces retries)."""
    app.extensions["gallery_breaker"] = Breaker(float(app.config.get("REDIS_BREAKER_SECONDS", 30)))
    client = app.extensions.get("gallery_redis")
    if isinstance(client, redis.Redis) and hasattr(client, "set_retry"):
        try:
            client.set_retry(Retry(NoBackoff(), 0))
        except Exception:  # noqa: BLE001 - fakeredis may not support it; nothing to tune
            pass


def breaker() -> Breaker:
    app = current_app
    found = app.extensions.get("gallery_breaker")
    if found is None:
        init_app(app)
        found = app.extensions["gallery_breaker"]
    return found


def guarded(operation: Callable[[], T], default: T) -> T:
    """Run one Redis operation; on failure (or while the breaker is open) return `default`."""
    state = breaker()
    if not state.allows():
        return default
    try:
        result = operation()
    except REDIS_ERRORS as error:
        state.failed(error)
        return default
    if state.succeeded():
        # While Redis was away nothing could be invalidated: start from a clean slate.
        try:
            redis_store.client.incr(GENERATION_KEY)
        except REDIS_ERRORS as error:
            state.failed(error)
    return result


def redis_available() -> bool:
    """False while the breaker is open."""
    return breaker().allows()


# --- generation: one INCR drops every cached list and page at once ---------


def generation() -> int:
    value = guarded(lambda: redis_store.client.get(GENERATION_KEY), None)
    return int(value) if value else 0


def bump_generation() -> None:
    guarded(lambda: redis_store.client.incr(GENERATION_KEY), None)


def key(*parts: Any) -> str:
    """A cache key carrying the current generation."""
    return f"g{generation()}:" + ":".join(str(part) for part in parts)


# --- single-flight cached values --------------------------------------------


def _lock(name: str, seconds: int) -> bool:
    return bool(
        guarded(
            lambda: redis_store.client.set(LOCK_PREFIX + name, b"1", nx=True, ex=seconds), False
        )
    )


def _unlock(name: str) -> None:
    guarded(lambda: redis_store.client.delete(LOCK_PREFIX + name), None)


def remember(name: str, compute: Callable[[], T], ttl: int) -> T:
    """The cached value of `name`, recomputed by one worker at a time.

    The entry stores (fresh_until, value) and lives twice as long as `ttl`: after
    `fresh_until` the first worker to take the lock recomputes while the others
    keep serving the previous value, so an expiring popular key is computed once.
    Without Redis it is computed on every call.
    """
    if not redis_available():
        return compute()
    entry = guarded(lambda: cache.get(name), None)
    now = time.time()
    if entry is not None:
        fresh_until, value = entry
        if now < fresh_until or not _lock(name, 10):
            return value
        return _store(name, compute, ttl)
    if _lock(name, 10):
        return _store(name, compute, ttl)
    for _ in range(10):  # another worker is computing it: wait a little for its answer
        time.sleep(0.02)
        entry = guarded(lambda: cache.get(name), None)
        if entry is not None:
            return entry[1]
    return compute()


def _store(name: str, compute: Callable[[], T], ttl: int) -> T:
    try:
        value = compute()
        guarded(lambda: cache.set(name, (time.time() + ttl, value), timeout=ttl * 2), None)
        return value
    finally:
        _unlock(name)


def clear() -> int:
    """Drop every cached list and page (flask cache clear); returns the new generation."""
    bump_generation()
    guarded(lambda: cache.clear(), None)
    return generation()
