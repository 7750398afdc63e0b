"""The public JSON API of DESIGN.md §5 (feeds, cards, comments, likes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_security import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from gallery.caching.pagecache import visitor_cached
from gallery.errors import BadRequest, NotFound
from gallery.extensions import db, limiter
from gallery.feeds import latest as feeds
from gallery.feeds import picks as picks_service
from gallery.feeds.cards import cards, comment_json
from gallery.formats import parse_day
from gallery.limits import config_limit, per_member
from gallery.models import User, today
from gallery.public.api_docs import PAGE, documented
from gallery.public.blueprints import api
from gallery.roles.access import check
from gallery.social import interactions


def page_json(page: feeds.Page) -> dict[str, Any]:
    return {"items": cards(page.images), "next_cursor": page.next_cursor}


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(_("There is no such member."))
    return user


def parse_date(value: str | None) -> dt.date:
    """YYYY-MM-DD, today (UTC) when empty; anything else is a 400."""
    if not value:
        return today()
    day = parse_day(value)
    if day is None:
        raise BadRequest(_("date must look like 2026-11-27."), code="bad_date")
    return day


@api.get("/csrf-token")
def csrf_token() -> Any:
    """A CSRF token for a page served without one (cacheable visitor pages); it starts
    the session, so it is fetched only when the visitor acts."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/images")
@visitor_cached(shared=True)
@documented(query=PAGE)
def latest() -> Any:
    """The latest feed, newest first: {"items": [card…], "next_cursor"}; ?cursor=&limit= (1–50)."""
    limit = feeds.parse_limit(request.args.get("limit"))
    return jsonify(page_json(feeds.latest_page(request.args.get("cursor"), limit)))


@api.get("/users/<username>/images")
@visitor_cached(shared=True)
@documented(query=PAGE)
def profile(username: str) -> Any:
    """One member's images, newest first, in the feed shape; ?cursor=&limit=."""
    limit = feeds.parse_limit(request.args.get("limit"))
    user = find_user(username)
    return jsonify(page_json(feeds.profile_page(user, request.args.get("cursor"), limit)))


@api.get("/hot")
@visitor_cached(shared=True)
@documented(query={"limit": PAGE["limit"]})
def hot() -> Any:
    """Images by decayed hot score: {"items": [card…]}; ?limit=."""
    limit = feeds.parse_limit(request.args.get("limit"))
    return jsonify({"items": cards(feeds.hot_images(limit))})


@api.get("/picks")
@visitor_cached(shared=True)
@documented(query={"date": ("string", "a day as YYYY-MM-DD; today without one")})
def picks() -> Any:
    """A date's picks: {"date", "items": [card…]}; ?date=YYYY-MM-DD, today without one."""
    date = parse_date(request.args.get("date"))
    images = picks_service.picks_for(date)
    return jsonify({"date": date.isoformat(), "items": cards(images)})


@api.get("/images/<int:image_id>")
@visitor_cached()
def image_card(image_id: int) -> Any:
    """One image as a card."""
    return jsonify(cards([interactions.image_for_viewer(image_id)])[0])


@api.get("/images/<int:image_id>/comments")
@visitor_cached()
@documented(query=PAGE)
def comments(image_id: int) -> Any:
    """An image's comments, oldest first: {"items": [comment…], "next_cursor"}."""
    limit = feeds.parse_limit(request.args.get("limit"))
    image = interactions.image_for_viewer(image_id)
    page = interactions.comments_page(image, request.args.get("cursor"), limit)
    return jsonify({"items": [comment_json(c) for c in page], "next_cursor": page.next_cursor})


@api.post("/images/<int:image_id>/comments")
@limiter.limit(
    config_limit("COMMENT_RATE_LIMIT"),
    key_func=per_member,
    deduct_when=lambda r: r.status_code == 201,
)
@documented(body={"body": ("string", "the comment, 1–1000 characters")})
def add_comment(image_id: int) -> Any:
    """Comment on an image: body {"body": "…"} → 201 comment (member, confirmed)."""
    check("comment-create")
    image = interactions.visible_image(image_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest(_('Send JSON like {"body": "…"}.'), code="bad_comment")
    comment = interactions.create_comment(current_user, image, payload.get("body"))
    db.session.commit()
    return jsonify(comment_json(comment)), 201


@api.post("/images/<int:image_id>/like")
def like(image_id: int) -> Any:
    """Like an image → {"liked": true, "like_count": n}."""
    check("like")
    result = interactions.like(current_user, interactions.visible_image(image_id))
    db.session.commit()
    return jsonify(result)


@api.delete("/images/<int:image_id>/like")
def unlike(image_id: int) -> Any:
    """Take a like back → {"liked": false, "like_count": n}."""
    check("like")
    result = interactions.unlike(current_user, interactions.visible_image(image_id))
    db.session.commit()
    return jsonify(result)
