"""Admin actions end to end: hide/restore across feeds and API, purge files (local and the
Qiniu emulator), reports, picks, users, CSRF, escaping, the dashboard and `flask purge`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.feeds.views import record_daily_views
from gallery.models import (
    HIDDEN,
    PENDING,
    VISIBLE,
    AuditLog,
    Image,
    OperationRun,
    Report,
    utcnow,
)
from tests.support.auth import csrf, login_as
from tests.support.environment import StrictTemplateUndefined
from tests.support.factories import create_comment, create_image, create_user

XSS = "<script>alert(1)</script>"


@pytest.fixture
def mod(app: Any, client: Any) -> Any:
    user = create_user("mod", roles=("moderator",))
    login_as(client, user)
    return user


def action(client: Any, view: str, name: str, *ids: int, token: str | None = None) -> Any:
    data = {"action": name, "rowid": [str(i) for i in ids]}
    if token is not False:
        data["csrf_token"] = token or csrf(client)
    return client.post(f"/admin/{view}/action/", data=data)


def stored_image(app: Any, author: Any, caption: str = "stored") -> Image:
    """An image with real files in the configured storage, through the uploads service."""
    from gallery.media.ingest import ingest
    from tests.support.sample_images import jpeg

    result = ingest(author, jpeg(), caption=caption)
    db.session.commit()
    return result.image


def public_ids(app: Any, path: str) -> list[int]:
    """Ids of the items a visitor (no cookie) gets from an API list."""
    response = app.test_client().get(path)
    assert response.status_code == 200, path
    return [item["id"] for item in response.json["items"]]


def audits(action_name: str) -> list[AuditLog]:
    return db.session.scalars(
        select(AuditLog).where(AuditLog.action == action_name).order_by(AuditLog.id)
    ).all()


def test_hide_is_immediate_everywhere_and_restore_brings_it_back(app, client, mod) -> None:
    from gallery.feeds import hot, picks

    author = create_user("alice")
    image = create_image(author, caption="the lake", views=50, like_count=5)
    create_image(author, caption="other")
    hot.rebuild_hot()
    today = utcnow().date()
    picks.schedule_pick(today, image, mod)
    db.session.commit()
    visitor = app.test_client()
    lists = ("/api/images", "/api/hot", f"/api/picks?date={today.isoformat()}")
    for path in lists:  # fill the visitor caches first
        assert image.id in public_ids(app, path), path
    assert visitor.get(f"/api/images/{image.id}").status_code == 200

    listing = client.get("/admin/image/").get_data(as_text=True)
    assert listing.count('data-row-action="hide"') == 2  # a one-click Hide on each row
    assert action(client, "image", "hide", image.id).status_code == 302
    db.session.refresh(image)
    assert image.status == HIDDEN
    listing = client.get("/admin/image/").get_data(as_text=True)
    assert listing.count('data-row-action="hide"') == 1
    assert listing.count('data-row-action="restore"') == 1
    for path in lists:
        assert image.id not in public_ids(app, path), path
    assert visitor.get(f"/api/images/{image.id}").status_code == 404
    assert visitor.get(f"/images/{image.id}").status_code == 404
    [entry] = audits("image.hide")
    assert entry.before["status"] == VISIBLE and entry.after["status"] == HIDDEN
    assert (entry.actor_name, entry.origin) == ("mod", "admin")

    assert action(client, "image", "restore", image.id).status_code == 302
    for path in ("/api/images", f"/api/picks?date={today.isoformat()}"):
        assert image.id in public_ids(app, path), path
    assert visitor.get(f"/api/images/{image.id}").status_code == 200
    assert audits("image.restore")[0].after["status"] == VISIBLE


def test_purge_now_removes_the_rows_and_every_local_file(app, client, mod) -> None:
    from gallery.media.storage import get_storage

    image = stored_image(app, create_user("alice"))
    storage = get_storage()
    keys = set(storage.keys())
    assert len(keys) == 3  # thumb, medium, original
    image_id = image.id
    assert action(client, "image", "purge", image_id).status_code == 302
    db.session.expire_all()
    assert db.session.get(Image, image_id) is None
    assert set(storage.keys()) == set()
    assert audits("image.purge")[0].before["storage_key"] == image.storage_key


def test_purge_now_removes_the_files_from_qiniu(app, client, mod, kodo) -> None:
    from tests.support.qiniu_emulator import use_qiniu

    use_qiniu(app, kodo)
    image = stored_image(app, create_user("alice"))
    assert len(kodo.objects) == 3
    assert action(client, "image", "purge", image.id).status_code == 302
    assert kodo.objects == {}
    assert db.session.scalars(select(Image)).all() == []


def test_report_resolve_by_hiding_then_reopen_through_the_inbox(app, client, mod) -> None:
    image = create_image(create_user("alice"), caption="reported")
    from gallery.moderation.reports import create_report

    for name in ("r1", "r2"):
        create_report(create_user(name), "image", image.id, "spam", f"{XSS} from {name}")
    db.session.commit()
    inbox = client.get("/admin/reports/").get_data(as_text=True)
    assert f'data-target="image-{image.id}"' in inbox
    assert "2 reports<" in inbox
    token = csrf(client)
    form = {"target_type": "image", "target_id": str(image.id), "csrf_token": token}
    response = client.post(
        "/admin/reports/decide",
        data={**form, "decision": "resolve", "action": "hide", "note": "spam ring"},
    )
    assert response.status_code == 302
    db.session.refresh(image)
    assert image.status == HIDDEN
    reports = db.session.scalars(select(Report)).all()
    assert {r.status for r in reports} == {"resolved"}
    assert {r.resolution for r in reports} == {"hidden: spam ring"}
    assert 'data-target="image-' not in client.get("/admin/reports/").get_data(as_text=True)
    resolved = client.get("/admin/reports/?status=resolved").get_data(as_text=True)
    assert f'data-target="image-{image.id}"' in resolved

    client.post("/admin/reports/decide", data={**form, "decision": "reopen"})
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Report))} == {"open"}
    assert len(audits("report.resolve")) == 2 and len(audits("report.reopen")) == 2
    assert image.status == HIDDEN  # reopening a report does not undo the hide

    client.post("/admin/reports/decide", data={**form, "decision": "dismiss"})
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Report))} == {"dismissed"}


def test_bulk_actions_without_a_csrf_token_are_refused(app, client, mod) -> None:
    author = create_user("alice")
    image = create_image(author)
    comment = create_comment(image, author)
    for view, target in (("image", image.id), ("comment", comment.id)):
        response = action(client, view, "hide", target, token=False)
        assert response.status_code == 400
        assert action(client, view, "hide", target, token="forged").status_code == 400
    refused = client.post(
        "/admin/reports/decide",
        data={"decision": "dismiss", "target_type": "image", "target_id": str(image.id)},
    )
    assert refused.status_code == 400
    db.session.refresh(image)
    db.session.refresh(comment)
    assert image.status == VISIBLE and comment.status == VISIBLE
    assert db.session.scalars(select(AuditLog)).all() == []


def test_user_text_is_escaped_in_the_admin_lists(app, client) -> None:
    admin = create_user("boss", roles=("admin",))
    evil = create_user("evil")
    image = create_image(evil, caption=XSS, status=PENDING)
    comment = create_comment(image, evil, XSS)
    db.session.add(
        Report(
            reporter_id=admin.id,
            target_type="comment",
            target_id=comment.id,
            reason="spam",
            details=XSS,
        )
    )
    from gallery.moderation import actions as moderation

    moderation.hide_comment(comment, admin, "admin", reason=XSS)
    db.session.commit()
    login_as(client, admin)
    for path in (
        "/admin/image/",
        "/admin/queue/",
        "/admin/comment/",
        "/admin/audit/",
        "/admin/reports/",
        f"/admin/image/details/?id={image.id}",
        "/admin/",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html, path
    assert "&lt;script&gt;alert(1)" in client.get("/admin/comment/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in client.get("/admin/audit/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("shop_url", "saved"),
    [
        ("https://shop.example/item?a=1", True),
        ("javascript:alert(1)", False),
        ("ftp://files.example/x", False),
        ("//evil.example", False),
    ],
)
def test_edit_caption_and_shop_link(app, client, mod, shop_url, saved) -> None:
    image = create_image(create_user("alice"), caption="old")
    response = client.post(
        f"/admin/image/edit/?id={image.id}",
        data={
            "caption": "new caption",
            "shop_title": "Buy it",
            "shop_url": shop_url,
            "csrf_token": csrf(client),
        },
    )
    db.session.refresh(image)
    if saved:
        assert response.status_code == 302
        assert (image.caption, image.shop_url) == ("new caption", shop_url)
        [entry] = audits("image.edit")
        assert entry.before["caption"] == "old" and entry.after["shop_url"] == shop_url
    else:
        assert response.status_code == 200  # the form again, with the error
        assert "http:// or https://" in response.get_data(as_text=True)
        assert (image.caption, image.shop_url) == ("old", None)


def test_approve_and_reject_in_the_queue(app, client, mod) -> None:
    author = create_user("crawler")
    first = create_image(author, status=PENDING, source="crawl")
    second = create_image(author, status=PENDING, source="crawl")
    listing = client.get("/admin/queue/").get_data(as_text=True)
    assert f'value="{first.id}"' in listing and f'value="{second.id}"' in listing
    action(client, "queue", "approve", first.id)
    action(client, "queue", "reject", second.id)
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == (VISIBLE, "rejected")
    assert first.id in public_ids(app, "/api/images")


def test_picks_view_adds_moves_and_removes(app, client, mod) -> None:
    author = create_user("alice")
    images = [create_image(author, caption=f"pick {i}") for i in range(3)]
    day = utcnow().date() + dt.timedelta(days=2)
    token = csrf(client)
    chosen = action(client, "image", "pick", images[0].id, images[1].id, token=token)
    assert chosen.status_code == 302  # "Pick for a date…" opens the picks form with them
    form = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'name="image_id" value="(\d+)"', form) == [
        str(images[0].id),
        str(images[1].id),
    ]
    response = client.post(
        "/admin/picks/add",
        data={
            "date": day.isoformat(),
            "image_id": [str(i.id) for i in images],
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert public_ids(app, f"/api/picks?date={day}") == [i.id for i in images]
    page = client.get(f"/admin/picks/?around={day}").get_data(as_text=True)
    pick_ids = [int(x) for x in re.findall(r'data-pick="(\d+)"', page)]
    assert len(pick_ids) == 3
    client.post(
        "/admin/picks/move", data={"pick_id": pick_ids[2], "position": 1, "csrf_token": token}
    )
    assert public_ids(app, f"/api/picks?date={day}") == [images[2].id, images[0].id, images[1].id]
    client.post("/admin/picks/remove", data={"pick_id": pick_ids[0], "csrf_token": token})
    assert public_ids(app, f"/api/picks?date={day}") == [images[2].id, images[1].id]
    assert (
        client.post(
            "/admin/picks/add", data={"date": "tomorrow", "image_id": "1", "csrf_token": token}
        ).status_code
        == 400
    )


def test_deactivated_user_is_logged_out_and_reactivated(app, client) -> None:
    admin = create_user("boss", roles=("admin",))
    member = create_user("bob")
    create_image(member)
    login_as(client, admin)
    assert action(client, "user", "deactivate", member.id).status_code == 302
    db.session.refresh(member)
    assert member.active is False
    other = app.test_client()
    login_as(other, member)  # an existing session of the deactivated member
    page = other.get("/no-such-page").get_data(as_text=True)
    assert ">bob<" not in page and "/login" in page
    action(client, "user", "reactivate", member.id)
    db.session.refresh(member)
    assert member.active is True
    assert [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))] == [
        "user.deactivate",
        "user.reactivate",
    ]
    # an admin cannot lock themselves out
    action(client, "user", "deactivate", admin.id)
    db.session.refresh(admin)
    assert admin.active is True


def test_hide_all_content_of_a_user(app, client) -> None:
    admin = create_user("boss", roles=("admin",))
    spammer = create_user("spammer")
    images = [create_image(spammer) for _ in range(2)]
    comment = create_comment(create_image(admin), spammer, "buy now")
    login_as(client, admin)
    action(client, "user", "hide_all", spammer.id)
    db.session.expire_all()
    assert {db.session.get(Image, i.id).status for i in images} == {HIDDEN}
    assert db.session.get(type(comment), comment.id).status == HIDDEN
    assert audits("user.hide_all")[0].after == {"images": 2, "comments": 1}


def test_dashboard_shows_the_figures(app, client) -> None:
    login_as(client, create_user("olga", roles=("operator",)))  # the dashboard is the operators'
    author = create_user("alice")
    create_image(author, byte_size=2048)
    create_image(author, byte_size=1024, status=PENDING)
    reported = create_image(author)
    from gallery.moderation.reports import create_report

    create_report(create_user("r"), "image", reported.id, "spam", "")
    db.session.commit()

    today = utcnow().date()
    with db.engine.begin() as connection:  # what the view-counter flush does
        record_daily_views(connection, 40, today)
        record_daily_views(connection, 2, today)
        record_daily_views(connection, 7, today - dt.timedelta(days=3))
        record_daily_views(connection, 1000, today - dt.timedelta(days=40))
    html = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-stat="open-reports">1<', html)
    assert re.search(r'data-stat="pending">1<', html)
    assert 'data-stat="storage" title="3072 bytes"' in html
    assert html.count('<svg class="chart') == 4
    totals = dict(
        re.findall(
            r'<span class="font-weight-bold text-dark">(\w[\w-]*)</span>\s*'
            r"<span>(\d+) in 30 days",
            html,
        )
    )
    assert totals == {"Uploads": "3", "Views": "49", "Comments": "0", "Sign-ups": "3"}
    assert f"<title>{today.isoformat()}: 42</title>" in html
    # the site's user menu, with logout as a POST form carrying the CSRF token
    logout = re.search(
        r'<form method="post" action="/logout"[^>]*>\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]+">',
        html,
    )
    assert logout, "the admin navbar has the POST logout form"


def test_flask_purge_takes_only_what_was_hidden_long_enough(app, runner) -> None:
    author = create_user("alice")
    days = app.config["PURGE_RETENTION_DAYS"]
    old = create_image(author, status=HIDDEN, hidden_at=utcnow() - dt.timedelta(days=days + 1))
    recent = create_image(author, status=HIDDEN, hidden_at=utcnow() - dt.timedelta(days=1))
    visible = create_image(author, created_at=utcnow() - dt.timedelta(days=300))
    ids = (old.id, recent.id, visible.id)
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0 and f"image {old.id}" in dry.output
    assert db.session.get(Image, old.id) is not None
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1" in result.output
    db.session.expire_all()
    assert [db.session.get(Image, i) is not None for i in ids] == [False, True, True]
    [entry] = audits("image.purge")
    assert (entry.origin, entry.actor_name) == ("cli", "system")
    run = db.session.scalars(select(OperationRun).where(OperationRun.kind == "purge")).one()
    assert run.status == "finished" and run.counts == {"purged": 1}
    refused = runner.invoke(args=["purge", "--image", str(visible.id)])
    assert refused.exit_code != 0 and "hide it first" in refused.output
    now = runner.invoke(args=["purge", "--image", str(recent.id)])
    assert now.exit_code == 0 and "purged 1" in now.output


def listed(client: Any, url: str) -> set[int]:
    """The row ids an admin list shows."""
    html = client.get(url).get_data(as_text=True)
    return {int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)}


def test_image_and_comment_filters_search_and_sort(app, client, mod) -> None:
    alice, bob = create_user("alice"), create_user("bob")
    lake = create_image(alice, caption="a quiet lake", views=5)
    hidden = create_image(alice, caption="hidden one", status=HIDDEN, views=50)
    crawled = create_image(bob, caption="crawled", source="crawl", status=PENDING)
    reported = create_image(bob, caption="reported", views=500)
    from gallery.moderation.reports import create_report

    create_report(alice, "image", reported.id, "spam", "")
    kind = create_comment(lake, bob, "kind words")
    create_comment(lake, alice, "other words", status=HIDDEN)
    db.session.commit()
    cases = {
        "/admin/image/?flt0_status_equals=hidden": {hidden.id},
        "/admin/image/?flt0_source_equals=crawl": {crawled.id},
        "/admin/image/?flt0_author_equals=bob": {crawled.id, reported.id},
        "/admin/image/?flt0_has_reports_is=1": {reported.id},
        "/admin/image/?flt0_has_reports_is=0": {lake.id, hidden.id, crawled.id},
        "/admin/image/?search=lake": {lake.id},
        "/admin/image/?search=bob": {crawled.id, reported.id},
        "/admin/queue/": {crawled.id},
        "/admin/comment/?flt0_status_equals=visible": {kind.id},
        "/admin/comment/?search=kind": {kind.id},
    }
    for url, expected in cases.items():
        assert listed(client, url) == expected, url
    by_views = client.get("/admin/image/?sort=7&desc=1").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'class="action-checkbox" value="(\d+)"', by_views)]
    views = {i.id: i.views for i in (lake, hidden, crawled, reported)}
    assert [views[i] for i in order] == sorted(views.values(), reverse=True)


def test_admin_changes_roles_with_an_audit_entry(app, client) -> None:
    admin = create_user("boss", roles=("admin",))
    member = create_user("bob")
    login_as(client, admin)
    form = client.get(f"/admin/user/edit/?id={member.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="member">|<option value="member" selected', form)
    response = client.post(
        f"/admin/user/edit/?id={member.id}",
        data={"active": "y", "role_names": ["member", "moderator"], "csrf_token": csrf(client)},
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert sorted(r.name for r in member.roles) == ["member", "moderator"]
    [entry] = audits("user.roles")
    assert entry.before == {"active": True, "roles": ["member"]}
    assert entry.after == {"active": True, "roles": ["member", "moderator"]}
    assert (
        client.get("/admin/user/?search=bob").get_data(as_text=True).count("member, moderator") == 1
    )


def test_admin_pages_render_with_strict_undefined(app, client) -> None:
    """A typo in an admin template fails here instead of rendering as empty text."""
    assert app.jinja_env.undefined is StrictTemplateUndefined
    admin = create_user("boss", roles=("admin",))
    image = create_image(admin)
    comment = create_comment(image, admin)
    from gallery.moderation.reports import create_report

    create_report(create_user("reporter"), "comment", comment.id, "spam", "details")
    db.session.commit()
    login_as(client, admin)
    for path in (
        "/admin/",
        "/admin/reports/",
        "/admin/image/",
        f"/admin/image/edit/?id={image.id}",
        f"/admin/image/details/?id={image.id}",
        "/admin/queue/",
        "/admin/comment/",
        "/admin/picks/",
        "/admin/user/",
        f"/admin/user/edit/?id={admin.id}",
        "/admin/audit/",
        "/admin/operations/",
    ):
        assert client.get(path).status_code == 200, path
