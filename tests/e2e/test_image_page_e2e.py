"""In a real browser: post a comment on the image page and see it appear without a
reload (as text, never as HTML), see an error inline, like and unlike an image."""

from __future__ import annotations

from typing import Any

from tests.support.live import unique


def member_and_image(live_server: Any) -> tuple[dict[str, str], int]:
    """A confirmed member and an image by another member."""
    from gallery.models import User
    from tests.support.factories import create_image

    member = live_server.create_user(unique("fan"))
    author = live_server.create_user(unique("artist"))
    with live_server.app_context() as session:
        user = session.query(User).filter_by(username=author["username"]).one()
        image_id = create_image(user, caption="A quiet harbour").id
    return member, image_id


def test_post_a_comment_and_see_it_appear(page: Any, live_server: Any, login: Any) -> None:
    member, image_id = member_and_image(live_server)
    login(page, member["username"], member["password"])
    page.goto(f"/images/{image_id}")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    form = page.locator("[data-comment-form]")
    form.locator("textarea").fill("   ")
    form.locator("[type=submit]").click()
    error = form.locator("[data-comment-error]")
    error.wait_for(state="visible")
    assert "empty" in error.inner_text()

    payload = 'Lovely! <img src=x onerror="window.__xss=1"> {{7*7}}'
    form.locator("textarea").fill(payload)
    comments_url = f"/api/images/{image_id}/comments"
    with page.expect_response(lambda r: r.url.endswith(comments_url)) as posted:
        form.locator("[type=submit]").click()
    assert posted.value.status == 201
    comment = page.locator(".g-comment-list .g-comment").last
    comment.wait_for()
    assert comment.locator("[data-slot=body]").inner_text() == payload
    assert comment.locator("[data-slot=author]").inner_text() == member["username"]
    assert comment.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("[data-comment-count]").first.inner_text() == "1"
    assert error.is_hidden()
    assert form.locator("textarea").input_value() == ""

    page.reload()  # it was stored, and the server renders it as text too
    assert page.locator(".g-comment [data-slot=body]").last.inner_text() == payload


def test_like_and_unlike(page: Any, live_server: Any, login: Any) -> None:
    member, image_id = member_and_image(live_server)
    login(page, member["username"], member["password"])
    page.goto(f"/images/{image_id}")
    button = page.locator("[data-like]")
    count = page.locator("dd[data-like-count]")
    assert button.get_attribute("aria-pressed") == "false" and count.inner_text() == "0"

    with page.expect_response(lambda r: r.url.endswith("/like") and r.request.method == "POST"):
        button.click()
    page.wait_for_function("document.querySelector('[data-like]').ariaPressed === 'true'")
    assert count.inner_text() == "1"
    assert "Liked" in button.inner_text()

    page.reload()  # the like is stored
    assert page.locator("[data-like]").get_attribute("aria-pressed") == "true"
    assert count.inner_text() == "1"

    with page.expect_response(lambda r: r.url.endswith("/like") and r.request.method == "DELETE"):
        page.locator("[data-like]").click()
    page.wait_for_function("document.querySelector('[data-like]').ariaPressed === 'false'")
    assert count.inner_text() == "0"


def test_visitor_sees_a_login_link_instead_of_the_comment_box(page: Any, live_server: Any) -> None:
    _, image_id = member_and_image(live_server)
    page.goto(f"/images/{image_id}")
    assert page.locator("[data-comment-form]").count() == 0
    assert page.locator(".g-comments a", has_text="Log in").is_visible()


def test_report_an_image(page: Any, live_server: Any, login: Any) -> None:
    from gallery.models import Report

    member, image_id = member_and_image(live_server)
    login(page, member["username"], member["password"])
    page.goto(f"/images/{image_id}")
    page.get_by_role("button", name="Report").click()
    form = page.locator("[data-report-form]")
    form.locator("select[name=reason]").select_option("copyright")
    form.locator("textarea[name=details]").fill("This is my photo.")
    with page.expect_response(lambda r: r.url.endswith("/api/reports")) as sent:
        form.get_by_role("button", name="Send report").click()
    assert sent.value.status == 201
    form.locator("[data-report-done]").wait_for(state="visible")
    with live_server.app_context() as session:
        report = session.query(Report).filter_by(target_type="image", target_id=image_id).one()
        assert (report.reason, report.details) == ("copyright", "This is my photo.")


def test_more_comments_load_in_place_without_duplicates(
    page: Any, live_server: Any, login: Any
) -> None:
    import datetime as dt

    from gallery.models import Image, User
    from tests.support.factories import create_comment

    member, image_id = member_and_image(live_server)
    with live_server.app_context() as session:
        image = session.get(Image, image_id)
        author = session.query(User).filter_by(username=member["username"]).one()
        start = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
        for i in range(25):
            create_comment(
                image,
                author,
                body=f"old comment {i:02d}",
                created_at=start + dt.timedelta(seconds=i),
            )
    login(page, member["username"], member["password"])
    page.goto(f"/images/{image_id}")
    bodies = page.locator(".g-comment-list .g-comment [data-slot=body]")
    assert bodies.count() == 20

    # a new comment first, then the older page: the older ones go above it
    page.locator("[data-comment-form] textarea").fill("fresh one")
    page.locator("[data-comment-form] [type=submit]").click()
    page.locator(".g-comment-list .g-comment.is-new").wait_for()
    with page.expect_response(lambda r: "/comments?cursor=" in r.url):
        page.locator("[data-comments-more]").click()
    page.wait_for_function("document.querySelectorAll('.g-comment-list .g-comment').length === 26")
    texts = bodies.all_inner_texts()
    assert texts == [f"old comment {i:02d}" for i in range(25)] + ["fresh one"]
    assert page.locator("[data-comments-more]").count() == 0
