"""Fixtures: app, client, runner, auth, users; SQLite + stand-in Redis by default,
MariaDB + real Redis when GALLERY_TEST_DATABASE_URL / GALLERY_TEST_REDIS_URL are set.
Helpers live in tests/support/; import them from there, never from this file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from gallery import create_app
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.models import User
from gallery.roles import sync_roles
from tests.support.auth import AuthActions
from tests.support.environment import (
    DATABASE_URL,
    FROZEN_NOW,
    REDIS_URL,
    base_config,
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


@pytest.fixture
def app(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """A fresh app with empty tables; `@pytest.mark.settings(KEY=value)` adds config."""
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    for marker in request.node.iter_markers("settings"):
        config.update(marker.kwargs)
    app = create_app(config)
    with app.app_context():
        if DATABASE_URL:
            db.drop_all()
        db.create_all()
        redis_store.client.flushdb()
        sync_roles()
        db.session.commit()
        yield app
        db.session.remove()
        if DATABASE_URL:
            empty_tables()
        redis_store.client.flushdb()
        db.engine.dispose()


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
            with create_engine(DATABASE_URL).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_DATABASE_URL is set but unreachable: {error}", returncode=3)
    if REDIS_URL:
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_REDIS_URL is set but unreachable: {error}", returncode=3)
