"""What a caption says: its #tags and its search terms, stored in step with it.

Called by the two service functions that write captions: media.ingest (create)
and moderation.actions.edit_image (edit). Nothing here commits.

Words: Latin (and other non-CJK) words are case-folded whole words. CJK text has
no spaces, so each run of CJK characters gives its single characters and its
bigrams; a query's CJK run is looked up by its bigrams (or its one character),
so a 2-character Chinese word is a single exact term on SQLite and MariaDB alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select

from gallery.extensions import db
from gallery.models import Image, ImageTag, SearchTerm, Tag

TAG_PATTERN = re.compile(r"(?<![\w&#])#([^\W_][\w]*)")
TAG_MAX = 64
TAGS_PER_IMAGE = 20
TERM_MAX = 64
TERMS_PER_IMAGE = 400
WORD_PATTERN = re.compile(r"[^\W_]+")
CJK_PATTERN = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)")
TAG_WEIGHT = 2
TEXT_WEIGHT = 1


def normalise_tag(name: str) -> str | None:
    """A tag as stored: case-folded, without '#', at most 64 characters; None when
    it is not a tag (empty or only digits)."""
    name = name.strip().lstrip("#").casefold()[:TAG_MAX]
    if not name or not WORD_PATTERN.fullmatch(name.replace("_", "a")) or name.isdigit():
        return None
    return name


def parse_tags(caption: str) -> list[str]:
    """The distinct #tags of a caption, in order of appearance (at most 20)."""
    found: list[str] = []
    for match in TAG_PATTERN.finditer(caption or ""):
        name = normalise_tag(match.group(1))
        if name and name not in found:
            found.append(name)
    return found[:TAGS_PER_IMAGE]


def caption_parts(caption: str) -> list[tuple[str, str | None]]:
    """A caption split into (text, tag) pieces: tag is the stored name for a #tag
    (the template makes it a link), None for plain text. Nothing is HTML."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for match in TAG_PATTERN.finditer(caption or ""):
        name = normalise_tag(match.group(1))
        if name is None:
            continue
        if match.start() > position:
            parts.append((caption[position : match.start()], None))
        parts.append((match.group(0), name))
        position = match.end()
    if position < len(caption or ""):
        parts.append((caption[position:], None))
    return parts


def words_of(text: str) -> list[tuple[str, bool]]:
    """Case-folded (segment, is_cjk) pieces of a text, in order."""
    pieces: list[tuple[str, bool]] = []
    for word in WORD_PATTERN.findall((text or "").casefold()):
        for index, segment in enumerate(CJK_PATTERN.split(word)):
            if segment:
                pieces.append((segment, index % 2 == 1))
    return pieces


def index_terms(text: str) -> set[str]:
    """Every term a text is indexed under: its words, and each CJK run's characters
    and bigrams."""
    terms: set[str] = set()
    for segment, cjk in words_of(text):
        if not cjk:
            terms.add(segment[:TERM_MAX])
            continue
        terms.update(segment)
        terms.update(segment[i : i + 2] for i in range(len(segment) - 1))
    return terms


def query_terms(text: str) -> list[str]:
    """The terms a query needs, all of them: words, and each CJK run's bigrams (or its
    one character)."""
    terms: list[str] = []
    for segment, cjk in words_of(text):
        if not cjk:
            wanted = [segment[:TERM_MAX]]
        elif len(segment) == 1:
            wanted = [segment]
        else:
            wanted = [segment[i : i + 2] for i in range(len(segment) - 1)]
        terms.extend(term for term in wanted if term not in terms)
    return terms[:8]


def find_or_create_tags(names: Iterable[str]) -> list[Tag]:
    """The Tag rows of these names, creating the missing ones (one select, one insert)."""
    names = list(dict.fromkeys(names))
    if not names:
        return []
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            tag = Tag(name=name)
            db.session.add(tag)
            existing[name] = tag
    db.session.flush()
    return [existing[name] for name in names]


def index_image(image: Image) -> list[str]:
    """Store the image's tags and search terms from its caption (replacing the old
    ones); returns the tag names. The caller commits."""
    names = parse_tags(image.caption)
    tags = find_or_create_tags(names)
    db.session.execute(delete(ImageTag).where(ImageTag.image_id == image.id))
    db.session.execute(delete(SearchTerm).where(SearchTerm.image_id == image.id))
    for tag in tags:
        db.session.add(ImageTag(image_id=image.id, tag_id=tag.id, created_at=image.created_at))
    weights: dict[str, int] = {}
    for term in index_terms(" ".join(names)):
        weights[term] = TAG_WEIGHT
    for term in index_terms(image.caption):
        weights.setdefault(term, TEXT_WEIGHT)
    rows = [
        {"term": term, "image_id": image.id, "weight": weight}
        for term, weight in list(weights.items())[:TERMS_PER_IMAGE]
    ]
    if rows:
        db.session.execute(SearchTerm.__table__.insert(), rows)
    return names
