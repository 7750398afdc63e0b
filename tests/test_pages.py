"""HTML pages: every page renders, 404s, hidden images, /go, comment XSS, the
"More" link without JavaScript, and a constant statement count for /."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from gallery.extensions import db
from gallery.models import HIDDEN, PENDING, AuditLog, Image, Pick, User, utcnow
from tests.factories import create_comment, create_image, create_user, csrf_token_from


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def card_ids(page: str) -> list[int]:
    """The ids of the cards on a page, in order (the <template> skeleton excluded)."""
    page = page.split('<template id="card-template">')[0]
    return [int(x) for x in re.findall(r'<article class="g-card" data-id="(\d+)"', page)]


def feed_ids(page: str) -> list[int]:
    """The card ids of the latest feed on /, after the picks pinned on top."""
    return card_ids(page.split('id="latest-heading"')[1])


def make_images(author: Any, count: int, **fields: Any) -> list[Image]:
    """`count` images, one second apart, newest last."""
    start = utcnow() - dt.timedelta(hours=1)
    return [
        create_image(
            author, created_at=start + dt.timedelta(seconds=i), caption=f"caption {i}", **fields
        )
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


@pytest.fixture
def alice(app: Any) -> Any:
    return create_user("alice")


@pytest.fixture
def moderator(app: Any) -> Any:
    return create_user("mod", roles=("moderator",))


# ---------------------------------------------------------------- every page renders


def test_home_lists_latest_images_with_cards(client: Any, alice: Any) -> None:
    images = make_images(alice, 3)
    create_comment(images[0], alice, body="first comment")
    response = client.get("/")
    assert response.status_code == 200
    page = body(response)
    assert feed_ids(page) == [images[2].id, images[1].id, images[0].id]
    assert "caption 0" in page and "first comment" in page
    # the reserved box: aspect ratio from the stored size, a placeholder colour
    assert 'style="aspect-ratio: 640 / 480; background-color: #cccccc"' in page
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


def test_image_page_shows_details(client: Any, alice: Any) -> None:
    image = create_image(
        alice,
        caption="Sunset over the bay",
        views=7,
        like_count=2,
        shop_url="https://shop.example.com/lamp?a=1&b=2",
        shop_title="The lamp",
    )
    create_comment(image, alice, body="lovely light")
    response = client.get(f"/images/{image.id}")
    assert response.status_code == 200
    page = body(response)
    assert "Sunset over the bay" in page and "lovely light" in page
    assert f'width="{image.width}" height="{image.height}"' in page
    assert f'href="/go/{image.id}" rel="sponsored nofollow noopener"' in page
    assert "shop.example.com" not in page  # only the /go link, never the raw URL
    assert "The lamp" in page
    assert "js/image.js" in page


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


# ---------------------------------------------------------------- comment box per user


def test_comment_box_only_for_confirmed_members(client: Any, auth: Any, alice: Any) -> None:
    image = create_image(alice)
    create_user("newbie", confirmed=False)
    assert "data-comment-form" not in body(client.get(f"/images/{image.id}"))
    auth.login("newbie", "password-newbie")
    page = body(client.get(f"/images/{image.id}"))
    assert "data-comment-form" not in page and "confirm your e-mail" in page
    auth.logout()
    auth.login("alice", "password-alice")
    page = body(client.get(f"/images/{image.id}"))
    assert "data-comment-form" in page and "data-like" in page and "report-panel" in page
    assert f"/images/{image.id}/hide" not in page and "Moderation" not in page


# ---------------------------------------------------------------- hidden images


@pytest.mark.parametrize("status", [HIDDEN, PENDING])
def test_hidden_and_pending_images_are_404_without_image_hide(
    client: Any, auth: Any, alice: Any, moderator: Any, status: str
) -> None:
    image = create_image(alice, status=status)
    assert client.get(f"/images/{image.id}").status_code == 404
    auth.login("alice", "password-alice")  # even the author
    assert client.get(f"/images/{image.id}").status_code == 404
    auth.logout()
    auth.login("mod", "password-mod")
    response = client.get(f"/images/{image.id}")
    assert response.status_code == 200
    assert "only moderators can see this image" in body(response)


def test_moderator_hides_and_restores_from_the_page(
    client: Any, auth: Any, alice: Any, moderator: Any
) -> None:
    image = create_image(alice)
    image_id = image.id
    auth.login("mod", "password-mod")
    token = csrf_token_from(client, f"/images/{image_id}")
    response = client.post(f"/images/{image_id}/hide", data={"csrf_token": token, "reason": "spam"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Image, image_id).status == HIDDEN
    log = db.session.scalars(select(AuditLog).where(AuditLog.target_id == image_id)).all()
    assert [(entry.origin, entry.actor_id) for entry in log] == [("page", moderator.id)]
    assert image_id not in feed_ids(body(client.get("/")))
    page = body(client.get(f"/images/{image_id}"))
    assert f'action="/images/{image_id}/restore"' in page
    client.post(f"/images/{image_id}/restore", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Image, image_id).status == "visible"
    auth.logout()
    assert client.get(f"/images/{image_id}").status_code == 200


def test_hide_needs_permission_and_csrf(client: Any, auth: Any, alice: Any, moderator: Any) -> None:
    image = create_image(alice)
    assert client.post(f"/images/{image.id}/hide").status_code in (400, 401)
    auth.login("alice", "password-alice")
    token = csrf_token_from(client, f"/images/{image.id}")
    assert client.post(f"/images/{image.id}/hide", data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login("mod", "password-mod")
    assert client.post(f"/images/{image.id}/hide", data={}).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Image, image.id).status == "visible"


# ---------------------------------------------------------------- /go


def test_go_counts_and_redirects_only_to_the_stored_url(client: Any, alice: Any) -> None:
    image = create_image(alice, shop_url="https://shop.example.com/item/1", shop_title="Item")
    for _ in range(3):
        response = client.get(
            f"/go/{image.id}?url=https://evil.example.net/&next=//evil.example.net"
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "https://shop.example.com/item/1"
    db.session.expire_all()
    assert db.session.get(Image, image.id).shop_clicks == 3


def test_go_is_404_without_a_shop_link_or_for_hidden_images(client: Any, alice: Any) -> None:
    plain = create_image(alice)
    hidden = create_image(alice, status=HIDDEN, shop_url="https://shop.example.com/x")
    assert client.get(f"/go/{plain.id}").status_code == 404
    for stored in ("javascript:alert(1)", "//evil.example.net/", "ftp://shop.example.com/"):
        odd = create_image(alice, shop_url=stored)
        assert client.get(f"/go/{odd.id}").status_code == 404, stored
    assert client.get(f"/go/{hidden.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Image, hidden.id).shop_clicks == 0


# ---------------------------------------------------------------- user text is escaped

XSS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&#34;&gt;&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
]


@pytest.mark.parametrize(("payload", "escaped"), XSS)
def test_comment_payloads_appear_as_literal_text(
    client: Any, alice: Any, payload: str, escaped: str
) -> None:
    image = create_image(alice, caption=payload)
    create_comment(image, alice, body=payload)
    for path in (f"/images/{image.id}", "/", "/u/alice"):
        page = body(client.get(path))
        assert escaped in page, path
        assert payload not in page or payload == escaped, path
        assert "<svg onload" not in page and "<script>alert" not in page
        assert ">49<" not in page
    # html.unescape of the escaped form gives back exactly what was written
    assert html.unescape(escaped) == payload


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


def test_image_page_pages_through_comments(client: Any, alice: Any) -> None:
    image = create_image(alice)
    for i in range(25):
        create_comment(
            image,
            alice,
            body=f"comment number {i:02d}",
            created_at=utcnow() + dt.timedelta(seconds=i),
        )
    page = body(client.get(f"/images/{image.id}"))
    shown = re.findall(r"comment number (\d\d)", page)
    assert shown[:20] == [f"{i:02d}" for i in range(20)]
    match = re.search(r'data-comments-more data-cursor="[^"]+"\s+href="([^"]+)"', page)
    assert match
    rest = body(client.get(html.unescape(match.group(1))))
    assert re.findall(r"comment number (\d\d)", rest)[:5] == [f"{i:02d}" for i in range(20, 25)]


# ---------------------------------------------------------------- statement counts


@pytest.mark.parametrize("member", [False, True])
def test_home_statement_count_does_not_grow_with_images(
    client: Any, auth: Any, alice: Any, member: bool
) -> None:
    """The same number of statements for 3 and for 20 images with comments, with
    cold and with warm caches (the page cache is bypassed: members always get a
    fresh page, visitors here a query string of their own)."""
    from gallery import cache

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
        client.get(f"/?warm={round_}")  # automatic picks are chosen and recorded once
        for state in ("cold", "warm"):
            if state == "cold":
                cache.bump_generation()
            with count_statements() as statements:
                response = client.get(f"/?round={round_}&state={state}")
            assert response.status_code == 200
            assert len(feed_ids(body(response))) == total
            counts[state].append(len(statements))
    assert counts["cold"][0] == counts["cold"][1], counts
    assert counts["warm"][0] == counts["warm"][1], counts


def test_visitor_home_page_is_served_from_the_page_cache(client: Any, alice: Any) -> None:
    from gallery.picks import ensure_automatic_picks

    make_images(alice, 3)
    ensure_automatic_picks(dt.datetime.now(dt.UTC).date())
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


def test_image_page_counts_a_view_once_per_visitor(client: Any, alice: Any) -> None:
    image_id = create_image(alice, views=5).id

    def views_shown(agent: str) -> str:
        db.session.remove()  # each real request has a fresh session and transaction
        page = body(client.get(f"/images/{image_id}", headers={"User-Agent": agent}))
        match = re.search(r"<dd data-views>(\d+)</dd>", page)
        assert match
        return match.group(1)

    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    assert views_shown(firefox) == "6"
    assert views_shown(firefox) == "6"  # the same visitor within 30 minutes
    assert views_shown("Mozilla/5.0 (Macintosh) Safari/605.1.15") == "7"
    assert views_shown("Googlebot/2.1 (+http://www.google.com/bot.html)") == "7"


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
    response = client.post(f"/lang/{code}", data={"next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"].removeprefix("http://localhost") == location
    set_cookie = response.headers.get("Set-Cookie", "")
    assert (cookie in set_cookie) if cookie else ("lang=" not in set_cookie)
    assert "session=" not in set_cookie
