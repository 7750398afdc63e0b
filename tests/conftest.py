"""Fixtures: app, client, runner, auth, users; SQLite + stand-in Redis by default,
MariaDB + real Redis when GALLERY_TEST_DATABASE_URL / GALLERY_TEST_REDIS_URL are set."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from gallery import create_app
from gallery.caching.kv import redis_store
from gallery.extensions import db

DATABASE_URL = os.environ.get("GALLERY_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("GALLERY_TEST_REDIS_URL")


def base_config(tmp_path: Any) -> dict[str, Any]:
    """The testing config plus per-test folders and the chosen backends."""
    import runpy
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = {
        k: v for k, v in runpy.run_path(str(root / "config" / "testing.py")).items() if k.isupper()
    }
    config["MEDIA_ROOT"] = str(tmp_path / "media")
    config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL or f"sqlite:///{tmp_path}/test.sqlite3"
    config["REDIS_URL"] = REDIS_URL
    return config


#: every test runs on this clock (ticking from here), never on the real date
FROZEN_NOW = dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[Any]:
    """Start each test's clock at FROZEN_NOW, so that no test depends on today's date."""
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
        from gallery.roles import sync_roles

        sync_roles()
        db.session.commit()
        yield app
        db.session.remove()
        if DATABASE_URL:
            _empty_tables()
        redis_store.client.flushdb()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
def kodo() -> Iterator[Any]:
    """A local Kodo (Qiniu storage) emulator that checks the SDK's signatures."""
    from tests.qiniu_emulator import KodoEmulator

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
    from tests.factories import create_user

    return create_user


class AuthActions:
    """Log in and out through the real forms (CSRF disabled only via the test token)."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def csrf_token(self) -> str:
        from tests.factories import csrf_token_from

        return csrf_token_from(self._client)

    def login(self, identity: str = "alice", password: str = "password-alice") -> Any:
        return self._client.post(
            "/login",
            data={"identity": identity, "password": password, "csrf_token": self.csrf_token()},
        )

    def logout(self) -> Any:
        return self._client.post("/logout", data={"csrf_token": self.csrf_token()})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


REQUIRE_ALL = os.environ.get("GALLERY_TEST_REQUIRE_ALL") == "1"


def require_service(reason: str) -> None:
    """Skip a test whose service is missing, except in CI where that is a failure."""
    if REQUIRE_ALL:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def pytest_sessionstart(session: pytest.Session) -> None:
    """With service URLs set, unreachable services end the run at once."""
    from sqlalchemy import create_engine

    if DATABASE_URL:
        try:
            with create_engine(DATABASE_URL).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_DATABASE_URL is set but unreachable: {error}", returncode=3)
    if REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"GALLERY_TEST_REDIS_URL is set but unreachable: {error}", returncode=3)
