"""In a real browser: a moderator is sent to set up two-factor login before /admin,
scans (reads) the key, confirms a code computed from it, then logs in with codes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support.live import forget_browser
from tests.support.two_factor import code


@pytest.fixture
def staff_need_two_factor(live_server) -> Iterator[None]:
    config = live_server.app.config
    config["ADMIN_REQUIRES_TWO_FACTOR"] = True
    try:
        yield
    finally:
        config["ADMIN_REQUIRES_TWO_FACTOR"] = False


def test_staff_set_up_two_factor_then_log_in_with_codes(
    page, live_server, login, staff_need_two_factor
):
    mod = live_server.create_user(roles=["moderator"])
    login(page, mod["username"], mod["password"])

    page.goto("/admin/")
    assert "/tf-setup" in page.url
    expect(page.locator("text=Staff must turn on two-factor login")).to_be_visible()
    page.check("input[name=setup][value=authenticator]")
    with page.expect_navigation():
        page.click("form[name=two_factor_setup_form] [type=submit]")
    expect(page.locator("img#qrcode")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", code(key))
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")
    assert "/account/security" in page.url
    expect(page.locator("#two-factor .badge", has_text="On")).to_be_visible()
    assert any("turned on" in mail.body for mail in live_server.mails_to(mod["email"]))

    page.goto("/admin/")
    assert page.url.endswith("/admin/reports/")  # a moderator's home in the admin

    forget_browser(page)
    page.goto("/login")  # a fresh page load after the cookies are gone
    login(page, mod["username"], mod["password"])
    assert "/tf-validate" in page.url
    page.fill("input[name=code]", "000000")
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
    page.fill("input[name=code]", code(key))
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")
    assert mod["username"] in page.locator(".navbar").inner_text()
    page.goto("/admin/")
    assert page.url.endswith("/admin/reports/")  # a moderator's home in the admin


def test_remember_this_browser_skips_the_code(page, live_server, login):
    member = live_server.create_user()
    login(page, member["username"], member["password"])
    page.goto("/account/security")
    with page.expect_navigation():
        page.click("text=Set up two-factor login")
    page.check("input[name=setup][value=authenticator]")
    with page.expect_navigation():
        page.click("form[name=two_factor_setup_form] [type=submit]")
    key = page.locator("#totp-key").inner_text()
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", code(key))
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")

    forget_browser(page)
    page.goto("/login")
    page.fill("input[name=identity]", member["username"])
    page.fill("input[name=password]", member["password"])
    page.check("input[name=remember]")
    with page.expect_navigation():
        page.click("form[name=login_user_form] [type=submit]")
    page.fill("input[name=code]", code(key))
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")

    # log out (the session ends) and in again: this browser is remembered
    navbar = page.locator(".navbar")
    navbar.locator(f"text={member['username']}").click()
    with page.expect_navigation():
        page.click("text=Log out")
    login(page, member["username"], member["password"])
    assert "/tf-validate" not in page.url
    assert member["username"] in page.locator(".navbar").inner_text()
