"""HTML feed pages: /, /hot, /picks, profiles render, 404s, the "More" link without
JavaScript, a constant statement count for /, the visitor page cache, the navbar
and the language switch. The image page is in test_pages_image.py."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.feeds import cards
from gallery.feeds.picks import ensure_automatic_picks
from gallery.models import Image, Pick, Role, User, today, utcnow
from gallery.moderation import actions as moderation
from tests.support.auth import AuthActions
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import body, card_ids, count_statements, feed_ids, make_images

# ---------------------------------------------------------------- every page renders


@pytest.mark.settings(PICKS_PER_DAY=0)  # no picks on top: the latest grid shows all
def test_home_lists_latest_images_with_cards(client: Any, alice: Any) -> None:
    images = make_images(alice, 3)
    create_comment(images[0], alice, body="first comment")
    response = client.get("/")
    assert response.status_code == 200
    page = body(response)
    assert feed_ids(page) == [images[2].id, images[1].id, images[0].id]
    assert "caption 0" in page and "first comment" in page
    # the reserved box: aspect ratio from the stored size, a placeholder colour
    assert 'data-ratio="640 / 480" data-bg="#cccccc"' in page  # applied by layout.js (CSP)
    assert 'width="640" height="480"' in page
    assert 'href="/u/alice"' in page
    assert "js/feed.js" in page


def test_home_pins_todays_picks_on_top(client: Any, alice: Any) -> None:
    images = make_images(alice, 4)
    today = dt.datetime.now(dt.UTC).date()
    db.session.add(Pick(date=today, position=0, image=images[0]))
    db.session.commit()
    page = body(client.get("/"))
    picks_part, feed_part = page.split('id="latest-heading"')
    assert "Today&#39;s picks" in picks_part or "Today's picks" in picks_part
    assert card_ids(picks_part) == [images[0].id]
    assert card_ids(feed_part)[0] == images[3].id


def test_hot_page_renders(client: Any, alice: Any) -> None:
    make_images(alice, 2)
    response = client.get("/hot")
    assert response.status_code == 200
    assert "Hot right now" in body(response)


def test_picks_today_and_archive(client: Any, alice: Any) -> None:
    images = make_images(alice, 2)
    day = dt.date(2026, 1, 15)
    db.session.add(Pick(date=day, position=0, image=images[1]))
    db.session.commit()
    response = client.get("/picks/2026-01-15")
    assert response.status_code == 200
    page = body(response)
    assert card_ids(page) == [images[1].id]
    assert 'href="/picks/2026-01-14"' in page and 'href="/picks/2026-01-16"' in page
    assert client.get("/picks").status_code == 200
    empty = client.get("/picks/2026-01-10")
    assert empty.status_code == 200 and "No picks on this day." in body(empty)
    # the date form redirects to the archive page of that day
    assert client.get("/picks?date=2026-01-15").headers["Location"].endswith("/picks/2026-01-15")


@pytest.mark.parametrize(
    "path",
    [
        "/picks/2026-13-01",
        "/picks/yesterday",
        "/picks/2026-1-5",
        "/picks/9999-01-01",
        "/picks?date=nope",
    ],
)
def test_bad_or_future_picks_date_is_404(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_profile_page(client: Any, alice: Any) -> None:
    bob = create_user("bob")
    mine = make_images(alice, 2)
    make_images(bob, 1)
    response = client.get("/u/alice")
    assert response.status_code == 200
    assert card_ids(body(response)) == [mine[1].id, mine[0].id]
    assert 'data-api="/api/users/alice/images"' in body(response)


@pytest.mark.parametrize("path", ["/images/999", "/u/nobody", "/go/999", "/images/abc"])
def test_missing_things_are_404(client: Any, alice: Any, path: str) -> None:
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------- paging without JavaScript


def test_more_link_pages_through_the_feed_without_js(client: Any, alice: Any) -> None:
    images = make_images(alice, 45)
    today = dt.datetime.now(dt.UTC).date()
    db.session.add(Pick(date=today, position=0, image=images[0]))
    db.session.commit()
    seen: list[int] = []
    path = "/"
    pages = 0
    while path:
        page = body(client.get(path))
        pages += 1
        if pages == 1:
            picks_part, page = page.split('id="latest-heading"')
            assert card_ids(picks_part) == [images[0].id]
        else:
            assert "Today&#39;s picks" not in page  # picks only on the first page
        seen += card_ids(page)
        match = re.search(r'<a class="btn btn-outline-secondary" rel="next" href="([^"]+)"', page)
        path = html.unescape(match.group(1)) if match else ""
        assert not path or path.startswith("/?cursor=")
    assert pages == 3
    assert seen == [image.id for image in reversed(images)]


def test_more_link_on_profile_and_bad_cursor(client: Any, alice: Any) -> None:
    make_images(alice, 25)
    page = body(client.get("/u/alice"))
    assert len(card_ids(page)) == 20
    match = re.search(r'rel="next" href="(/u/alice\?cursor=[^"]+)"', page)
    assert match
    assert len(card_ids(body(client.get(html.unescape(match.group(1)))))) == 5
    assert client.get("/?cursor=not-a-cursor!").status_code == 400


# ---------------------------------------------------------------- statement counts


@pytest.mark.parametrize("member", [False, True])
def test_home_statement_count_does_not_grow_with_images(
    client: Any, auth: Any, alice: Any, member: bool
) -> None:
    """The same number of statements for 3 and for 20 images with comments, with
    cold and with warm caches (the page cache is bypassed: members always get a
    fresh page, visitors here a query string of their own)."""
    from gallery.caching import cache

    if member:
        auth.login("alice", "password-alice")
    counts: dict[str, list[int]] = {"cold": [], "warm": []}
    for round_, total in enumerate((3, 20)):
        author = db.session.scalar(select(User).where(User.username == "alice"))
        for i in range(total - db.session.scalar(select(db.func.count(Image.id)))):
            image = create_image(author, created_at=utcnow() - dt.timedelta(minutes=i))
            create_comment(image, create_user(f"c{round_}x{i}"), body="hi")
            create_comment(image, author, body="thanks")
        db.session.remove()
        ensure_automatic_picks(today())  # `flask picks auto`: today's picks are recorded
        db.session.commit()
        client.get(f"/?warm={round_}")
        for state in ("cold", "warm"):
            if state == "cold":
                cache.bump_generation()
            with count_statements() as statements:
                response = client.get(f"/?round={round_}&state={state}")
            assert response.status_code == 200
            # today's picks are on top, the latest grid shows the others
            assert len(card_ids(body(response))) == total
            counts[state].append(len(statements))
    assert counts["cold"][0] == counts["cold"][1], counts
    assert counts["warm"][0] == counts["warm"][1], counts


def test_visitor_home_page_is_served_from_the_page_cache(client: Any, alice: Any) -> None:
    make_images(alice, 3)
    ensure_automatic_picks(today())
    db.session.commit()
    first = client.get("/")
    assert first.headers.get("X-Gallery-Cache") == "miss"
    assert "Set-Cookie" not in first.headers  # no session, no CSRF token for visitors
    assert 'name="csrf-token" content=""' in body(first)
    with count_statements() as statements:
        second = client.get("/")
    assert second.headers.get("X-Gallery-Cache") == "hit"
    assert statements == []
    assert body(second) == body(first)


def test_navbar_links_to_the_pages(client: Any, auth: Any, alice: Any) -> None:
    auth.login("alice", "password-alice")
    page = body(client.get("/picks"))
    for path in ('href="/hot"', 'href="/picks"', 'href="/u/alice"'):
        assert path in page


def test_hot_page_is_cached_for_visitors_but_not_for_members(
    client: Any, auth: Any, alice: Any
) -> None:
    make_images(alice, 2)
    assert client.get("/hot").headers.get("X-Gallery-Cache") == "miss"
    assert client.get("/hot").headers.get("X-Gallery-Cache") == "hit"
    auth.login("alice", "password-alice")
    member = client.get("/hot")
    assert "X-Gallery-Cache" not in member.headers
    assert 'name="csrf-token" content=""' not in body(member)


@pytest.mark.parametrize(
    ("code", "next_path", "cookie", "location"),
    [
        ("zh", "/hot", "lang=zh", "/hot"),
        ("en", "//evil.example.net/", "lang=en", "/"),
        ("xx", "/picks", None, "/picks"),
    ],
)
def test_language_switch_sets_a_cookie_and_goes_back_locally(
    client: Any, code: str, next_path: str, cookie: str | None, location: str
) -> None:
    response = client.get(f"/lang/{code}", query_string={"next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"].removeprefix("http://localhost") == location
    set_cookie = response.headers.get("Set-Cookie", "")
    assert (cookie in set_cookie) if cookie else ("lang=" not in set_cookie)
    assert "session=" not in set_cookie


# ------------------------------------------------- members share what is the same for all


@pytest.mark.settings(PICKS_PER_DAY=0)  # no picks on top: the latest grid shows all
def test_members_home_takes_its_feed_from_the_shared_cache(
    client: Any, auth: Any, alice: Any, monkeypatch: Any
) -> None:
    """Issue 15: a member's home page built and rendered the whole feed every time."""
    make_images(alice, 3)
    create_user("bob")
    auth.login("bob", "password-bob")
    first = body(client.get("/"))
    built: list[int] = []
    real_cards = cards.cards
    monkeypatch.setattr(
        cards, "cards", lambda images, **kw: built.append(1) or real_cards(images, **kw)
    )
    with count_statements() as statements:
        second = client.get("/")
    assert built == []  # no card was built: the feed came rendered from the cache
    page = body(second)
    assert feed_ids(page) == feed_ids(first) and len(feed_ids(page)) == 3
    assert ">bob<" in page or "bob</" in page  # the navbar is this member's
    assert 'name="csrf-token" content=""' not in page  # members get their token
    assert "private" in second.headers["Cache-Control"]
    # only the member's own session and user are read: no feed query
    assert not [s for s in statements if "FROM images" in s], statements
    hidden = feed_ids(page)[0]
    moderation.hide_image(
        db.session.get(Image, hidden), create_user("mod", roles=["moderator"]), "admin"
    )
    db.session.commit()
    assert hidden not in feed_ids(body(client.get("/")))  # a change reaches the members


