"""UI languages: Accept-Language, the navbar switcher's cookie, Flask-Security's texts,
mails, JSON errors, and the health of the Chinese catalogues."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.support.accounts import register
from tests.support.auth import csrf_token_from
from tests.support.factories import create_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "site" / "translations" / "zh" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["zh", "zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"])
def test_accept_language_chinese(client, header):
    html = text(client.get("/login", headers={"Accept-Language": header}))
    assert '<html lang="zh-Hans-CN">' in html
    assert "登录" in html and "Log in" not in html
    assert "邮箱地址或用户名" in html  # our login form label
    assert "记住我" in html  # Flask-Security's own catalogue


@pytest.mark.parametrize("header", [None, "en-US,en;q=0.9", "fr-FR", "de"])
def test_other_languages_get_english(client, header):
    headers = {"Accept-Language": header} if header else {}
    html = text(client.get("/login", headers=headers))
    assert '<html lang="en">' in html
    assert "Log in" in html and "登录" not in html


def test_switcher_sets_the_cookie_and_the_page_comes_out_in_chinese(client):
    english = {"Accept-Language": "en"}
    page = text(client.get("/register", headers=english))
    assert 'href="/lang/zh?next=/register"' in page  # the navbar offers the switch
    response = client.get("/lang/zh", query_string={"next": "/register"}, headers=english)
    assert response.status_code == 302
    assert response.headers["Location"] == "/register"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh;") and "Max-Age=" in cookie and "SameSite=Lax" in cookie
    html = text(client.get("/register", headers=english))
    assert "创建账号" in html and "Create an account" not in html
    assert "用户名" in html and "邮箱地址" in html  # field labels of Flask-Security's form

    client.get("/lang/en", query_string={"next": "/register"})
    assert "Create an account" in text(client.get("/register", headers={"Accept-Language": "zh"}))


def test_switcher_ignores_unknown_languages(client):
    response = client.get("/lang/xx", query_string={"next": "/login"})
    assert response.status_code == 302
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_login_error_in_chinese(client):
    create_user("alice")
    client.set_cookie("lang", "zh")
    response = client.post(
        "/login",
        data={"identity": "alice", "password": "wrong", "csrf_token": csrf_token_from(client)},
    )
    assert "邮箱/用户名与密码不匹配" in text(response)


def test_registration_mail_in_chinese(app, client):
    client.set_cookie("lang", "zh")
    register(client, "xiaoming", "xiaoming@example.com")
    (mail,) = app.extensions["mailman"].outbox
    assert mail.subject == "欢迎来到 Gallery：请确认你的邮箱地址"
    assert "请打开这个链接确认你的邮箱地址" in mail.body
    html = dict((kind, body) for body, kind in mail.alternatives)["text/html"]
    assert '<html lang="zh-Hans-CN">' in html and "确认我的邮箱地址" in html


def test_json_errors_in_chinese(client):
    response = client.get("/api/no-such-thing", headers={"Accept-Language": "zh"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "这里什么也没有。"}


@pytest.mark.parametrize("domain", ["messages", "flask_security"])
def test_catalogue_is_complete_and_compiled(domain):
    po_path = TRANSLATIONS / f"{domain}.po"
    catalog = read_po(io.BytesIO(po_path.read_bytes()))
    entries = [message for message in catalog if message.id]
    assert entries
    for message in entries:
        # a plural entry (ngettext) has a tuple of ids and a tuple of forms
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"fuzzy: {message.id!r}"
        for form in forms:
            assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(form)), (
                f"placeholders differ: {message.id!r}"
            )
    compiled = read_mo(io.BytesIO((TRANSLATIONS / f"{domain}.mo").read_bytes()))

    def table(messages: Any) -> dict[Any, Any]:
        """id -> translation, plural ids and forms as tuples (the .mo reader gives lists)."""
        as_key = lambda v: tuple(v) if isinstance(v, list | tuple) else v  # noqa: E731
        return {as_key(m.id): as_key(m.string) for m in messages if m.id}

    assert table(compiled) == table(entries), (
        f"{domain}.mo is stale: run `make translations-compile`"
    )


@pytest.mark.fresh_app  # adds a route
def test_permission_errors_in_chinese(app, client, auth):
    from gallery.roles import permission_required

    @app.post("/api/test/hide")
    @permission_required("image-hide")
    def hide() -> dict[str, bool]:
        return {"ok": True}

    create_user("alice")
    auth.login("alice", "password-alice")
    response = client.post(
        "/api/test/hide", headers={"X-CSRFToken": auth.csrf_token(), "Accept-Language": "zh"}
    )
    assert response.status_code == 403
    assert response.get_json()["message"] == "你没有权限这样做（image-hide）。"


def test_every_ui_text_has_a_chinese_translation():
    """Every _()/_l() text in site/ and templates/ is in messages.po with a msgstr.

    Fails after new UI text is added: run `make translations`, fill in the empty
    msgstr lines of site/translations/zh/LC_MESSAGES/messages.po, then
    `make translations-compile`.
    """
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    catalog = read_po(io.BytesIO((TRANSLATIONS / "messages.po").read_bytes()))
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and m.string and "fuzzy" not in m.flags
    }
    assert found, "nothing extracted: check babel.cfg"
    assert sorted(found - translated) == []


def test_templates_find_the_catalogue_once_per_request_and_locale(app, client):
    """The templates' _() keeps the request's catalogue (speed); a forced locale (a mail
    in the recipient's language) still gets its own, and the next request starts afresh."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Latest') }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page) == "Latest"
        with force_locale("zh_Hans_CN"):
            assert render_template_string(page) == "最新"
        assert render_template_string(page) == "Latest"
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">Latest<" in english and ">最新<" in chinese
