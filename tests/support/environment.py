"""The test environment: which database and Redis, the testing config, the frozen clock."""

from __future__ import annotations

import datetime as dt
import os
import runpy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from gallery.extensions import db

DATABASE_URL = os.environ.get("GALLERY_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("GALLERY_TEST_REDIS_URL")
REQUIRE_ALL = os.environ.get("GALLERY_TEST_REQUIRE_ALL") == "1"

ROOT = Path(__file__).resolve().parents[2]

#: every test runs on this clock (ticking from here), never on the real date
FROZEN_NOW = dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)


def base_config(tmp_path: Any) -> dict[str, Any]:
    """The testing config plus per-test folders and the chosen backends."""
    config = {
        k: v for k, v in runpy.run_path(str(ROOT / "config" / "testing.py")).items() if k.isupper()
    }
    config["MEDIA_ROOT"] = str(tmp_path / "media")
    config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL or f"sqlite:///{tmp_path}/test.sqlite3"
    config["REDIS_URL"] = REDIS_URL
    return config


def empty_tables() -> None:
    """Delete every row of every table (MariaDB: with foreign key checks off)."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))


def require_service(reason: str) -> None:
    """Skip a test whose service is missing, except in CI where that is a failure."""
    if REQUIRE_ALL:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)
