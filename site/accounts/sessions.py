"""Sessions that really end: server-side sessions in Redis (Flask-Session), a new
session id at every login and logout, and "log out everywhere"."""

from __future__ import annotations

from typing import Any

import redis
from flask import Flask, current_app, session
from flask_login import user_logged_in, user_logged_out
from flask_security import login_user
from flask_session.redis import RedisSessionInterface

from gallery.extensions import security


class GallerySessionInterface(RedisSessionInterface):
    """Flask-Session's Redis store; with Redis unreachable a session reads as empty
    (logged out) instead of failing the whole request."""

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        try:
            return super()._retrieve_session_data(store_id)
        except redis.RedisError as error:
            current_app.logger.warning("session store unreachable: %s", error)
            return None

    def _upsert_session(self, session_lifetime: Any, session: Any, store_id: str) -> None:
        try:
            super()._upsert_session(session_lifetime, session, store_id)
        except redis.RedisError as error:
            current_app.logger.warning("session not saved: %s", error)

    def _delete_session(self, store_id: str) -> None:
        try:
            super()._delete_session(store_id)
        except redis.RedisError as error:
            current_app.logger.warning("session not deleted: %s", error)


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
