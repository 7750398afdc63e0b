"""In a real browser: a moderator resolves a report by hiding the image, and the image is
gone from the home page (for the moderator and for a visitor whose cache was warm)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import unique

pytestmark = pytest.mark.e2e


def reported_image(live_server: Any) -> int:
    """A visible image by a member, reported by another member."""
    from gallery.caching import cache
    from gallery.models import User
    from gallery.moderation.reports import create_report
    from tests.support.factories import create_image

    author = live_server.create_user(unique("artist"))
    reporter = live_server.create_user(unique("reporter"))
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=author["username"]).one()
        image_id = create_image(user, caption="Reported harbour").id
        by = session.query(User).filter_by(username=reporter["username"]).one()
        create_report(by, "image", image_id, "spam", "selling fake watches")
        session.commit()
        cache.bump_generation()  # what an upload does: earlier tests' cached pages go stale
    return image_id


def test_moderator_resolves_a_report_by_hiding_the_image(
    page: Any, browser: Any, live_server: Any, login: Any
) -> None:
    image_id = reported_image(live_server)
    card = f'a[href="/images/{image_id}"]'
    visitor = browser.new_context(base_url=live_server.url)
    visitor_page = visitor.new_page()
    try:
        visitor_page.goto("/")
        assert visitor_page.locator(card).count() > 0  # on the home page, and now cached

        moderator = live_server.create_user(unique("mod"), roles=("moderator",))
        login(page, moderator["username"], moderator["password"], "/admin/reports/")
        assert page.url.endswith("/admin/reports/")
        row = page.locator(f'[data-target="image-{image_id}"]')
        assert "selling fake watches" in row.inner_text()
        assert "1 report " in row.inner_text()  # singular
        row.locator("select[name=action]").select_option("hide")
        row.locator("input[name=note]").fill("spam")
        with page.expect_navigation():
            row.get_by_role("button", name="Resolve").click()
        assert "Resolve: 1 report on image" in page.locator(".alert").first.inner_text()
        assert page.locator(f'[data-target="image-{image_id}"]').count() == 0

        page.goto("/")
        assert page.locator(card).count() == 0
        visitor_page.reload()
        assert visitor_page.locator(card).count() == 0
        assert visitor_page.goto(f"/images/{image_id}").status == 404
    finally:
        visitor.close()
