"""HTML pages: home, hot, picks, image page, profiles, shop redirect, language switch.

Views parse the request, call the feeds/cards/moderation services and render.
The visitor versions of / and /hot carry nothing per user, so the page cache
(gallery.caching.pagecache) may keep them whole.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale, get_timezone
from flask_babel import gettext as _
from flask_security import current_user

from gallery.accounts import profiles
from gallery.albums import service as album_service
from gallery.caching.pagecache import cached_page, is_visitor, shared_content, visitor_cached
from gallery.errors import NotFound
from gallery.extensions import db, security
from gallery.feeds import cards
from gallery.feeds import latest as feeds
from gallery.feeds import picks as picks_service
from gallery.feeds import tags as tag_feeds
from gallery.formats import parse_day
from gallery.media.avatars import avatar_url
from gallery.models import REPORT_REASONS, User, today
from gallery.moderation import actions as moderation
from gallery.moderation import owner
from gallery.public import albums as album_views
from gallery.public.blueprints import bp
from gallery.public.layout import layout_viewer
from gallery.roles import can, permission_required
from gallery.social import follows, interactions
from gallery.urls import safe_next

FEED_PAGE_SIZE = 20
HOT_PAGE_SIZE = 40
COMMENT_PAGE_SIZE = 20


# ---------------------------------------------------------------- helpers


def active_user(username: str) -> User:
    """An active user by username, else NotFound (404)."""
    user = security.datastore.find_user(username=username)
    if user is None or not user.active:
        raise NotFound(_("There is no such member."))
    return user


def picks_date(value: str) -> dt.date:
    """A YYYY-MM-DD date that is not in the future, else NotFound (404)."""
    day = parse_day(value)
    if day is None or day > today():
        raise NotFound(_("There are no picks for that date; dates look like 2026-11-27."))
    return day


def cursor_arg() -> str | None:
    """The ?cursor= of a feed page (malformed ones are a 400 from the feed)."""
    return request.args.get("cursor") or None


# ---------------------------------------------------------------- feeds


@bp.get("/")
@visitor_cached()
def index():
    """Today's picks pinned on top (first page only), then the latest feed. Its content
    is the same for every member, so members get it from the cache too."""
    if not is_visitor():
        return shared_content("public/index.html", "content", home_context, layout_viewer())
    return render_template("public/index.html", **home_context())


def home_context() -> dict[str, Any]:
    page = feeds.latest_page(cursor_arg(), FEED_PAGE_SIZE)
    first_page = cursor_arg() is None
    picked = picks_service.picks_for(today()) if first_page else []
    # today's picks are pinned on top: the grid under them does not show them again
    picked_ids = {image.id for image in picked}
    latest = [image for image in page.images if image.id not in picked_ids]
    both = cards.cards([*picked, *latest])  # one hydration for both lists
    return {
        "picks": both[: len(picked)],
        "items": both[len(picked) :],
        "next_cursor": page.next_cursor,
        "first_page": first_page,
        "trending": tag_feeds.trending_tags() if first_page else [],
    }


@bp.get("/hot")
@visitor_cached()
def hot():
    """The hot ranking (views, comments and likes, decayed by age)."""
    return render_template(
        "public/hot.html",
        items=cards.cards(feeds.hot_images(HOT_PAGE_SIZE)),
        trending=tag_feeds.trending_tags(),
    )


@bp.get("/picks")
@visitor_cached()
def picks():
    """Today's picks; `?date=` (the date form) goes to that day's archive page."""
    if request.args.get("date"):
        day = picks_date(request.args["date"])
        return redirect(url_for("public.picks_on", day=day.isoformat()))
    return render_picks(today())


@bp.get("/picks/<day>")
@visitor_cached()
def picks_on(day: str):
    """The picks of one past day (the archive)."""
    return render_picks(picks_date(day))


def render_picks(day: dt.date) -> str:
    """The picks page of one day (today included)."""
    items = cards.cards(picks_service.picks_for(day))
    return render_template(
        "public/picks.html",
        day=day,
        items=items,
        previous_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1) if day < today() else None,
        is_today=day == today(),
        today_iso=today().isoformat(),
    )


@bp.get("/u/<username>")
@visitor_cached()
def profile(username: str):
    """One member's images, newest first, with infinite scroll."""
    user = active_user(username)
    page = feeds.profile_page(user, cursor_arg(), FEED_PAGE_SIZE)
    own = current_user.is_authenticated and current_user.id == user.id
    first_page = cursor_arg() is None
    summaries = album_service.profile_albums(user, include_unlisted=own) if first_page else []
    return render_template(
        "public/profile.html",
        follow_counts=follows.counts(user),
        is_following=follows.is_following(current_user, user),
        profile=user,
        own=own,
        stats=profiles.stats(user),
        avatar=avatar_url(user, "medium"),
        albums=[album_views.album_json(summary) for summary in summaries],
        items=cards.cards(page.images),
        next_cursor=page.next_cursor,
    )


