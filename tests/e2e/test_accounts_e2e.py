"""In a real browser: register, confirm from the mail, log in, log out."""

from __future__ import annotations

import re

from tests.support.live import forget_browser, unique

LINK = re.compile(r"https?://\S+/confirm/[\w.\-]+")


def test_register_confirm_login_logout(page, live_server, login):
    username = unique("e2e")
    email = f"{username}@example.com"
    password = "violet tram under the lake"

    page.goto("/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.fill("input[name=password_confirm]", password)
    with page.expect_navigation():
        page.click("form[name=register_user_form] [type=submit]")

    mails = live_server.mails_to(email)
    assert len(mails) == 1, "exactly one confirmation mail"
    link = LINK.search(mails[0].body)
    assert link, mails[0].body
    # Registration does not log in (a taken address must look the same): the page
    # says that a mail is on its way, and the navbar still offers to log in.
    assert page.locator(f"text={email}").first.is_visible()
    assert username not in page.locator(".navbar").inner_text()

    page.goto(link.group(0))
    assert page.locator(".alert-success").first.is_visible()

    forget_browser(page)
    login(page, email, password)
    assert page.locator(".navbar").inner_text().count(username) == 1
    forget_browser(page)
    login(page, username, password)
    navbar = page.locator(".navbar")
    assert username in navbar.inner_text()

    navbar.locator(f"text={username}").click()
    with page.expect_navigation():
        page.click("text=Log out")
    assert username not in page.locator(".navbar").inner_text()
    assert page.locator(".navbar >> text=Log in").is_visible()


def test_wrong_password_shows_a_generic_error(page, live_server, login):
    user = live_server.create_user()
    login(page, user["username"], "not-the-password")
    assert "/login" in page.url
    error = page.locator(".alert-danger, .invalid-feedback").first.inner_text()
    assert error
    login(page, unique("nobody"), "not-the-password")
    assert page.locator(".alert-danger, .invalid-feedback").first.inner_text() == error


def test_language_switcher_turns_the_page_chinese(page, live_server):
    page.goto("/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.click(".navbar .dropdown-toggle >> text=English")
    with page.expect_navigation():
        page.click("text=简体中文")
    assert page.url.endswith("/login")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies["lang"] == "zh"
    page.goto("/register")
    assert page.locator("h1").inner_text() == "创建账号"


RESET_LINK = re.compile(r"https?://\S+/reset/[\w.\-]+")


def test_forgotten_password_is_replaced_through_the_mailed_link(page, live_server, login):
    user = live_server.create_user()
    page.goto("/login")
    page.click("text=Forgot password?")
    page.fill("input[name=email]", user["email"])
    with page.expect_navigation():
        page.click("form[name=forgot_password_form] [type=submit]")
    (mail,) = live_server.mails_to(user["email"])
    link = RESET_LINK.search(mail.body)
    assert link, mail.body

    page.goto(link.group(0))
    page.fill("input[name=password]", "violet tram under the lake")
    page.fill("input[name=password_confirm]", "violet tram under the lake")
    with page.expect_navigation():
        page.click("form[name=reset_password_form] [type=submit]")
    # a successful reset logs the member in with the new password
    assert user["username"] in page.locator(".navbar").inner_text()
    forget_browser(page)
    login(page, user["username"], "violet tram under the lake")
    assert user["username"] in page.locator(".navbar").inner_text()
