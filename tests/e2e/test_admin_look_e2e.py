"""In a real browser: the admin pages break no rule of the Content-Security-Policy (no
inline style or script without its nonce), and they wear the site's look: its font stack
(Chinese families included), its colours and its container width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import unique

pytestmark = pytest.mark.e2e


def admin_world(live_server: Any) -> dict[str, Any]:
    """An admin, an image with a comment and a report, and the audit entry of an edit."""
    from gallery.models import User
    from gallery.moderation import actions as moderation
    from gallery.moderation.reports import create_report
    from tests.support.factories import create_comment, create_image

    boss = live_server.create_user(unique("boss"), roles=["admin"])
    author = live_server.create_user(unique("artist"))
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=author["username"]).one()
        image = create_image(user, caption="Harbour at dusk, a caption long enough to wrap")
        create_comment(image, user, "nice light")
        create_report(user, "image", image.id, "spam", "")
        moderation.edit_image(
            image, None, "cli", caption="Harbour at dusk " * 12, shop_url=None, shop_title=None
        )
        session.commit()
        return {"boss": boss, "image": image.id, "user": user.id}


def test_admin_pages_keep_the_csp_and_the_sites_look(
    page: Any, live_server: Any, login: Any
) -> None:
    world = admin_world(live_server)
    problems: list[str] = []

    def noted(message: Any) -> None:
        source = (message.location or {}).get("url", "")
        if message.type != "error":
            return
        if "Failed to load resource" in message.text and "/media/" in source:
            return  # the factory's images have no stored files
        problems.append(f"{page.url}: {message.text} ({source})")

    page.on("console", noted)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    login(page, world["boss"]["username"], world["boss"]["password"])
    paths = [
        "/admin/",
        "/admin/reports/",
        "/admin/image/",
        f"/admin/image/edit/?id={world['image']}",
        f"/admin/image/details/?id={world['image']}",
        "/admin/queue/",
        "/admin/comment/",
        "/admin/picks/",
        "/admin/user/",
        f"/admin/user/edit/?id={world['user']}",
        "/admin/audit/",
        "/admin/operations/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
    assert [p for p in problems if "Content Security Policy" in p] == [], "\n".join(problems)
    assert problems == []

    # the site's look: font stack with the CJK families, colours, container width
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/admin/audit/")
    look = page.evaluate(
        """() => {
          const body = getComputedStyle(document.body);
          const box = document.querySelector('.gallery-admin > .container');
          return {font: body.fontFamily, background: body.backgroundColor, colour: body.color,
                  width: box ? box.getBoundingClientRect().width : 0,
                  pageWidth: document.documentElement.scrollWidth};
        }"""
    )
    assert "PingFang SC" in look["font"] and "Noto Sans CJK SC" in look["font"], look
    assert look["background"] == "rgb(244, 245, 247)" and look["colour"] == "rgb(29, 35, 48)"
    assert look["width"] == 1320, look  # Bootstrap 5's .container at ≥1400 px, as on the site
    assert look["pageWidth"] <= 1440, look  # the long audit values wrap, nothing runs off
    page.goto("/")
    site_width = page.evaluate(
        "() => document.querySelector('main.container').getBoundingClientRect().width"
    )
    assert site_width == look["width"]


def test_picks_grid_searches_as_you_type_and_adds_the_chosen(
    page: Any, live_server: Any, login: Any
) -> None:
    from gallery.media.captions import index_image
    from gallery.models import Image, User
    from tests.support.factories import create_image

    moderator = live_server.create_user(unique("mod"), roles=["moderator"])
    author = live_server.create_user(unique("painter"))
    word = unique("zebra").replace("_", "")
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=author["username"]).one()
        chosen = create_image(user, caption=f"A {word} crossing")
        create_image(user, caption="Something else entirely")
        index_image(session.get(Image, chosen.id))
        session.commit()
        chosen_id = chosen.id
    login(page, moderator["username"], moderator["password"])
    page.goto("/admin/picks/")
    page.fill("#pick-q", word)
    box = page.locator(f'[data-picks-grid] input[value="{chosen_id}"]')
    box.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-picks-grid] .pick-choice').length === 1"
    )
    box.check()
    assert page.locator("[data-picks-chosen]").inner_text() == "1 chosen"
    day = page.input_value("#pick-date")  # today (the test clock's), on the calendar below
    with page.expect_navigation():
        page.click("#pick-add [type=submit]")
    assert f"Picked 1 image for {day}." in page.content()
    row = page.locator(f'[data-date="{day}"] [data-pick] a[href="/images/{chosen_id}"]')
    assert row.count() == 1
