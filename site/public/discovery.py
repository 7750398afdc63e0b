"""Discovery pages: tag pages, search, the Following tab, notifications, follow counts."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_security import current_user

from gallery.caching.pagecache import visitor_cached
from gallery.extensions import db
from gallery.feeds import cards, search
from gallery.feeds import tags as tag_feeds
from gallery.feeds.following import following_page
from gallery.media.captions import caption_parts
from gallery.moderation.actions import audit
from gallery.public.blueprints import bp
from gallery.public.layout import unread_notifications
from gallery.public.pages import FEED_PAGE_SIZE, cursor_arg
from gallery.roles import can, permission_required
from gallery.social import notifications

NOTIFICATION_PAGE_SIZE = 30


def login_first() -> Any:
    """Send a visitor to the login page, coming back here afterwards."""
    return redirect(url_for("security.login", next=request.full_path.rstrip("?")))


@bp.get("/t/<tag>")
@visitor_cached()
def tag(tag: str) -> Any:
    """The images of one tag, newest first, with infinite scroll."""
    found = tag_feeds.find_tag(tag)
    page = tag_feeds.tag_page(found, cursor_arg(), FEED_PAGE_SIZE)
    return render_template(
        "public/tag.html",
        tag=found,
        items=cards.cards(page.images),
        next_cursor=page.next_cursor,
        trending=tag_feeds.trending_tags(),
    )


@bp.post("/t/<tag>/trending")
@permission_required("image-hide")
def tag_trending(tag: str) -> Any:
    """A moderator keeps a tag out of the trending list (or lets it back)."""
    found = tag_feeds.find_tag(tag)
    hidden = request.form.get("hidden") == "1"
    if tag_feeds.set_trending_hidden(found, hidden, current_user):
        audit(
            current_user,
            "page",
            "tag.trending_hide" if hidden else "tag.trending_show",
            "tag",
            found.id,
            {"hidden_from_trending": not hidden},
            {"hidden_from_trending": hidden},
        )
    db.session.commit()
    return redirect(url_for("public.tag", tag=found.name))


@bp.get("/search")
@visitor_cached()
def search_page() -> Any:
    """Images, tags and members matching the query; the navbar's box lands here."""
    q = (request.args.get("q") or "").strip()
    kind = search.clean_type(request.args.get("type"))
    context = {"q": q, "kind": kind, "items": [], "tags": [], "users": [], "next_cursor": None}
    if q:
        cursor = cursor_arg()
        if kind == "images":
            page = search.search_images(q, cursor, FEED_PAGE_SIZE)
            context.update(items=cards.cards(page.images), next_cursor=page.next_cursor)
            if not cursor:  # the first page also lists a few tags and members
                context["tags"] = search.search_tags(q, None, 8).images
                context["users"] = search.search_users(q, None, 8).images
        elif kind == "tags":
            page = search.search_tags(q, cursor, FEED_PAGE_SIZE)
            context.update(tags=page.images, next_cursor=page.next_cursor)
        else:
            page = search.search_users(q, cursor, FEED_PAGE_SIZE)
            context.update(users=page.images, next_cursor=page.next_cursor)
    return render_template("public/search.html", **context)


@bp.get("/following")
def following() -> Any:
    """The Following tab of /: images of the members you follow (members only)."""
    if not current_user.is_authenticated:
        return login_first()
    page = following_page(current_user, cursor_arg(), FEED_PAGE_SIZE)
    return render_template(
        "public/following.html",
        items=cards.cards(page.images),
        next_cursor=page.next_cursor,
        first_page=cursor_arg() is None,
    )


@bp.get("/notifications")
def notifications_list() -> Any:
    """A member's notifications, newest first, keyset-paged."""
    if not current_user.is_authenticated:
        return login_first()
    items, next_cursor = notifications.notifications_page(
        current_user, cursor_arg(), NOTIFICATION_PAGE_SIZE
    )
    return render_template("public/notifications.html", items=items, next_cursor=next_cursor)


@bp.post("/notifications/read")
def notifications_read() -> Any:
    """Mark every notification read (the page's form)."""
    if not current_user.is_authenticated:
        return login_first()
    notifications.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("public.notifications_list"))


@bp.app_context_processor
def discovery_globals() -> dict[str, object]:
    return {
        "unread_notifications": unread_notifications,
        "can_hide_tags": lambda: can("image-hide"),
        "search_query": lambda: (
            (request.args.get("q") or "")[:100] if request.endpoint == "public.search_page" else ""
        ),
    }


@bp.app_template_filter("caption_parts")
def caption_parts_filter(caption: str | None) -> list[tuple[str, str | None]]:
    """(text, tag) pieces of a caption; the template links the tags (escaped as usual)."""
    return caption_parts(caption or "")


@bp.app_template_filter("highlight")
def highlight_filter(text: str | None, q: str | None) -> list[tuple[str, bool]]:
    """(text, matched) pieces for marking the query's words."""
    return search.highlight(text or "", q or "")
