"""Discovery in Chromium: a #tag in a caption leads to the tag page and the image is
found by search (a Chinese and an English word); following a member brings their next
upload to the Following tab; a like makes the owner's bell count go up."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.support import sample_images as samples
from tests.support.live import LiveServer

SLOW_MACHINE_MS = 30_000  # uploads render variants; the shared CI machine can be slow


def upload(page: Any, caption: str, size: tuple[int, int]) -> str:
    """Upload one JPEG through /upload as the logged-in member; returns /images/<id>."""
    page.set_default_timeout(SLOW_MACHINE_MS)
    page.goto("/upload")
    page.set_input_files(
        "[data-file-input]",
        [{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size)}],
    )
    page.fill("#upload-caption", caption)
    page.click("[data-upload-submit]")
    link = page.locator("[data-upload-list] a", has_text="view the image").first
    link.wait_for()
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/images/\d+", href), href
    return href


def test_tag_in_caption_leads_to_tag_page_and_search_finds_it(
    page: Any, live_server: LiveServer, login: Any
) -> None:
    user = live_server.create_user()
    login(page, user["username"], user["password"])
    word = f"zebra{uuid.uuid4().hex[:6]}"
    tag = f"Tag{uuid.uuid4().hex[:6]}"
    href = upload(page, f"{word} 夕阳很美 #{tag} #海边", (640 + len(word), 480))
    page.goto(href)
    tag_link = page.locator(f'.g-caption a.g-tag[href="/t/{tag.lower()}"]')
    assert tag_link.inner_text() == f"#{tag}"
    tag_link.click()
    page.wait_for_url(f"**/t/{tag.lower()}")
    assert page.locator(f'.g-grid a[href="{href}"]').count() == 1
    # the navbar's search box, with a Chinese word, then an English one
    for query, marked in (("夕阳", "夕阳"), (word.upper(), word)):
        page.fill("[data-nav-search]", query)
        with page.expect_navigation():
            page.press("[data-nav-search]", "Enter")
        card = page.locator(f'.g-grid .g-card:has(a[href="{href}"])')
        assert card.count() == 1, query
        assert card.locator("mark").first.inner_text().lower() == marked.lower()
    # the tag is offered while typing a caption
    page.goto("/upload")
    page.fill("#upload-caption", "")
    page.type("#upload-caption", f"new #{tag[:5].lower()}")
    suggestion = page.locator(f'.g-tag-suggestions [data-tag="{tag.lower()}"]')
    suggestion.wait_for()
    suggestion.dispatch_event("mousedown")
    assert page.input_value("#upload-caption") == f"new #{tag.lower()} "


def test_following_a_member_shows_their_next_upload(
    browser: Any, page: Any, live_server: LiveServer, login: Any
) -> None:
    follower = live_server.create_user()
    author = live_server.create_user()
    login(page, follower["username"], follower["password"])
    page.goto(f"/u/{author['username']}")
    button = page.locator("[data-follow]")
    assert button.inner_text().strip() == "Follow"
    button.click()
    expect(page.locator("[data-follow]")).to_have_attribute("data-following", "true")
    assert page.locator("[data-follower-count]").inner_text() == "1"
    assert button.inner_text().strip() == "Unfollow"

    other = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        author_page = other.new_page()
        login(author_page, author["username"], author["password"])
        href = upload(author_page, "fresh from the one you follow", (700, 500))
    finally:
        other.close()

    page.goto("/")
    page.click(".g-feed-tabs a:has-text('Following')")
    page.wait_for_url("**/following")
    first = page.locator(".g-grid .g-card").first
    assert first.locator('[data-slot="link"]').get_attribute("href") == href
    assert first.locator('[data-slot="author"]').inner_text() == author["username"]


def test_a_like_makes_the_bell_count_go_up(
    browser: Any, page: Any, live_server: LiveServer, login: Any
) -> None:
    owner = live_server.create_user()
    fan = live_server.create_user()
    login(page, owner["username"], owner["password"])
    href = upload(page, "like me", (660, 500))
    page.goto("/")
    assert page.locator("[data-bell-count]").is_hidden()

    other = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        fan_page = other.new_page()
        login(fan_page, fan["username"], fan["password"])
        fan_page.goto(href)
        fan_page.click("[data-like]")
        expect(fan_page.locator("[data-like]")).to_have_attribute("aria-pressed", "true")
    finally:
        other.close()

    page.reload()
    bell = page.locator("[data-bell-count]")
    assert bell.is_visible()
    assert bell.inner_text() == "1"
    page.click("[data-bell]")
    page.wait_for_url("**/notifications")
    assert f"{fan['username']} liked your image" in page.locator(".g-notifications").inner_text()
    page.click("[data-mark-read]")
    page.wait_for_url("**/notifications")
    assert page.locator("[data-bell-count]").is_hidden()
