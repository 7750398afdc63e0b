"""Issue 12 in Chromium: owners edit, delete and undo; a comment is reported and
deleted; three files with their own captions; an album is built, reordered and
trimmed; a profile gets an avatar; no page scrolls sideways on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import sample_images as samples
from tests.support.live import LiveServer, unique


def member_with_images(
    live_server: LiveServer, captions: list[str], username: str | None = None
) -> tuple[dict[str, str], list[int]]:
    """A confirmed member and images of theirs, stored with every variant."""
    from gallery.media import ingest
    from gallery.models import User

    member = live_server.create_user(username or unique("owner"))
    ids = []
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=member["username"]).one()
        for index, caption in enumerate(captions):
            data = samples.jpeg((480 + 40 * index, 360 + 20 * index))
            ids.append(ingest.ingest(user, data, caption=caption).image.id)
        session.commit()
    return member, ids


def image_status(live_server: LiveServer, image_id: int) -> str:
    from gallery.models import Image

    with live_server.app_context() as session:
        return session.get(Image, image_id).status


def test_owner_edits_deletes_and_undoes(page: Any, live_server: LiveServer, login: Any) -> None:
    member, (image_id,) = member_with_images(live_server, ["Old caption"])
    login(page, member["username"], member["password"])
    page.goto(f"/images/{image_id}")
    assert page.locator("[data-report-image]").count() == 0  # no Report on one's own image
    page.evaluate("window.__sameDocument = true")

    page.click("[data-edit-details] summary")
    page.fill("#edit-caption", "A <b>new</b> caption")
    page.fill("#edit-shop-url", "https://shop.example/print")
    page.fill("#edit-shop-title", "Buy a print")
    with page.expect_response(lambda r: r.request.method == "PATCH") as patched:
        page.click("[data-edit-save]")
    assert patched.value.status == 200
    expect(page.locator("[data-caption]")).to_have_text("A <b>new</b> caption")
    expect(page.locator("[data-shop-title]")).to_have_text("Buy a print")
    expect(page.locator("[data-shop]")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        page.click("[data-delete]")
    assert deleted.value.status == 204
    page.locator("[data-undo-api]").wait_for(state="visible")
    assert image_status(live_server, image_id) == "hidden"
    with page.expect_response(lambda r: r.url.endswith("/restore")) as restored:
        page.click("[data-undo-api]")
    assert restored.value.status == 200
    page.locator("[data-delete]").wait_for(state="visible")
    assert image_status(live_server, image_id) == "visible"
    assert page.evaluate("window.__sameDocument") is True

    # a refused confirmation deletes nothing
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-delete]")
    assert image_status(live_server, image_id) == "visible"

    page.reload()
    assert page.locator("[data-caption]").inner_text() == "A <b>new</b> caption"


def test_report_a_comment_and_delete_ones_own(
    page: Any, live_server: LiveServer, login: Any
) -> None:
    from gallery.models import Comment, Report, User
    from tests.support.factories import create_comment

    owner, (image_id,) = member_with_images(live_server, ["Harbour"])
    troll = live_server.create_user(unique("troll"))
    with live_server.app_context() as session:
        author = session.query(User).filter_by(username=troll["username"]).one()
        from gallery.models import Image

        bad_id = create_comment(session.get(Image, image_id), author, "buy cheap pills").id
    visitor = live_server.create_user(unique("fan"))
    login(page, visitor["username"], visitor["password"])
    page.goto(f"/images/{image_id}")

    comment = page.locator(f'.g-comment[data-id="{bad_id}"]')
    comment.locator(".g-comment-menu-button").click()
    comment.locator("[data-comment-report]").click()
    form = page.locator("[data-report-form]")
    form.wait_for(state="visible")
    assert form.locator("[data-report-quote]").inner_text() == "buy cheap pills"
    assert "comment" in form.locator("[data-report-label]").inner_text()
    form.locator("select").select_option("spam")
    with page.expect_response(lambda r: r.url.endswith("/api/reports")) as reported:
        form.locator("[type=submit]").click()
    assert reported.value.status == 201
    with live_server.app_context() as session:
        report = session.query(Report).filter_by(target_type="comment", target_id=bad_id).one()
        assert report.reason == "spam"

    # the member's own comment: posted, then deleted from its menu
    page.fill("#comment-body", "Lovely light")
    page.click("[data-comment-form] [type=submit]")
    mine = page.locator(".g-comment[data-fresh]")
    mine.wait_for()
    mine_id = int(mine.get_attribute("data-id") or 0)
    assert mine.locator("[data-comment-report]").count() == 0
    mine.locator(".g-comment-menu-button").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        mine.locator("[data-comment-delete]").click()
    assert deleted.value.status == 204
    page.locator(f'.g-comment[data-id="{mine_id}"]').wait_for(state="detached")
    with live_server.app_context() as session:
        assert session.get(Comment, mine_id).status == "hidden"
        assert session.get(Comment, bad_id).status == "visible"


def test_upload_three_files_with_their_own_captions(
    page: Any, live_server: LiveServer, login: Any
) -> None:
    from gallery.models import Image

    member = live_server.create_user(unique("uploader"))
    login(page, member["username"], member["password"])
    page.goto("/upload")
    page.set_input_files(
        "[data-file-input]",
        [
            {"name": "one.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg((700, 500))},
            {"name": "two.png", "mimeType": "image/png", "buffer": samples.png((400, 300))},
            {"name": "three.webp", "mimeType": "image/webp", "buffer": samples.webp((300, 300))},
        ],
    )
    cards = page.locator("[data-upload-list] .g-upload-item")
    assert cards.count() == 3
    page.wait_for_function(
        "Array.from(document.querySelectorAll('[data-upload-list] [data-preview]'))"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    captions = ["Morning", "Noon 中午", "Night"]
    for index, caption in enumerate(captions):
        cards.nth(index).locator('[data-field="caption"]').fill(caption)
    page.click("[data-upload-submit]")
    tiles = page.locator("[data-upload-grid] [data-tile]")
    tiles.nth(2).wait_for()
    hrefs = [tiles.nth(i).get_attribute("href") or "" for i in range(3)]
    assert all(re.fullmatch(r"/images/\d+", href) for href in hrefs)
    assert [tiles.nth(i).inner_text() for i in range(3)] == captions
    assert page.locator("[data-profile-link]").get_attribute("href") == f"/u/{member['username']}"
    with live_server.app_context() as session:
        stored = [session.get(Image, int(href.rsplit("/", 1)[1])).caption for href in hrefs]
    assert stored == captions


def test_paste_an_image_from_the_clipboard(page: Any, live_server: LiveServer, login: Any) -> None:
    member = live_server.create_user(unique("paster"))
    login(page, member["username"], member["password"])
    page.goto("/upload")
    page.evaluate(
        """async () => {
            const canvas = document.createElement("canvas");
            canvas.width = 64; canvas.height = 48;
            canvas.getContext("2d").fillRect(0, 0, 64, 48);
            const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/png"));
            const transfer = new DataTransfer();
            transfer.items.add(new File([blob], "image.png", {type: "image/png"}));
            const event = new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true});
            document.dispatchEvent(event);
        }"""
    )
    item = page.locator("[data-upload-list] .g-upload-item")
    item.wait_for()
    assert "1.png" in item.locator("[data-name]").inner_text()
    page.click("[data-upload-submit]")
    page.locator("[data-upload-grid] [data-tile]").first.wait_for()


def test_album_create_add_reorder_remove(page: Any, live_server: LiveServer, login: Any) -> None:
    member, ids = member_with_images(live_server, ["First", "Second", "Third"])
    login(page, member["username"], member["password"])
    # from the image page: a new album with this image
    page.goto(f"/images/{ids[0]}")
    page.click("[data-add-to-album]")
    title = f"Trip {unique('')}"
    page.fill("#album-title", title)
    page.fill("#album-description", "Three days by the sea")
    with page.expect_navigation():
        page.click("text=Create album")
    assert re.search(r"/a/trip-", page.url)
    # the album page: add the other two
    page.click("[data-album-add] summary")
    for image_id in ids[1:]:
        page.check(f'[data-candidate][value="{image_id}"]')
    with page.expect_navigation():
        page.click("[data-add-selected]")

    def grid_order() -> list[int]:
        cards = page.locator("[data-feed] .g-card")
        return [int(cards.nth(i).get_attribute("data-id") or 0) for i in range(cards.count())]

    # the picker lists the newest first, and they are appended in that order
    assert grid_order() == [ids[0], ids[2], ids[1]]

    # drag the last image to the top, then save
    page.click("[data-album-order-panel] summary")
    items = page.locator("[data-album-order] .g-order-item")
    items.nth(2).drag_to(items.nth(0), target_position={"x": 10, "y": 2})
    order = [int(items.nth(i).get_attribute("data-image-id") or 0) for i in range(3)]
    assert order == [ids[1], ids[0], ids[2]]
    with page.expect_response(lambda r: r.request.method == "PATCH") as saved:
        page.click("[data-save-order]")
    assert saved.value.status == 200
    assert grid_order() == [ids[1], ids[0], ids[2]]  # the grid follows at once
    # and the arrow buttons, for the keyboard
    items.nth(2).locator('[data-move="-1"]').click()
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        page.click("[data-save-order]")
    page.reload()
    assert grid_order() == [ids[1], ids[2], ids[0]]
    # take one out
    page.click("[data-album-order-panel] summary")
    with page.expect_response(lambda r: r.request.method == "DELETE") as removed:
        page.locator(f'.g-order-item[data-image-id="{ids[2]}"] [data-remove]').click()
    assert removed.value.status == 200
    page.reload()
    assert grid_order() == [ids[1], ids[0]]
    # the profile lists it
    page.goto(f"/u/{member['username']}")
    assert page.locator(".g-album-card", has_text=title).count() == 1


def test_profile_edit_with_avatar(page: Any, live_server: LiveServer, login: Any) -> None:
    member, _ = member_with_images(live_server, ["Mine"])
    login(page, member["username"], member["password"])
    page.goto("/account/profile")
    page.fill("#profile-display-name", "Ada Lovelace")
    page.fill("#profile-bio", "I photograph engines.\n<script>alert(1)</script>")
    page.set_input_files(
        "#profile-avatar",
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg_exif_gps((600, 400))},
    )
    with page.expect_navigation():
        page.click("text=Save profile")
    assert page.locator(".alert-success").count() == 1
    avatar = page.locator("[data-avatar-preview]")
    assert avatar.evaluate("img => img.naturalWidth === img.naturalHeight && img.naturalWidth > 0")
    page.goto(f"/u/{member['username']}")
    assert page.locator(".g-profile-name").inner_text() == "Ada Lovelace"
    assert "<script>" in page.locator("[data-profile-bio]").inner_text()
    assert page.locator("[data-profile-avatar]").evaluate("img => img.naturalWidth > 0")
    assert page.locator("[data-stat-images]").inner_text() == "1"
    assert page.locator("[data-feed] .g-card .g-author").count() == 0  # no repeated name


@pytest.mark.parametrize("width", [320, 375, 390, 414])
def test_no_sideways_scroll_on_phones(browser: Any, live_server: LiveServer, width: int) -> None:
    member, ids = member_with_images(live_server, ["A caption " * 12])
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        paths = ["/login", "/register", "/reset", f"/images/{ids[0]}", f"/u/{member['username']}"]
        wide = {}
        for path in paths:
            page.goto(path)
            measured = page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
            )
            if max(measured[:2]) > measured[2]:
                wide[path] = measured
        from tests.support.live import login_through_form

        login_through_form(page, member["username"], member["password"])
        for path in ["/upload", f"/images/{ids[0]}", "/account/profile", "/albums/new"]:
            page.goto(path)
            measured = page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
            )
            if max(measured[:2]) > measured[2]:
                wide[path] = measured
        assert wide == {}
    finally:
        context.close()


SHOTS = os.environ.get("GALLERY_SCREENSHOTS")


@pytest.mark.skipif(not SHOTS, reason="set GALLERY_SCREENSHOTS=<folder> to write the README's")
def test_screenshots_of_the_new_pages(browser: Any, live_server: LiveServer) -> None:
    from gallery.albums import service as albums
    from gallery.models import User

    folder = Path(SHOTS or ".")
    member, ids = member_with_images(
        live_server, ["Harbour at dawn", "Red boats", "Nets drying", "Lighthouse"], unique("mei")
    )
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=member["username"]).one()
        user.display_name = "Mei Lin"
        user.bio = "Harbours, boats and the light before sunrise."
        album = albums.create_album(user, {"title": "By the sea", "description": "A weekend."})
        albums.add_images(album, ids)
        session.commit()
        album_url = albums.album_url(album)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    try:
        from tests.support.live import login_through_form

        login_through_form(page, member["username"], member["password"])
        for name, path in [
            ("profile.png", f"/u/{member['username']}"),
            ("album.png", album_url),
            ("image-owner.png", f"/images/{ids[0]}"),
            ("account-profile.png", "/account/profile"),
        ]:
            page.goto(path)
            if name == "image-owner.png":
                page.click("[data-edit-details] summary")
                page.mouse.move(0, 0)
            page.screenshot(path=str(folder / name))
        page.goto("/upload")
        page.set_input_files(
            "[data-file-input]",
            [
                {"name": "dawn.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg((800, 600))},
                {"name": "boats.png", "mimeType": "image/png", "buffer": samples.png((500, 400))},
            ],
        )
        page.locator('[data-upload-list] [data-field="caption"]').first.fill("Dawn")
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / "upload.png"), full_page=True)
    finally:
        context.close()
