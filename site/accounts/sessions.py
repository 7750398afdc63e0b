"""Sessions that really end: server-side sessions in Redis (Flask-Session), a new
session id at every login and logout, and "log out everywhere"."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import user_logged_in, user_logged_out
from flask_security import login_user
from flask_session.base import ServerSideSession
from flask_session.redis import RedisSessionInterface

from gallery.caching.cache import REDIS_ERRORS, breaker
from gallery.extensions import security

TOUCHED_MAX = 10_000  # sessions a worker remembers having extended


class GallerySessionInterface(RedisSessionInterface):
    """Flask-Session's Redis store behind the Redis circuit breaker.

    While Redis is unreachable (or the breaker is open) a request gets a signed-cookie
    session instead, so members can still log in and post forms; when Redis is back,
    those cookies no longer name a stored session and their holders log in again.
    """

    fallback = SecureCookieSessionInterface()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: store id → when this worker last extended it (time.monotonic)
        self.touched: dict[str, float] = {}

    def _upsert_session(self, session_lifetime: Any, session: Any, store_id: str) -> None:
        """Write the session only when this request changed it; otherwise just extend it.

        Flask-Session rewrites the whole stored session at the end of every request
        (SESSION_REFRESH_EACH_REQUEST). A page's background fetch that started before a
        form POST and ended after it then wrote the old contents back, and the POST's
        change (a two-factor set-up step, a login) was lost.
        """
        if not session.modified:
            if self.recently_touched(store_id):
                return
            if self.client.expire(store_id, int(session_lifetime.total_seconds())):
                self.note_touched(store_id)
                return
        super()._upsert_session(session_lifetime, session, store_id)
        self.note_touched(store_id)

    def recently_touched(self, store_id: str) -> bool:
        """Whether this worker wrote or extended the session less than
        SESSION_TOUCH_SECONDS ago (a lifetime of days loses nothing by a minute)."""
        last = self.touched.get(store_id)
        seconds = current_app.config["SESSION_TOUCH_SECONDS"]
        return last is not None and time.monotonic() - last < seconds

    def note_touched(self, store_id: str) -> None:
        """The session's lifetime starts again now (a full table is simply emptied)."""
        if len(self.touched) >= TOUCHED_MAX:
            self.touched.clear()
        self.touched[store_id] = time.monotonic()

    def open_session(self, app: Flask, request: Any) -> Any:
        state = breaker()
        if state.allows():
            try:
                return super().open_session(app, request)
            except REDIS_ERRORS as error:
                state.failed(error)
        return self.fallback.open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if not isinstance(session, ServerSideSession):
            return self.fallback.save_session(app, session, response)
        try:
            return super().save_session(app, session, response)
        except REDIS_ERRORS as error:
            breaker().failed(error)
            current_app.logger.warning("session not saved: %s", error)
            return None


def new_session_id(sender: Flask, **_: Any) -> None:
    """Drop the stored session and carry its contents on under a new id.

    At logout the old id (a cookie someone may have copied) then points at
    nothing; at login a planted id cannot become a logged-in session.
    """
    interface = current_app.session_interface
    if isinstance(interface, RedisSessionInterface) and isinstance(session, ServerSideSession):
        try:
            interface.regenerate(session)
        except REDIS_ERRORS as error:
            breaker().failed(error)


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
