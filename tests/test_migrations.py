"""Migrations: `flask db upgrade` on an empty database gives exactly the models'
schema (SQLite, and MariaDB when GALLERY_TEST_DATABASE_URL is set), downgrades
cleanly, and text in utf8mb4 (emoji, rare CJK) round-trips."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from gallery import create_app
from gallery.extensions import db
from gallery.models import Comment, Image
from tests.support.environment import DATABASE_URL, base_config
from tests.support.factories import create_comment, create_image, create_user

EMOJI = "Sunset 🌅 over 𠀀 the bay 👍🏽 — café"


def make_app(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> Flask:
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(config)


def drop_everything() -> None:
    """Remove every table, Alembic's included (the database is the test suite's own)."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def schema_differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


@pytest.fixture(params=["sqlite", "mariadb"])
def migrated_app(request, tmp_path, monkeypatch) -> Iterator[Flask]:
    """An app whose empty database was brought up with `flask db upgrade`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/migrated.sqlite3"
    else:
        if not DATABASE_URL or not DATABASE_URL.startswith("mysql"):
            # not a missing service: the suite's MariaDB run (GALLERY_TEST_DATABASE_URL) covers it
            pytest.skip("MariaDB case runs when GALLERY_TEST_DATABASE_URL is a MariaDB URL")
        url = DATABASE_URL
    app = make_app(tmp_path, monkeypatch, url)
    with app.app_context():
        drop_everything()
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        try:
            yield app
        finally:
            db.session.remove()
            drop_everything()
            if url == DATABASE_URL:
                db.create_all()  # the suite's database: the shared app's tables again
            db.engine.dispose()


def test_upgrade_gives_the_models_schema(migrated_app):
    tables = set(inspect(db.engine).get_table_names())
    missing = set(db.metadata.tables) - tables
    differences = schema_differences()
    assert not missing and differences == [], (
        "models.py and migrations/versions/ differ: regenerate the migration (on an empty "
        "database: flask db upgrade, then flask db migrate; keep drop_index out of downgrade "
        f"for MariaDB). Missing tables: {sorted(missing)}; other differences: {differences}"
    )


def test_flask_db_check_agrees(migrated_app):
    result = migrated_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_base_and_up_again(migrated_app):
    runner = migrated_app.test_cli_runner()
    upgraded = set(inspect(db.engine).get_table_names())
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert set(inspect(db.engine).get_table_names()) == upgraded


def test_utf8mb4_round_trip_on_migrated_tables(migrated_app):
    author = create_user("emoji", roles=())  # no roles: the migrated database is empty
    image = create_image(author, caption=EMOJI)
    comment = create_comment(image, author, body=f"{EMOJI} 😀")
    image_id, comment_id = image.id, comment.id
    db.session.remove()
    assert db.session.scalar(select(Image.caption).where(Image.id == image_id)) == EMOJI
    assert db.session.scalar(select(Comment.body).where(Comment.id == comment_id)) == f"{EMOJI} 😀"
    if db.engine.dialect.name == "mysql":
        rows = db.session.execute(
            text(
                "SELECT table_name, table_collation FROM information_schema.tables "
                "WHERE table_schema = DATABASE()"
            )
        ).all()
        assert rows and all(collation.startswith("utf8mb4") for _, collation in rows), rows


def test_emoji_round_trip_on_the_test_backend(app):
    """The same on whatever backend the suite runs on (MariaDB in CI's second run)."""
    author = create_user("emoji")
    image = create_image(author, caption=EMOJI)
    comment = create_comment(image, author, body="🎉🎉🎉")
    image_id, comment_id = image.id, comment.id
    db.session.remove()
    # read these very rows back (a CI run found another test's image in the table)
    assert db.session.scalar(select(Image.caption).where(Image.id == image_id)) == EMOJI
    assert db.session.scalar(select(Comment.body).where(Comment.id == comment_id)) == "🎉🎉🎉"
