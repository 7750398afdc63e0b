"""The test environment: which database and Redis, the testing config, the frozen clock."""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fakeredis
import pytest
from jinja2 import BytecodeCache, Undefined
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, make_url, text

from gallery.extensions import db

#: "gw0", "gw1", … in a pytest-xdist worker, "" without xdist
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def for_this_worker(database_url: str | None, redis_url: str | None) -> tuple[str | None, ...]:
    """Each xdist worker gets its own database (`<name>_gwN`) and Redis db (`<index> + N`)."""
    if not WORKER:
        return database_url, redis_url
    number = int(WORKER.removeprefix("gw"))
    if database_url:
        url = make_url(database_url)
        if url.database and not url.drivername.startswith("sqlite"):
            database_url = url.set(database=f"{url.database}_{WORKER}").render_as_string(
                hide_password=False
            )
    if redis_url:
        url_parts = urlsplit(redis_url)
        index = int(url_parts.path.strip("/") or 0)
        redis_url = urlunsplit(url_parts._replace(path=f"/{(index + number) % 16}"))
    return database_url, redis_url


#: the MariaDB and Redis the suite runs on (None: a SQLite file and the in-process stand-in)
DATABASE_URL, REDIS_URL = for_this_worker(
    os.environ.get("GALLERY_TEST_DATABASE_URL"), os.environ.get("GALLERY_TEST_REDIS_URL")
)
REQUIRE_ALL = os.environ.get("GALLERY_TEST_REQUIRE_ALL") == "1"

ROOT = Path(__file__).resolve().parents[2]
OUR_TEMPLATES = str(ROOT / "templates") + "/"

#: every test runs on this clock (ticking from here), never on the real date
FROZEN_NOW = dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)


def _in_our_template() -> bool:
    """Whether the nearest template on the stack is one of ours (templates/), not a
    library's: Bootstrap-Flask's and Flask-Admin's templates rely on lenient undefineds."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.endswith((".html", ".txt")):
            return filename.startswith(OUR_TEMPLATES)
        frame = frame.f_back
    return False


def _strict(lenient: Callable[..., Any]) -> Callable[..., Any]:
    """An Undefined method that fails in our templates and is lenient in a library's."""

    def method(self: Undefined, *args: Any) -> Any:
        if _in_our_template():
            self._fail_with_undefined_error()
        return lenient(self, *args)

    return method


class StrictTemplateUndefined(Undefined):
    """StrictUndefined for our templates: printing, iterating, comparing or testing
    the truth of an undefined name fails there, so a template typo fails its test."""

    __slots__ = ()
    __iter__ = _strict(Undefined.__iter__)
    __str__ = _strict(Undefined.__str__)
    __len__ = _strict(Undefined.__len__)
    __eq__ = _strict(Undefined.__eq__)
    __ne__ = _strict(Undefined.__ne__)
    __bool__ = _strict(Undefined.__bool__)
    __hash__ = _strict(Undefined.__hash__)
    __contains__ = _strict(lambda self, item: False)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole session: an app built for one test (settings of
    its own) loads them instead of compiling each template again. A bucket holds the
    template source's checksum, so a changed template is compiled anew."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


#: one per test process (each xdist worker has its own)
TEMPLATE_CODE = SharedTemplateCode()


def base_config(tmp_path: Any) -> dict[str, Any]:
    """The testing config plus per-test folders and the chosen backends."""
    config = {
        k: v for k, v in runpy.run_path(str(ROOT / "config" / "testing.py")).items() if k.isupper()
    }
    config["MEDIA_ROOT"] = str(tmp_path / "media")
    config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL or f"sqlite:///{tmp_path}/test.sqlite3"
    config["REDIS_URL"] = REDIS_URL
    return config


def create_database() -> None:
    """Create this worker's MariaDB database when it does not exist yet."""
    if not DATABASE_URL or not DATABASE_URL.startswith("mysql"):
        return
    url = make_url(DATABASE_URL)
    engine = create_engine(url.set(database=""))
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    f"CREATE DATABASE IF NOT EXISTS `{url.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
    finally:
        engine.dispose()


def empty_tables() -> None:
    """Delete every row of every table, and start the ids at 1 again.

    MariaDB: TRUNCATE (which also resets AUTO_INCREMENT) only the tables that had
    rows inserted, with foreign key checks off; SQLite: DELETE, and forget the
    AUTOINCREMENT counters."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "mysql":
            counters = dict(
                connection.execute(
                    text(
                        "SELECT table_name, auto_increment FROM information_schema.tables "
                        "WHERE table_schema = DATABASE()"
                    )
                ).all()
            )
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in db.metadata.sorted_tables:
                counter = counters.get(table.name)
                if counter is None:
                    connection.execute(table.delete())
                elif counter > 1:
                    connection.execute(text(f"TRUNCATE TABLE `{table.name}`"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
            return
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        has_sequences = connection.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).first()
        if has_sequences:
            connection.execute(text("DELETE FROM sqlite_sequence"))


def clear_leftovers() -> list[str]:
    """MariaDB: empty the tables that hold a row although the last test emptied them
    (CI runs found a user left there twice, and the next test's fixture failed as a
    duplicate: a table whose AUTO_INCREMENT still read 1, which empty_tables skips, or a
    late writer; not found yet). One query when all are empty; returns the names of
    the tables it emptied."""
    with db.engine.begin() as connection:
        if connection.dialect.name != "mysql":
            return []
        probe = " UNION ALL ".join(
            f"(SELECT '{table.name}' FROM `{table.name}` LIMIT 1)"
            for table in db.metadata.sorted_tables
        )
        holding = sorted(set(connection.execute(text(probe)).scalars()))
        if holding:
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for name in holding:
                connection.execute(text(f"TRUNCATE TABLE `{name}`"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        return holding


def require_service(reason: str) -> None:
    """Skip a test whose service is missing, except in CI where that is a failure."""
    if REQUIRE_ALL:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def let_redis_keys_expire(client: Any, seconds: float) -> None:
    """After the test clock moved on by `seconds`: drop the keys whose time to live ran
    out, as the Redis server would. The stand-in (fakeredis) reads the shifted clock
    itself; a real server keeps its own clock, so its keys are expired here."""
    if isinstance(client, fakeredis.FakeRedis):
        return
    for key in client.scan_iter():
        left = client.pttl(key)
        if 0 <= left <= seconds * 1000:
            client.delete(key)
