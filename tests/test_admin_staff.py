"""The admin panel as a new staff member sees it: both languages, ranks and points instead of
raw hot scores, plurals, and no destructive resolve action chosen in advance."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from gallery.extensions import db
from gallery.moderation.reports import create_report
from tests.support.auth import csrf, login_as
from tests.support.factories import create_image, create_user


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
    refused = client.post(
        "/admin/reports/decide",
        data={
            "csrf_token": csrf(client),
            "decision": "resolve",
            "target_type": "image",
            "target_id": str(image.id),
            "action": "",
        },
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400
