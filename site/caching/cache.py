"""Redis caches that never take the site down: breaker, generations, single flight."""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gallery.caching.kv import redis_store
from gallery.extensions import cache

T = TypeVar("T")
log = logging.getLogger("gallery.caching.cache")

GENERATION = "generation"  # under CACHE_KEY_PREFIX
LOCK_PREFIX = "gallery:lock:"
DATABASE_ERRORS = (DBAPIError, PoolTimeout)  # what "the database is down" looks like
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
    app.extensions["gallery_breaker"] = Breaker(float(app.config["REDIS_BREAKER_SECONDS"]))
    client = app.extensions.get("gallery_redis")
    if isinstance(client, redis.Redis) and hasattr(client, "set_retry"):
        try:
            client.set_retry(Retry(NoBackoff(), 0))
        except Exception:  # noqa: BLE001 - fakeredis may not support it; nothing to tune
            pass


def breaker() -> Breaker:
    return current_app.extensions["gallery_breaker"]


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
            cache.cache.inc(GENERATION)
        except REDIS_ERRORS as error:
            state.failed(error)
    return result


def redis_available() -> bool:
    """False while the breaker is open."""
    return breaker().allows()


# --- generation: one INCR drops every cached list and page at once ---------
#
# Each entry records the generation it was computed under; an entry from an
# older generation is never served. Reading the generation and the entry is a
# single MGET, so a cache hit costs one round trip to Redis.


def generation() -> int:
    value = guarded(lambda: cache.cache.get(GENERATION), None)
    return int(value) if value else 0


def bump_generation() -> None:
    guarded(lambda: cache.cache.inc(GENERATION), None)


def key(*parts: Any) -> str:
    """A cache name from its parts (the generation is checked inside the entry)."""
    return ":".join(str(part) for part in parts)


# --- single-flight cached values --------------------------------------------


def _lock(name: str, seconds: int) -> bool:
    return bool(
        guarded(
            lambda: redis_store.client.set(LOCK_PREFIX + name, b"1", nx=True, ex=seconds), False
        )
    )


def _unlock(name: str) -> None:
    guarded(lambda: redis_store.client.delete(LOCK_PREFIX + name), None)


def full_key(name: str) -> str:
    """The Redis key of a cached entry (Flask-Caching's prefix, so `cache clear` drops it)."""
    return current_app.config["CACHE_KEY_PREFIX"] + name


def encode_entry(current: int, fresh_until: float, payload: bytes) -> bytes:
    """An entry as bytes: b"<generation> <fresh until>\\n" + payload (no pickle of a page)."""
    return b"%d %.3f\n" % (current, fresh_until) + payload


def decode_entry(raw: bytes | None) -> tuple[int, float, bytes] | None:
    """(generation, fresh_until, payload) of a stored entry; None when absent or foreign."""
    if not raw:
        return None
    head, _, payload = raw.partition(b"\n")
    try:
        stored_generation, fresh_until = head.split(b" ")
        return int(stored_generation), float(fresh_until), payload
    except ValueError:
        return None


def read_raw(client: Any, name: str, prefix: str) -> tuple[int, tuple[int, float, bytes] | None]:
    """(current generation, entry of `name`) in one MGET; the entry only if it is current."""
    current, raw = client.mget(prefix + GENERATION, prefix + name)
    current = int(current or 0)
    entry = decode_entry(raw)
    if entry is not None and entry[0] != current:
        entry = None
    return current, entry


def _read(name: str, loads: Callable[[bytes], Any]) -> tuple[int, Any]:
    """(current generation, (generation, fresh_until, value) if current) in one round trip."""
    current, entry = guarded(
        lambda: read_raw(redis_store.client, name, current_app.config["CACHE_KEY_PREFIX"]),
        (0, None),
    )
    if entry is None:
        return current, None
    try:
        return current, (entry[0], entry[1], loads(entry[2]))
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss, never an error
        return current, None


def remember(
    name: str,
    compute: Callable[[], T],
    ttl: int,
    dumps: Callable[[Any], bytes] = pickle.dumps,
    loads: Callable[[bytes], Any] = pickle.loads,
) -> T:
    """The cached value of `name`, recomputed by one worker at a time.

    An entry is (generation, fresh_until, value) and is kept `ttl` plus
    CACHE_STALE_IF_ERROR seconds (at least twice `ttl`): while the database fails,
    the last good value is served instead of an error (stale-if-error).
    After `fresh_until` the first worker to take the lock recomputes while the
    others keep serving the previous value, so an expiring popular key is computed
    once. An entry of an older generation is never served: after an invalidation
    one worker computes and the others wait briefly for its answer. Without Redis
    the value is computed on every call. `dumps`/`loads` turn the value into the
    stored bytes (pickle by default; pages are stored as their bytes).
    """
    if not redis_available():
        return compute()
    current, entry = _read(name, loads)
    if entry is not None:
        _, fresh_until, value = entry
        if time.time() < fresh_until or not _lock(name, 10):
            return value
        try:
            return _store(name, current, compute, ttl, dumps)
        except DATABASE_ERRORS as error:  # stale-if-error: the last good value
            log.warning("Serving a stale %s: the database failed (%s)", name, error)
            return value
    if _lock(name, 10):
        return _store(name, current, compute, ttl, dumps)
    # The breaker may have opened during _read or _lock: then nobody is computing
    # it elsewhere as far as we know, and waiting would only add to the timeout paid.
    for _ in range(10 if redis_available() else 0):
        time.sleep(0.02)  # another worker is computing it: wait a little for its answer
        current, entry = _read(name, loads)
        if entry is not None:
            return entry[2]
        if not redis_available():
            break
    return compute()


def _store(
    name: str, current: int, compute: Callable[[], T], ttl: int, dumps: Callable[[Any], bytes]
) -> T:
    """Compute and store under the generation read before computing, so a value
    computed across an invalidation is never served."""
    try:
        value = compute()
        raw = encode_entry(current, time.time() + ttl, dumps(value))
        keep = ttl + max(ttl, int(current_app.config["CACHE_STALE_IF_ERROR"]))
        guarded(lambda: redis_store.client.set(full_key(name), raw, ex=keep), None)
        return value
    finally:
        _unlock(name)


def clear() -> int:
    """Drop every cached list and page (flask cache clear); returns the new generation.

    The generation only ever grows, so a value computed before the clear and
    stored after it can never match a later generation.
    """
    current = generation()
    guarded(lambda: cache.clear(), None)
    guarded(
        lambda: redis_store.client.set(cache.cache._get_prefix() + GENERATION, current + 1), None
    )
    return generation()