# ---------------------------------------------------------------- one image


@bp.get("/images/<int:image_id>")
def image(image_id: int):
    """The image page: medium image, details, comments, like, report, moderation.

    A visitor's page is the same for every visitor but for its view count, so it is
    kept in the page cache with a placeholder for the count; each request still
    reads the image (it may have been hidden) and counts its view."""
    visitor = is_visitor()
    # the author (its card columns only) comes in the same statement
    image = owner.image_for(current_user, image_id, options=[cards.image_author()])
    views = feeds.views_with_this_one(image, request)
    if not visitor:
        return image_page(image, views)
    page = cached_page(lambda: image_page(image, VIEWS_PLACEHOLDER))
    return page.replace(VIEWS_PLACEHOLDER, str(views))


#: where the view count goes in a visitor's cached image page
VIEWS_PLACEHOLDER = "\x00views\x00"


def image_page(image: Any, views: int | str) -> str:
    comments = interactions.comments_page(
        image, request.args.get("cursor") or None, COMMENT_PAGE_SIZE
    )
    card = cards.card(image, comments=[], pending={})
    card["views"] = views  # the same sum the cards show, read before a flush could move it
    return render_template(
        "public/image.html",
        image=image,
        card=card,
        comments=[cards.comment_json(comment) for comment in comments],
        next_comments=comments.next_cursor,
        liked=interactions.has_liked(current_user, image),
        report_reasons=REPORT_REASONS,
        is_owner=owner.is_owner(current_user, image),
        undo_until=owner.undo_until(image),
        may_hide_comments=owner.is_owner(current_user, image) or can("comment-hide"),
        # asked once for the page, not once per comment
        viewer_name=current_user.username if current_user.is_authenticated else None,
        may_report=can("report"),
    )


@bp.post("/images/<int:image_id>/hide")
@permission_required("image-hide")
def hide(image_id: int):
    """Hide an image from every public view (the admin's hide, from the page)."""
    image = interactions.image_for_viewer(image_id)
    reason = (request.form.get("reason") or "").strip()[:255]
    if moderation.hide_image(image, current_user, "page", reason=reason):
        flash(_("The image is hidden. Visitors now get a 404; you can restore it here."), "info")
    db.session.commit()
    return redirect(url_for("public.image", image_id=image.id))


@bp.post("/images/<int:image_id>/restore")
@permission_required("image-hide")
def restore(image_id: int):
    """Make a hidden image public again."""
    image = interactions.image_for_viewer(image_id)
    if moderation.restore_image(image, current_user, "page"):
        flash(_("The image is public again."), "success")
    db.session.commit()
    return redirect(url_for("public.image", image_id=image.id))


@bp.get("/go/<int:image_id>")
def go(image_id: int):
    """Count a click on the shop link, then redirect to that image's stored URL only."""
    target = interactions.follow_shop_link(image_id)
    db.session.commit()
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---------------------------------------------------------------- language


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen UI language in a cookie and go back.

    A plain link (GET): it changes nothing on the server, only a whitelisted
    preference cookie, so it needs no CSRF token, and a token in the navbar would
    put a session on every visitor page and make those pages uncacheable.
    """
    response = make_response(redirect(safe_next(request.args.get("next"), url_for("public.index"))))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# ---------------------------------------------------------------- template helpers


@bp.app_template_filter("placeholder_colour")
def placeholder_colour(value: str | None) -> str:
    """A CSS colour for a card's reserved box: the colour itself, or a blurhash's
    average colour (its DC component), else a neutral grey."""
    if value and value.startswith("#") and len(value) in (4, 7) and _is_hex(value[1:]):
        return value
    if value and len(value) >= 6:
        try:
            rgb = _decode83(value[2:6])
        except ValueError:
            return "#d9dce1"
        return f"#{rgb:06x}"
    return "#d9dce1"


@bp.app_template_filter("card_date")
def card_date(value: str | dt.date | None) -> str:
    """An ISO timestamp (card JSON), date or datetime as a short date in the UI language."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = value.isoformat()
    return _card_date(value, str(get_locale()), str(get_timezone()))


@functools.lru_cache(maxsize=4096)
def _card_date(value: str, locale: str, timezone: str) -> str:
    """Babel's medium date, once per (timestamp, locale, zone): a feed page shows dozens."""
    try:
        moment = (
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if "T" in value or " " in value
            else dt.date.fromisoformat(value)
        )
    except ValueError:
        return ""
    return format_date(moment, "medium")


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)


_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _decode83(text: str) -> int:
    number = 0
    for ch in text:
        index = _BASE83.find(ch)
        if index < 0:
            raise ValueError(ch)
        number = number * 83 + index
    if number > 0xFFFFFF:
        raise ValueError(text)
    return number
