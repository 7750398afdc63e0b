"""Feeds: cursors, keyset paging while images arrive, statement counts, query plans."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, text

from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.feeds import latest as feeds
from gallery.feeds.cards import cards
from gallery.models import VISIBLE, Image, utcnow
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import count_statements, ids, make_images


def test_cursor_round_trip_and_opacity():
    at = dt.datetime(2026, 11, 27, 9, 0, 0, 123456)
    cursor = feeds.encode_cursor(at, 42)
    assert "2026" not in cursor and "42" not in cursor
    assert feeds.decode_cursor(cursor) == (at, 42)


@pytest.mark.parametrize("cursor", ["", "!!!", "YWJj", "MTIzfDQ1fDY", "MjAyNi0xMS0yN3wwMDA"])
def test_decode_cursor_rejects_garbage(cursor):
    with pytest.raises(BadRequest):
        feeds.decode_cursor(cursor)


def test_pagination_has_no_duplicates_or_gaps_while_images_arrive(client):
    alice = create_user("alice")
    existing = make_images(alice, 23, start=utcnow() - dt.timedelta(hours=2))
    # images sharing one timestamp, so the id breaks the tie across a page boundary
    same = utcnow() - dt.timedelta(hours=3)
    twins = [create_image(alice, created_at=same) for _ in range(6)]
    expected = [image.id for image in reversed(existing)] + sorted(
        (image.id for image in twins), reverse=True
    )
    seen, cursor = [], None
    while True:
        query = "limit=5" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(f"/api/images?{query}")
        assert response.status_code == 200
        seen += ids(response)
        # new images arrive between page loads; they belong above the first page
        create_image(alice, created_at=utcnow())
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert len(seen) == len(set(seen))


def _seed_busy_feed(count: int) -> None:
    authors = [create_user(f"user{n}") for n in range(8)]
    start = utcnow() - dt.timedelta(days=1)
    for n in range(count):
        image = create_image(authors[n % 8], created_at=start + dt.timedelta(minutes=n))
        for k in range(4):
            create_comment(image, authors[(n + k + 1) % 8], f"comment {k}")


def test_feed_statement_count_is_constant_whatever_the_page_size(app, client, capsys):
    _seed_busy_feed(60)
    counts = {}
    for limit in (10, 20, 50):
        db.session.expire_all()
        with count_statements() as statements:
            response = client.get(f"/api/images?limit={limit}")
        assert response.status_code == 200
        items = response.get_json()["items"]
        assert len(items) == limit
        assert all(len(item["comments"]) == 3 for item in items)
        assert all(item["author"]["username"].startswith("user") for item in items)
        counts[limit] = len(statements)
    with capsys.disabled():
        print(f"\n/api/images statements per page size: {counts}")
    assert counts[10] == counts[20] == counts[50] <= 3


def test_service_statement_count_for_feed_and_cards(app):
    _seed_busy_feed(30)
    for limit in (10, 20, 30):
        db.session.expire_all()
        db.session.remove()
        with count_statements() as statements:
            page = feeds.latest_page(None, limit)
            result = cards(page.images)
        assert len(result) == limit
        assert len(statements) == 2, statements  # images+authors, comments+authors


def _plan(statement) -> str:
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return " | ".join(str(row[-1]) for row in rows)
    rows = db.session.execute(text("EXPLAIN " + sql)).mappings().all()
    return " | ".join(f"{r['type']} {r['key']} {r['Extra']}" for r in rows)


@pytest.mark.parametrize(
    ("index", "profile"), [("ix_image_feed", False), ("ix_image_profile", True)]
)
def test_keyset_query_seeks_on_the_index(app, index, profile):
    alice = create_user("alice")
    make_images(alice, 40)
    if db.engine.dialect.name == "mysql":
        db.session.execute(text("ANALYZE TABLE image"))
    last = db.session.scalars(select(Image).order_by(Image.id.desc()).offset(20)).first()
    statement = select(Image.id).where(Image.status == VISIBLE)
    if profile:
        statement = statement.where(Image.user_id == alice.id)
    cursor = feeds.encode_cursor(last.created_at, last.id)
    plan = _plan(feeds.keyset(statement, cursor, Image.created_at, Image.id, True).limit(21))
    assert index in plan, plan
    if db.engine.dialect.name == "sqlite":
        assert "SEARCH" in plan and "created_at<" in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert plan.startswith("range") and "filesort" not in plan, plan


def test_hot_statement_count_is_constant_whatever_the_limit(app, client, capsys):
    from gallery.feeds import hot

    _seed_busy_feed(60)
    hot.rebuild_hot()
    db.session.commit()
    client.get("/api/hot?limit=1")  # fills the cached id list
    counts = {}
    for limit in (10, 20, 50):
        db.session.expire_all()
        with count_statements() as statements:
            items = client.get(f"/api/hot?limit={limit}").get_json()["items"]
        assert len(items) == limit
        counts[limit] = len(statements)
    with capsys.disabled():
        print(f"\n/api/hot statements per page size: {counts}")
    assert counts[10] == counts[20] == counts[50] <= 2


SECRET_COLUMNS = ("password", "tf_totp_secret", "tf_recovery_codes", "us_totp_secrets", "email")


@pytest.mark.parametrize("path", ["/api/images", "/api/hot", "/", "/images/{id}"])
def test_card_queries_select_only_the_user_columns_a_card_shows(app, path):
    """Never the password hash, two-factor secrets or recovery codes (issue 15)."""
    _seed_busy_feed(6)
    image_id = db.session.scalar(select(Image.id).limit(1))
    db.session.remove()
    with count_statements() as statements:
        response = app.test_client().get(path.format(id=image_id))
    assert response.status_code == 200
    user_column = re.compile(r"(`user(_\d+)?`|\"user(_\d+)?\"|\buser(_\d+)?)\.`?(\w+)")
    selected = {
        match[-1]
        for statement in statements
        for match in user_column.findall(statement.lower().split("\nfrom ")[0])
    }
    assert "username" in selected  # the authors were loaded
    assert not selected & set(SECRET_COLUMNS), selected
