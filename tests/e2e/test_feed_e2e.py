"""In a real browser: the home page scrolls through the latest feed page by page,
and recovers from a network error with a visible retry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.live import unique


def seed_images(live_server: Any, count: int, prefix: str) -> list[int]:
    """`count` image rows (no files: thumbnails 404, the reserved boxes stay) by a new
    member, the newest so far; the caches are dropped so the feed shows them."""
    from gallery.caching import cache
    from gallery.models import User
    from tests.support.factories import create_image

    user = live_server.create_user(unique(prefix))
    with live_server.app_context() as session:
        author = session.query(User).filter_by(username=user["username"]).one()
        # a millisecond apart from now on: newest for this test, and older than
        # whatever later tests add to the shared live database
        start = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ids = [
            create_image(
                author, caption=f"{prefix} {i}", created_at=start + dt.timedelta(milliseconds=i)
            ).id
            for i in range(count)
        ]
        cache.bump_generation()
    return ids


def card_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(".g-grid .g-card", "cards => cards.map(c => c.dataset.id)")


def scroll_to_bottom(page: Any) -> None:
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")


def test_home_scrolls_through_second_and_third_page(page: Any, live_server: Any) -> None:
    ids = seed_images(live_server, 60, "scroll")
    newest_first = [str(i) for i in reversed(ids)]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    grid = page.locator(".g-grid")
    # today's picks (the newest images here) stand above the grid and are not repeated in it
    picks = page.eval_on_selector_all(".g-picks .g-card", "cards => cards.map(c => c.dataset.id)")
    newest_first = [i for i in newest_first if i not in picks]
    first = card_ids(page)
    assert first == newest_first[: len(first)]
    assert len(first) >= 20 - len(picks)
    # JavaScript replaced the "More" link with infinite scroll
    assert page.locator("[data-feed-more]").is_hidden()

    for pages in (2, 3):
        with page.expect_response(lambda r: "/api/images?cursor=" in r.url) as response:
            scroll_to_bottom(page)
        assert response.value.status == 200
        page.wait_for_function(
            "n => Number(document.querySelector('.g-grid').dataset.pages) >= n",
            arg=pages,
        )
        shown = card_ids(page)
        assert shown == newest_first[: len(shown)]  # newest first, nothing skipped
        assert len(shown) >= 20 * pages - len(picks)
    assert int(grid.get_attribute("data-pages")) >= 3
    seen = card_ids(page)
    assert len(seen) == len(set(seen)), "no card twice"

    # appended cards are real cards: caption as text, link, reserved aspect ratio
    card = page.locator(f'.g-card[data-id="{ids[15]}"]')
    assert card.locator("[data-slot=caption]").inner_text() == "scroll 15"
    assert card.locator("[data-slot=link]").get_attribute("href") == f"/images/{ids[15]}"
    box = card.locator("[data-slot=link]").bounding_box()
    assert box and abs(box["width"] / box["height"] - 640 / 480) < 0.02


def test_feed_shows_a_retry_after_a_network_error(page: Any, live_server: Any) -> None:
    seed_images(live_server, 30, "retry")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    page.route("**/api/images?*", lambda route: route.abort("failed"))
    scroll_to_bottom(page)
    status = page.locator("[data-feed-status]")
    status.locator(".g-feed-error").wait_for()
    assert "Could not load more images" in status.inner_text()
    retry = status.get_by_role("button", name="Retry")
    assert retry.is_visible()

    page.unroute("**/api/images?*")
    with page.expect_response(lambda r: "/api/images?cursor=" in r.url and r.status == 200):
        retry.click()
    page.wait_for_function("document.querySelector('.g-grid').dataset.pages === '2'")
    assert status.locator(".g-feed-error").count() == 0


def test_profile_scroll_stops_at_the_end(page: Any, live_server: Any) -> None:
    ids = seed_images(live_server, 25, "ender")
    with live_server.app_context() as session:
        from gallery.models import Image

        username = session.get(Image, ids[0]).author.username
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/users/" in r.url else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/u/{username}")
    assert len(card_ids(page)) == 20
    scroll_to_bottom(page)
    status = page.locator("[data-feed-status] .g-feed-end")
    status.wait_for()
    assert status.inner_text() == "You have reached the end."
    assert sorted(card_ids(page)) == sorted(str(i) for i in ids)
    scroll_to_bottom(page)
    page.wait_for_timeout(500)
    assert len(requests) == 1, "no request after the last page"


def test_more_link_works_without_javascript(browser: Any, live_server: Any) -> None:
    ids = seed_images(live_server, 25, "nojs")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        more = page.locator("[data-feed-more] a")
        assert more.is_visible()
        with page.expect_navigation():
            more.click()
        assert "/?cursor=" in page.url
        assert card_ids(page)[:5] == [str(i) for i in reversed(ids[:5])]
    finally:
        context.close()
