"""In a real browser: make an API token from the navbar menu, use it from a script
(no cookies, no CSRF), see its last use, revoke it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.support.factories import create_image, create_user


def post_like(url: str, secret: str) -> int:
    request = urllib.request.Request(
        url, method="POST", headers={"Authorization": f"Bearer {secret}"}, data=b""
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            json.load(answer)
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_token_journey(page, live_server, login):
    member = live_server.create_user()
    with live_server.app_context():
        image_id = create_image(create_user(member["username"] + "x")).id
    login(page, member["username"], member["password"])

    page.locator(".navbar").locator(f"text={member['username']}").click()
    with page.expect_navigation():
        page.click("text=API tokens")
    page.fill("input[name=name]", "my <b>script</b>")
    page.select_option("select[name=expires_in_days]", "30")
    with page.expect_navigation():
        page.click("form[name=token_form] [type=submit]")
    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("gal_")
    row = page.locator("#tokens tbody tr").first
    assert "my <b>script</b>" in row.inner_text()  # shown as text, not markup
    assert "never" in row.locator(".last-used").inner_text()

    like_url = live_server(f"/api/images/{image_id}/like")
    assert post_like(like_url, secret) == 200

    page.goto("/account/tokens")
    assert secret not in page.content()  # shown once only
    row = page.locator("#tokens tbody tr").first
    assert "never" not in row.locator(".last-used").inner_text()
    with page.expect_navigation():
        row.locator("text=Revoke").click()
    assert page.locator("text=was revoked").is_visible()
    assert post_like(like_url, secret) == 401
