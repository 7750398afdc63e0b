"""Sessions that really end: server-side sessions in Redis (Flask-Session), a new
session id at every login and logout, and "log out everywhere"."""

from __future__ import annotations

from typing import Any

import fakeredis
from flask import Flask, current_app, session
from flask_login import user_logged_in, user_logged_out
from flask_security import login_user
from flask_session.redis import RedisSessionInterface

from gallery.caching.cache import REDIS_ERRORS, breaker
from gallery.extensions import security


class GallerySessionInterface(RedisSessionInterface):
    """Flask-Session's Redis store that survives a Redis outage.

    While Redis is unreachable (the caching breaker is open) sessions live in this
    node's memory: logging in and out still works, on one node at least, and when
    Redis is back those sessions are simply gone (their owners log in again).
    """

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.outage_store = fakeredis.FakeRedis()

    def _call(self, command: str, *args: Any, **kwargs: Any) -> Any:
        state = breaker()
        if state.allows():
            try:
                return getattr(self.client, command)(*args, **kwargs)
            except REDIS_ERRORS as error:
                state.failed(error)
        return getattr(self.outage_store, command)(*args, **kwargs)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        data = self._call("get", store_id)
        return self.serializer.decode(data) if data else None

    def _delete_session(self, store_id: str) -> None:
        self._call("delete", store_id)

    def _upsert_session(self, session_lifetime: Any, session: Any, store_id: str) -> None:
        self._call(
            "set",
            store_id,
            self.serializer.encode(session),
            ex=int(session_lifetime.total_seconds()),
        )


def new_session_id(sender: Flask, **_: Any) -> None:
    """Drop the stored session and carry its contents on under a new id.

    At logout the old id (a cookie someone may have copied) then points at
    nothing; at login a planted id cannot become a logged-in session.
    """
    interface = current_app.session_interface
    if isinstance(interface, RedisSessionInterface):
        interface.regenerate(session)


def log_out_everywhere(user: Any) -> None:
    """End every session and remember-me cookie of `user` but this one. Caller commits.

    A new fs_uniquifier makes Flask-Security refuse every other session; this
    browser logs in again under the new one.
    """
    security.datastore.set_uniquifier(user)
    login_user(user, authn_via=["session"])


def init_app(app: Flask) -> None:
    """Keep sessions in Redis (real or the in-process stand-in) unless told otherwise."""
    if app.config["SESSION_TYPE"] == "redis":
        app.session_interface = GallerySessionInterface(
            app,
            client=app.extensions["gallery_redis"],
            key_prefix=app.config["SESSION_KEY_PREFIX"],
            permanent=app.config["SESSION_PERMANENT"],
        )
    user_logged_in.connect(new_session_id, app)
    user_logged_out.connect(new_session_id, app)
