"""Fixtures: app, client, runner, auth, users; SQLite + stand-in Redis by default,
MariaDB + real Redis when GALLERY_TEST_DATABASE_URL / GALLERY_TEST_REDIS_URL are set.
Helpers live in tests/support/; import them from there, never from this file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, select, text

import gallery.extensions
from gallery import create_app
from gallery.caching import cache as caching
from gallery.caching.kv import redis_store
from gallery.extensions import db, limiter
from gallery.models import Role, User
from gallery.roles import sync_roles
from tests.support.auth import AuthActions
from tests.support.environment import (
    DATABASE_URL,
    FROZEN_NOW,
    REDIS_URL,
    TEMPLATE_CODE,
    StrictTemplateUndefined,
    base_config,
    clear_leftovers,
    create_database,
    empty_tables,
)
from tests.support.factories import create_user
from tests.support.qiniu_emulator import KodoEmulator


@pytest.fixture(scope="session", autouse=True)
def fixed_clock() -> Iterator[Any]:
    """The whole run's clock starts at FROZEN_NOW and ticks, so no test depends on today's
    date; it never jumps back between tests (the live server of the browser tests spans them)."""
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


def build_app(folder: Path, settings: dict[str, Any] | None = None) -> Flask:
    """An app on the test config, its instance and media folders under `folder`."""
    config = base_config(folder)
    config.update(settings or {})
    environment = pytest.MonkeyPatch()
    environment.setenv("GALLERY_INSTANCE_PATH", str(folder / "instance"))
    try:
        app = create_app(config)
    finally:
        environment.undo()
    app.jinja_env.undefined = StrictTemplateUndefined  # typos fail
    app.jinja_env.bytecode_cache = TEMPLATE_CODE  # compiled once per session, not per app
    return app


class ExtensionState:
    """The attributes of the extension objects (one object per extension, shared by
    every app: Flask-Security and Flask-Limiter keep the last app's settings on it),
    saved after the shared app was built and put back before each of its tests."""

    def __init__(self) -> None:
        extensions = vars(gallery.extensions)
        self.objects = [extensions[name] for name in EXTENSION_NAMES] + [redis_store]
        self.saved = [dict(vars(obj)) for obj in self.objects]

    def restore(self) -> None:
        for obj, saved in zip(self.objects, self.saved, strict=True):
            vars(obj).clear()
            vars(obj).update(saved)


EXTENSION_NAMES = ("db", "migrate", "security", "mail", "csrf", "cache", "limiter", "babel")


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app and one schema per test session (per xdist worker): most tests need no
    settings of their own, and building an app and its tables per test is slow."""
    create_database()
    app = build_app(tmp_path_factory.mktemp("app"))
    app.extensions["tests_state"] = ExtensionState()
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def role_rows() -> list[dict[str, Any]]:
    """The rows sync_roles() makes, kept by the first test of the session (see put_roles_back)."""
    return []


def put_roles_back(rows: list[dict[str, Any]]) -> None:
    """The roles of sync_roles() in the emptied tables: made by it once per session, then
    the same rows inserted in one statement (its lookups cost more than many a test)."""
    empty = db.session.execute(select(Role.id).limit(1)).first() is None
    if rows and empty:
        db.session.execute(insert(Role.__table__), rows)
    else:  # the first test, or roles left by a test outside this fixture (worker_app)
        sync_roles()
        db.session.flush()
        if empty:
            rows.extend(dict(row) for row in db.session.execute(select(Role.__table__)).mappings())
    db.session.commit()


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    shared_app: Flask,
    role_rows: list[dict[str, Any]],
) -> Iterator[Flask]:
    """The app with empty tables, empty Redis, its own media folder and config.

    `@pytest.mark.settings(KEY=value)` (config of its own) or `@pytest.mark.fresh_app`
    (the test adds routes) builds a new app on the same database for that test."""
    settings: dict[str, Any] = {}
    for marker in request.node.iter_markers("settings"):
        settings.update(marker.kwargs)
    fresh = bool(settings) or request.node.get_closest_marker("fresh_app") is not None
    if fresh:
        settings["SQLALCHEMY_DATABASE_URI"] = shared_app.config["SQLALCHEMY_DATABASE_URI"]
        app = build_app(tmp_path, settings)
    else:
        app = shared_app
        app.extensions["tests_state"].restore()  # an app built since then changed them
    config, extensions = dict(app.config), dict(app.extensions)
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    app.extensions.pop("gallery_storage", None)  # built again on the media folder above
    caching.init_app(app)  # a closed breaker
    app.extensions["gallery_shells"].pages.clear()  # no member layout of an earlier test
    with app.app_context():
        redis_store.client.flushdb()
        limiter.reset()
        clear_leftovers()
        put_roles_back(role_rows)
        try:
            yield app
        finally:
            db.session.remove()
            empty_tables()
            redis_store.client.flushdb()
            getattr(app.extensions["mailman"], "outbox", []).clear()
            if fresh:
                db.engine.dispose()
    app.config.clear()
    app.config.update(config)
    app.extensions.clear()
    app.extensions.update(extensions)


@pytest.fixture
def kodo() -> Iterator[KodoEmulator]:
    """A local Kodo (Qiniu storage) emulator that checks the SDK's signatures."""
    emulator = KodoEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Any:
    """make_user("alice", roles=["member"], confirmed=True) → a committed User."""
    return create_user


@pytest.fixture
def alice(app: Flask) -> User:
    """A confirmed member named alice (password 'password-alice'), not logged in."""
    return create_user("alice")


@pytest.fixture
def moderator(app: Flask) -> User:
    """A confirmed moderator named mod (password 'password-mod'), not logged in."""
    return create_user("mod", roles=("moderator",))


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def pytest_sessionstart(session: pytest.Session) -> None:
    """With service URLs set, unreachable services end the run at once."""
    if DATABASE_URL:
        try:
            create_database()  # this xdist worker's own database
            with create_engine(DATABASE_URL).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_DATABASE_URL is set but unreachable: {error}", returncode=3)
    if REDIS_URL:
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_REDIS_URL is set but unreachable: {error}", returncode=3)
