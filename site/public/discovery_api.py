"""The JSON API of discovery: tags, search, follows, the Following feed, notifications."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_security import current_user

from gallery.caching.pagecache import visitor_cached
from gallery.errors import BadRequest, NotLoggedIn
from gallery.extensions import db
from gallery.feeds import latest as feeds
from gallery.feeds import search
from gallery.feeds import tags as tag_feeds
from gallery.feeds.cards import author_json
from gallery.feeds.following import following_page
from gallery.public.api_docs import PAGE, documented
from gallery.public.api_views import find_user, page_json
from gallery.public.blueprints import api
from gallery.roles.access import check
from gallery.social import follows, notifications


def tag_json(tag: Any) -> dict[str, Any]:
    return {"name": tag.name, "url": f"/t/{tag.name}"}


@api.get("/tags/<tag>/images")
@visitor_cached(shared=True)
@documented(query=PAGE)
def tag_images(tag: str) -> Any:
    limit = feeds.parse_limit(request.args.get("limit"))
    found = tag_feeds.find_tag(tag)
    return jsonify(page_json(tag_feeds.tag_page(found, request.args.get("cursor"), limit)))


@api.get("/tags")
@visitor_cached(shared=True)
@documented(query={"prefix": ("string", "the first letters of a tag")})
def tag_suggestions() -> Any:
    """Autocomplete: {"items": [{"name", "count"}]} of tags starting with ?prefix=."""
    return jsonify({"items": tag_feeds.suggest_tags(request.args.get("prefix") or "")})


@api.get("/tags/trending")
@visitor_cached(shared=True)
def trending() -> Any:
    return jsonify({"items": tag_feeds.trending_tags()})


@api.get("/search")
@visitor_cached(shared=True)
@documented(
    query={
        "q": ("string", "words to find, Chinese or English"),
        "type": ("string", "images (default), tags or users"),
        **PAGE,
    }
)
def search_api() -> Any:
    """Ranked matches: images as a feed page (with "highlight": the query's words),
    tags as {"name", "url"}, members as {"username", "url"}."""
    limit = feeds.parse_limit(request.args.get("limit"))
    kind = search.clean_type(request.args.get("type"))
    q = search.clean_query(request.args.get("q"))
    cursor = request.args.get("cursor")
    if kind == "images":
        page = search.search_images(q, cursor, limit)
        body = page_json(page)
    elif kind == "tags":
        page = search.search_tags(q, cursor, limit)
        body = {"items": [tag_json(tag) for tag in page], "next_cursor": page.next_cursor}
    else:
        page = search.search_users(q, cursor, limit)
        body = {"items": [author_json(user) for user in page], "next_cursor": page.next_cursor}
    body["highlight"] = sorted({word for word, _cjk in search.words_of(q)})
    return jsonify(body)


@api.post("/users/<username>/follow")
def follow(username: str) -> Any:
    check("follow")
    result = follows.follow(current_user, find_user(username))
    db.session.commit()
    return jsonify(result)


@api.delete("/users/<username>/follow")
def unfollow(username: str) -> Any:
    check("follow")
    result = follows.unfollow(current_user, find_user(username))
    db.session.commit()
    return jsonify(result)


@api.get("/following")
@documented(query=PAGE)
def following() -> Any:
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    limit = feeds.parse_limit(request.args.get("limit"))
    return jsonify(page_json(following_page(current_user, request.args.get("cursor"), limit)))


@api.get("/notifications")
@documented(query=PAGE)
def notifications_api() -> Any:
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    limit = feeds.parse_limit(request.args.get("limit"))
    items, next_cursor = notifications.notifications_page(
        current_user, request.args.get("cursor"), limit
    )
    return jsonify(
        {
            "items": [notifications.notification_json(item) for item in items],
            "next_cursor": next_cursor,
            "unread": notifications.unread_count(current_user),
        }
    )


@api.post("/notifications/read")
@documented(body={"ids": ("array", "notification ids; all of them without it")})
def notifications_read() -> Any:
    """Mark all read, or only {"ids": [...]}: {"marked": n, "unread": n}."""
    if not current_user.is_authenticated:
        raise NotLoggedIn()
    payload = request.get_json(silent=True) or {}
    ids = payload.get("ids") if isinstance(payload, dict) else None
    if ids is not None and (
        not isinstance(ids, list) or not all(isinstance(i, int) and i > 0 for i in ids)
    ):
        raise BadRequest(_("ids must be a list of notification ids."), code="bad_ids")
    marked = notifications.mark_read(current_user, ids)
    db.session.commit()
    return jsonify({"marked": marked, "unread": notifications.unread_count(current_user)})
