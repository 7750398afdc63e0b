"""Helpers shared by the feeds, pages, API, hot, picks, views and cache tests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from gallery.extensions import db
from gallery.models import Image, User, utcnow
from tests.support.factories import create_image


def make_images(
    author: User,
    count: int,
    *,
    start: dt.datetime | None = None,
    step: dt.timedelta = dt.timedelta(seconds=1),
    **fields: Any,
) -> list[Image]:
    """`count` images `step` apart (newest last), committed."""
    start = start or utcnow() - dt.timedelta(hours=1)
    return [
        create_image(author, created_at=start + step * i, caption=f"caption {i}", **fields)
        for i in range(count)
    ]


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Record every SQL statement run on the app's engine."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def ids(response: Any) -> list[int]:
    """The item ids of a JSON feed answer, in order."""
    return [item["id"] for item in response.get_json()["items"]]


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def card_ids(page: str) -> list[int]:
    """The ids of the cards on a page, in order (the <template> skeleton excluded)."""
    page = page.split('<template id="card-template">')[0]
    return [int(x) for x in re.findall(r'<article class="g-card" data-id="(\d+)"', page)]


def feed_ids(page: str) -> list[int]:
    """The card ids of the latest feed on /, after the picks pinned on top."""
    return card_ids(page.split('id="latest-heading"')[1])
