"""The image page and what hangs off it: details, the comment box per user, hidden
images (404 without image-hide; Hide/Restore from the page), /go, comment XSS,
paged comments and view counting."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.feeds import cards
from gallery.models import HIDDEN, PENDING, AuditLog, Image, utcnow
from gallery.moderation import actions as moderation
from tests.support.auth import csrf_token_from
from tests.support.factories import create_comment, create_image, create_user
from tests.support.feeds import body, feed_ids


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


def test_image_page_sets_no_session_cookie_for_visitors(client: Any, alice: Any) -> None:
    """Cacheable for visitors (issue 15): no cookie, no token, until the visitor acts."""
    image = create_image(alice)
    response = client.get(f"/images/{image.id}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert '<meta name="csrf-token" content="">' in body(response)
    token = client.get("/api/csrf-token")
    assert token.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" in token.headers  # the session starts when the visitor acts
    answer = client.post(
        f"/api/images/{image.id}/like", headers={"X-CSRFToken": token.get_json()["csrf_token"]}
    )
    assert answer.status_code == 401  # past the CSRF check: only the login is missing
    assert client.post(f"/api/images/{image.id}/like").status_code == 400  # no token


def test_image_page_gives_members_their_token(client: Any, auth: Any, alice: Any) -> None:
    image = create_image(alice)
    auth.login("alice", "password-alice")
    assert csrf_token_from(client, f"/images/{image.id}")


def test_visitors_image_page_is_cached_but_counts_every_view(app, monkeypatch) -> None:
    """Issue 15: the image page was built and rendered for every visitor."""
    alice = create_user("alice")
    image = create_image(alice, caption="harbour at dawn")
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36"}

    def visit(address: str):
        client = app.test_client()
        return client.get(
            f"/images/{image.id}", headers=browser, environ_base={"REMOTE_ADDR": address}
        )

    def shown_views(response) -> int:
        found = re.search(r"<dd data-views>(\d+)</dd>", response.get_data(as_text=True))
        assert found, "no view count on the page"
        return int(found.group(1))

    assert shown_views(visit("203.0.113.1")) == 1
    built: list[int] = []
    real_card = cards.card
    monkeypatch.setattr(cards, "card", lambda *a, **kw: built.append(1) or real_card(*a, **kw))
    second = visit("203.0.113.2")
    assert built == []  # from the cache
    assert shown_views(second) == 2  # yet the count is this request's
    assert "harbour at dawn" in second.get_data(as_text=True)
    moderation.hide_image(image, create_user("mod", roles=["moderator"]), "admin")
    db.session.commit()
    assert visit("203.0.113.3").status_code == 404  # a hide reaches the cached page at once
