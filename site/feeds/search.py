"""Search over captions, tags and usernames, in Chinese and English.

Images: every query term must be in the image's index (gallery.media.captions); the
first term drives an index range on search_term(term, weight, image_id) and the
others are primary-key look-ups, so a page costs one statement whatever the size
of the table. Ranked by weight (the words are one of its tags before caption
text), then newest first; keyset-paged on (weight, image_id). Hidden images are
never found (joined on status).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.feeds.cards import with_authors
from gallery.feeds.latest import DEFAULT_LIMIT, Page, latest_page, profile_page
from gallery.media.captions import WORD_PATTERN, normalise_tag, query_terms, words_of
from gallery.models import VISIBLE, Image, SearchTerm, Tag, User

SEARCH_TYPES = ("images", "tags", "users")
QUERY_MAX = 100
BAD_SEARCH_CURSOR = _l("That cursor is not valid; start again from the first page.")
BAD_QUERY = _l("Type a word to search for.")
BAD_TYPE = _l("type must be images, tags or users.")


def clean_query(q: str | None) -> str:
    """The query text (trimmed, at most 100 characters); empty is a 400."""
    text = (q or "").strip()[:QUERY_MAX]
    if not WORD_PATTERN.search(text):
        raise BadRequest(BAD_QUERY, code="bad_query")
    return text


def clean_type(value: str | None) -> str:
    if not value:
        return "images"
    if value not in SEARCH_TYPES:
        raise BadRequest(BAD_TYPE, code="bad_type")
    return value


def encode_rank_cursor(rank: int, item_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{rank}|{item_id}".encode()).decode().rstrip("=")


def decode_rank_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, item_id = raw.split("|")
        if not rank.startswith("r") or not rank[1:].isdigit() or not item_id.isdigit():
            raise ValueError(raw)
        return int(rank[1:]), int(item_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(BAD_SEARCH_CURSOR, code="bad_cursor") from error


def search_images(q: str, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Visible images holding every term of `q`, best first."""
    terms = query_terms(clean_query(q))
    if not terms:
        return Page([])
    driver = SearchTerm.__table__.alias("hit")
    statement = (
        select(driver.c.image_id, driver.c.weight)
        .join(Image, Image.id == driver.c.image_id)
        .where(driver.c.term == terms[0], Image.status == VISIBLE)
        .order_by(driver.c.weight.desc(), driver.c.image_id.desc())
    )
    for term in terms[1:]:
        other = SearchTerm.__table__.alias()
        statement = statement.where(
            exists().where(other.c.term == term, other.c.image_id == driver.c.image_id)
        )
    if cursor:
        weight, last_id = decode_rank_cursor(cursor)
        statement = statement.where(
            or_(
                driver.c.weight < weight,
                and_(driver.c.weight == weight, driver.c.image_id < last_id),
            )
        )
    rows = db.session.execute(statement.limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_rank_cursor(rows[-1].weight, rows[-1].image_id)
    found = {
        image.id: image
        for image in db.session.scalars(
            with_authors(select(Image).where(Image.id.in_([row.image_id for row in rows])))
        ).unique()
    }
    return Page([found[row.image_id] for row in rows if row.image_id in found], next_cursor)


def search_pickable(q: str | None, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Visible images a moderator may pick: the newest when `q` is empty; the images of
    the member named `q` ("alice" or "@alice"); else the images whose caption or tags
    hold every word of `q`. Each kind keeps its own cursor."""
    text = (q or "").strip()[:QUERY_MAX]
    if not text:
        return latest_page(cursor, limit)
    name = text.lstrip("@")
    author = db.session.scalar(select(User).where(User.username == name)) if name else None
    if author is not None:
        return profile_page(author, cursor, limit)
    if text.startswith("@"):
        return Page([])
    return search_images(text, cursor, limit)


def _prefix_like(column: Any, text: str) -> Any:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def _name_page(
    statement: Any, name: Any, ident: Any, cursor: str | None, limit: int, exact: str
) -> tuple[list[Any], str | None]:
    """Names starting with the query: the exact match first (rank 0), then by id."""
    rank_exact = 0
    statement = statement.order_by((name != exact).asc(), ident.asc())
    if cursor:
        rank, last_id = decode_rank_cursor(cursor)
        rank_exact = rank
        if rank == 0:
            statement = statement.where(or_(name != exact, ident > last_id))
        else:
            statement = statement.where(name != exact, ident > last_id)
    rows = list(db.session.scalars(statement.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        rank_exact = 0 if getattr(last, name.key) == exact else 1
        next_cursor = encode_rank_cursor(rank_exact, last.id)
    return rows, next_cursor


def search_tags(q: str, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Tags starting with the query (case-folded, '#' ignored), the exact one first."""
    text = normalise_tag(clean_query(q).split()[0]) or ""
    if not text:
        return Page([])
    rows, next_cursor = _name_page(
        select(Tag).where(_prefix_like(Tag.name, text)), Tag.name, Tag.id, cursor, limit, text
    )
    return Page(rows, next_cursor)


def search_users(q: str, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """Active members whose username starts with the query, the exact one first."""
    text = clean_query(q).split()[0].lstrip("@")
    rows, next_cursor = _name_page(
        select(User).where(_prefix_like(User.username, text), User.active.is_(True)),
        User.username,
        User.id,
        cursor,
        limit,
        text,
    )
    return Page(rows, next_cursor)


def highlight(text: str, q: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, matched) pairs for the words of `q` (case-insensitive),
    so templates and scripts can mark the matches without producing HTML."""
    words = sorted({segment for segment, _cjk in words_of(q)}, key=len, reverse=True)
    if not text or not words:
        return [(text or "", False)]
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(0), True))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces
