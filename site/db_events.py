"""Connection settings per database: foreign keys and WAL on SQLite."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from gallery.extensions import db


def init_app(app: Flask) -> None:
    """Attach the SQLite pragmas to the app's engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL cannot corrupt the file; a commit no longer waits for the disk
    # (fsync), only a checkpoint does (a power cut may lose the last commits, not the file).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