@pytest.mark.settings(PICKS_PER_DAY=0)
def test_a_members_home_layout_is_kept_per_worker_and_follows_the_member(
    app: Any, client: Any, auth: Any, alice: Any
) -> None:
    """Issue 15: the navbar and layout around the shared feed were rendered for every
    member request; a worker keeps them per member state, with this request's token."""
    image = make_images(alice, 1)[0]
    bob = create_user("bob")
    auth.login("bob", "password-bob")
    shells = app.extensions["gallery_shells"].pages
    body(client.get("/"))
    page = body(client.get("/"))
    assert len([key for key in shells if key[0] == "public/index.html"]) == 1  # kept, reused
    assert feed_ids(page) == [image.id] and ">bob<" in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    assert "\x00" not in page
    marked = client.post("/api/notifications/read", headers={"X-CSRFToken": token})
    assert marked.status_code == 200  # the page carries this member's own token
    # what the layout shows changes with the member: the bell, a flash, the roles
    own = create_image(bob)
    carol = app.test_client()
    AuthActions(carol).login("alice", "password-alice")
    carol_page = body(carol.get("/"))
    assert ">alice<" in carol_page and ">bob<" not in carol_page
    carol_token = re.search(r'name="csrf-token" content="([^"]+)"', carol_page)[1]
    liked = carol.post(f"/api/images/{own.id}/like", headers={"X-CSRFToken": carol_token})
    assert liked.status_code == 200
    assert "data-bell-count>1<" in body(client.get("/"))
    with client.session_transaction() as stored:
        stored["_flashes"] = [("info", "A message shown once")]
    assert "A message shown once" in body(client.get("/"))
    assert "A message shown once" not in body(client.get("/"))
    assert 'href="/admin/"' not in body(client.get("/"))
    bob.roles.append(db.session.scalar(select(Role).where(Role.name == "moderator")))
    db.session.commit()
    assert 'href="/admin/"' in body(client.get("/"))


def test_members_get_the_shared_json_feed_privately(
    app: Any, client: Any, auth: Any, alice: Any
) -> None:
    images = make_images(alice, 2)
    visitor = app.test_client()
    assert visitor.get("/api/images").headers["X-Gallery-Cache"] == "miss"
    assert visitor.get("/api/images").headers["X-Gallery-Cache"] == "hit"
    create_user("bob")
    auth.login("bob", "password-bob")
    with count_statements() as statements:
        member = client.get("/api/images")
    assert statements == []  # not even the user is loaded: the answer is the same for all
    assert member.headers["X-Gallery-Cache"] == "hit"
    assert member.headers["Cache-Control"] == "private, no-cache"
    assert [item["id"] for item in member.get_json()["items"]] == [i.id for i in images[::-1]]
    moderation.hide_image(images[1], create_user("mod", roles=["moderator"]), "admin")
    db.session.commit()
    assert [item["id"] for item in client.get("/api/images").get_json()["items"]] == [images[0].id]
