"""The admin panel as a new staff member sees it: both languages, ranks and points instead of
raw hot scores, plurals, and no destructive resolve action chosen in advance."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from gallery.extensions import db
from gallery.feeds.picks import picks_for
from gallery.moderation.reports import create_report
from tests.support.auth import csrf, login_as
from tests.support.factories import create_image, create_user


def resolve(client: Any, image_id: int, action: str) -> Any:
    """Resolve the reports on an image from the inbox, noting `action` as taken."""
    return client.post(
        "/admin/reports/decide",
        data={
            "csrf_token": csrf(client),
            "decision": "resolve",
            "target_type": "image",
            "target_id": str(image_id),
            "action": action,
        },
        headers={"Accept": "application/json"},
    )


def test_dashboard_shows_rank_and_points_not_raw_scores(app: Flask, client: Any) -> None:
    author = create_user("alice")
    image = create_image(author, views=20, comment_count=1, like_count=0, hot_score=5058.21)
    db.session.commit()
    client.application.test_cli_runner().invoke(args=["hot", "rebuild"])
    login_as(client, create_user("olga", roles=("operator",)))
    page = client.get("/admin/").get_data(as_text=True)
    assert "5058.21" not in page
    # 20 views × 1 + 1 comment × 3 = 23 points
    assert re.search(r"#1 · 23 points · 20 views", page), page[page.find('data-list="hot"') :][:600]
    assert f"/images/{image.id}" in page


def test_admin_speaks_chinese_with_a_language_switch(app: Flask, client: Any) -> None:
    login_as(client, create_user("olga", roles=("operator",)))
    english = client.get("/admin/").get_data(as_text=True)
    assert "data-language-switch" in english and "/lang/zh" in english
    assert ">Uploads<" in english
    client.set_cookie("lang", "zh")
    chinese = client.get("/admin/").get_data(as_text=True)
    assert ">上传<" in chinese and ">注册<" in chinese and ">Uploads<" not in chinese
    assert "1月" in chinese  # the axis dates in Chinese


def test_report_counts_are_plural_and_nothing_destructive_is_preselected(
    app: Flask, client: Any
) -> None:
    image = create_image(create_user("alice"))
    create_report(create_user("rita"), "image", image.id, "spam", "")
    db.session.commit()
    login_as(client, create_user("mona", roles=("moderator",)))
    page = client.get("/admin/reports/").get_data(as_text=True)
    assert "1 report<" in page and "report(s)" not in page
    select = page[page.find('<select name="action"') :]
    select = select[: select.find("</select>")]
    assert re.search(r'<option value="" selected disabled>', select)
    assert 'value="hide" selected' not in select
    assert resolve(client, image.id, "").status_code == 400


@pytest.mark.parametrize(
    ("visitor", "roles", "home"),
    [
        ("moderator", ("moderator",), "/admin/reports/"),
        ("operator", ("operator",), None),
        ("admin", ("admin",), None),
    ],
)
def test_admin_home_matches_the_roles(
    app: Flask, client: Any, visitor: str, roles: tuple[str, ...], home: str | None
) -> None:
    """The README gives the dashboard to operators: a moderator landing on /admin gets the
    reports inbox, and the menu has no Dashboard for them."""
    login_as(client, create_user(f"v-{visitor}", roles=roles))
    response = client.get("/admin/")
    if home is None:
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'data-stat="storage"' in page and 'data-list="hot"' in page
        assert ">Dashboard<" in page
    else:
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == home
        inbox = client.get(home).get_data(as_text=True)
        assert ">Dashboard<" not in inbox and 'data-stat="storage"' not in inbox
        assert ">Reports<" in inbox


def test_admin_home_is_refused_to_members(app: Flask, client: Any) -> None:
    login_as(client, create_user("mia"))
    assert client.get("/admin/").status_code == 403


def flashed(client: Any) -> str:
    """The flash messages of the next page."""
    with client.session_transaction() as session:
        return " ".join(str(message) for _, message in session.get("_flashes", []))


@pytest.mark.parametrize(
    ("reporters", "lang", "expected"),
    [
        (1, "en", "Resolve: 1 report on image"),
        (2, "en", "Resolve: 2 reports on image"),
        (2, "zh", "上的 2 条举报"),
    ],
)
def test_resolve_flash_is_plural_in_both_languages(
    app: Flask, client: Any, reporters: int, lang: str, expected: str
) -> None:
    image = create_image(create_user("alice"))
    for n in range(reporters):
        create_report(create_user(f"rita{n}"), "image", image.id, "spam", "")
    db.session.commit()
    login_as(client, create_user("mona", roles=("moderator",)))
    client.set_cookie("lang", lang)
    assert resolve(client, image.id, "none").status_code == 302
    message = flashed(client)
    assert expected in message and "(s)" not in message


def test_the_admin_in_chinese_translates_values_titles_and_columns(app: Flask, client: Any) -> None:
    image = create_image(create_user("alice"), caption="a lake")
    create_report(create_user("rita"), "image", image.id, "harassment", "")
    db.session.commit()
    login_as(client, create_user("ada", roles=("admin",)))
    client.set_cookie("lang", "zh")
    inbox = client.get("/admin/reports/").get_data(as_text=True)
    assert "<title>举报 · Gallery 管理后台</title>" in inbox, inbox[:400]
    assert 'data-reason="harassment">骚扰 × 1<' in inbox
    assert 'data-status="visible">可见<' in inbox
    assert "<strong>图片 #" in inbox
    assert "harassment ×" not in inbox and ">visible<" not in inbox
    images = client.get("/admin/image/").get_data(as_text=True)
    for heading in ("作者", "状态", "来源", "热度分", "浏览"):
        assert heading in images, heading
    assert ">Author<" not in images and ">Status<" not in images
    assert ">可见<" in images and re.search(r">\s*上传\s*<", images)  # status and source values
    assert "添加筛选" in images or "过滤" in images or "筛选" in images  # Flask-Admin's own zh
    details = client.get(f"/admin/image/details/?id={image.id}").get_data(as_text=True)
    assert "宽度" in details and "存储键" in details and ">Width<" not in details
    audit = client.get("/admin/audit/").get_data(as_text=True)
    assert "操作者" in audit and "目标类型" in audit and ">Actor<" not in audit
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "<title>仪表盘 · Gallery 管理后台</title>" in dashboard
    assert ">上传<" in dashboard and "1月" in dashboard  # chart title, axis date
    assert "data-language-switch" in dashboard and "/lang/en" in dashboard
    assert '<html lang="zh-Hans-CN">' in dashboard


def test_audit_log_shows_only_what_changed_and_wraps_long_values(app: Flask, client: Any) -> None:
    from gallery.moderation import actions as moderation

    image = create_image(create_user("alice"), caption="old caption", status="visible")
    db.session.commit()
    login_as(client, create_user("mona", roles=("moderator",)))
    long_caption = "a-very-long-caption-without-any-space-" * 8
    moderation.edit_image(image, None, "cli", caption=long_caption, shop_url=None, shop_title=None)
    db.session.commit()
    page = client.get("/admin/audit/").get_data(as_text=True)
    changes = page[page.find('<dl class="audit-changes') :]
    changes = changes[: changes.find("</dl>")]
    assert 'data-field="caption"' in changes
    assert "old caption" in changes and long_caption in changes and "→" in changes
    assert 'data-field="status"' not in changes  # unchanged keys are left out
    assert '"status": "visible"' not in page  # no dump of the whole state
    assert 'style="' not in changes  # wrapping comes from admin.css (the CSP blocks style="")
    css = (Path(app.static_folder) / "css" / "admin.css").read_text()
    rule = css[css.find(".audit-changes dd,") :]
    assert "overflow-wrap: anywhere" in rule[: rule.find("}")]


def test_edit_and_details_pages_name_what_they_show(app: Flask, client: Any) -> None:
    alice = create_user("alice")
    image = create_image(alice, caption="Lake at dawn")
    db.session.commit()
    login_as(client, create_user("ada", roles=("admin",)))
    user_page = client.get(f"/admin/user/edit/?id={alice.id}").get_data(as_text=True)
    assert '<h1 class="h4 mb-3" data-record-title>Edit user alice</h1>' in user_page
    assert "<title>Edit user alice · Gallery admin</title>" in user_page
    image_page = client.get(f"/admin/image/edit/?id={image.id}").get_data(as_text=True)
    assert f"Edit image #{image.id} “Lake at dawn”</h1>" in image_page
    details = client.get(f"/admin/image/details/?id={image.id}").get_data(as_text=True)
    assert f"Details of image #{image.id} “Lake at dawn”</h1>" in details
    client.set_cookie("lang", "zh")
    chinese = client.get(f"/admin/user/edit/?id={alice.id}").get_data(as_text=True)
    assert "编辑用户 alice</h1>" in chinese


def test_picks_are_chosen_from_a_searchable_thumbnail_grid(app: Flask, client: Any) -> None:
    from gallery.media.captions import index_image

    alice, bob = create_user("alice"), create_user("bob")
    lake = create_image(alice, caption="Misty lake at dawn #water")
    city = create_image(bob, caption="City lights")
    hidden = create_image(bob, caption="Another lake", status="hidden")
    for image in (lake, city, hidden):
        index_image(image)
    db.session.commit()
    login_as(client, create_user("mona", roles=("moderator",)))

    def found(q: str) -> list[int]:
        answer = client.get("/admin/picks/images", query_string={"q": q})
        assert answer.status_code == 200 and answer.is_json
        return [item["id"] for item in answer.get_json()["items"]]

    assert found("") == [city.id, lake.id]  # newest first, hidden ones never
    assert found("lake") == [lake.id]  # caption words
    assert found("#water") == [lake.id]  # tags
    assert found("bob") == [city.id] and found("@alice") == [lake.id]  # usernames
    assert found("@nobody") == []
    item = client.get("/admin/picks/images?q=lake").get_json()["items"][0]
    assert item["caption"] == "Misty lake at dawn #water" and item["author"] == "alice"
    assert "thumb_url" in item
    assert client.get("/admin/picks/images?cursor=garbage").status_code == 400

    page = client.get("/admin/picks/?q=lake").get_data(as_text=True)
    assert 'name="image_ids"' not in page  # no typing of ids any more
    boxes = re.findall(
        r'<input type="checkbox" name="image_id" value="(\d+)" form="pick-add">', page
    )
    assert boxes == [str(lake.id)]
    assert 'id="pick-add"' in page and "js/admin-picks.js" in page

    day = "2030-02-01"
    without_token = client.post("/admin/picks/add", data={"date": day, "image_id": [lake.id]})
    assert without_token.status_code == 400
    added = client.post(
        "/admin/picks/add",
        data={"date": day, "image_id": [str(lake.id), str(city.id)], "csrf_token": csrf(client)},
    )
    assert added.status_code == 302
    assert "Picked 2 images for 2030-02-01." in flashed(client)
    assert [image.id for image in picks_for(dt.date(2030, 2, 1))] == [lake.id, city.id]
