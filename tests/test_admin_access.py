"""The admin access matrix: every admin view and action × every kind of visitor, one table."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import PENDING, AuditLog, utcnow
from tests.support.auth import csrf, login_as
from tests.support.factories import create_comment, create_image, create_user

VISITORS = {
    "anonymous": None,
    "unconfirmed": {"roles": ("member",), "confirmed": False},
    "member": {"roles": ("member",)},
    "moderator": {"roles": ("moderator",)},
    "operator": {"roles": ("operator",)},
    "admin": {"roles": ("admin",)},
}

MODERATORS = "moderator admin"
OPERATORS = "operator admin"
ADMINS = "admin"

# name, method, path, form (POST), who may: every POST must write an audit entry when allowed.
CASES = [
    # /admin itself (the dashboard or a moderator's redirect): tests/test_admin_staff.py
    ("reports inbox", "GET", "/admin/reports/?status=resolved", None, MODERATORS),
    (
        "report dismiss",
        "POST",
        "/admin/reports/decide",
        {"decision": "dismiss", "target_type": "image", "target_id": "{image}"},
        MODERATORS,
    ),
    (
        "report resolve by hiding",
        "POST",
        "/admin/reports/decide",
        {"decision": "resolve", "action": "hide", "target_type": "image", "target_id": "{image}"},
        MODERATORS,
    ),
    ("images list", "GET", "/admin/image/?search=lake&sort=3", None, MODERATORS),
    ("image details", "GET", "/admin/image/details/?id={image}", None, MODERATORS),
    ("image edit form", "GET", "/admin/image/edit/?id={image}", None, MODERATORS),
    (
        "image edit save",
        "POST",
        "/admin/image/edit/?id={image}",
        {"caption": "a new caption", "shop_title": "", "shop_url": "https://shop.example/x"},
        MODERATORS,
    ),
    (
        "image hide",
        "POST",
        "/admin/image/action/",
        {"action": "hide", "rowid": "{image}"},
        MODERATORS,
    ),
    (
        "image purge now",
        "POST",
        "/admin/image/action/",
        {"action": "purge", "rowid": "{image}"},
        MODERATORS,
    ),
    ("queue", "GET", "/admin/queue/", None, MODERATORS),
    (
        "queue approve",
        "POST",
        "/admin/queue/action/",
        {"action": "approve", "rowid": "{pending}"},
        MODERATORS,
    ),
    (
        "queue reject",
        "POST",
        "/admin/queue/action/",
        {"action": "reject", "rowid": "{pending}"},
        MODERATORS,
    ),
    ("comments list", "GET", "/admin/comment/", None, MODERATORS),
    ("comment details", "GET", "/admin/comment/details/?id={comment}", None, MODERATORS),
    (
        "comment hide",
        "POST",
        "/admin/comment/action/",
        {"action": "hide", "rowid": "{comment}"},
        MODERATORS,
    ),
    (
        "comment purge",
        "POST",
        "/admin/comment/action/",
        {"action": "purge", "rowid": "{comment}"},
        MODERATORS,
    ),
    ("picks calendar", "GET", "/admin/picks/?add={image}", None, MODERATORS),
    ("picks grid", "GET", "/admin/picks/?q=lake", None, MODERATORS),
    ("picks grid as JSON", "GET", "/admin/picks/images?q=lake", None, MODERATORS),
    (
        "pick add",
        "POST",
        "/admin/picks/add",
        {"date": "{tomorrow}", "image_id": "{image}"},
        MODERATORS,
    ),
    ("users list", "GET", "/admin/user/?search=vic", None, ADMINS),
    ("user edit form", "GET", "/admin/user/edit/?id={victim}", None, ADMINS),
    (
        "user edit roles",
        "POST",
        "/admin/user/edit/?id={victim}",
        {"active": "y", "role_names": "moderator"},
        ADMINS,
    ),
    (
        "user deactivate",
        "POST",
        "/admin/user/action/",
        {"action": "deactivate", "rowid": "{victim}"},
        ADMINS,
    ),
    (
        "user hide all",
        "POST",
        "/admin/user/action/",
        {"action": "hide_all", "rowid": "{victim}"},
        ADMINS,
    ),
    ("audit log", "GET", "/admin/audit/", None, MODERATORS),
    ("audit entry", "GET", "/admin/audit/details/?id={audit}", None, MODERATORS),
    ("operations", "GET", "/admin/operations/", None, OPERATORS),
    ("clear caches", "POST", "/admin/operations/run/clear-caches", {}, OPERATORS),
    ("rebuild hot", "POST", "/admin/operations/run/rebuild-hot", {}, OPERATORS),
    ("flush views", "POST", "/admin/operations/run/flush-views", {}, OPERATORS),
    ("run automatic picks", "POST", "/admin/operations/run/run-picks", {}, OPERATORS),
    ("warm caches", "POST", "/admin/operations/run/warm-caches", {}, OPERATORS),
]


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    """One of everything an admin page or action can point at."""
    author = create_user("alice")
    victim = create_user("victim")
    image = create_image(author, caption="a lake")
    pending = create_image(author, caption="crawled", status=PENDING, source="crawl")
    comment = create_comment(image, victim, "hello")
    create_image(victim)
    entry = AuditLog(
        actor_name="system",
        origin="cli",
        action="test",
        target_type="image",
        target_id=image.id,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.commit()
    from gallery.moderation.reports import create_report

    create_report(victim, "image", image.id, "spam", "")
    db.session.commit()
    return {
        "image": image.id,
        "pending": pending.id,
        "comment": comment.id,
        "victim": victim.id,
        "audit": entry.id,
        "tomorrow": (utcnow().date() + dt.timedelta(days=1)).isoformat(),
    }


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditLog.id)))


@pytest.mark.parametrize("visitor", list(VISITORS))
@pytest.mark.parametrize(
    ("name", "method", "path", "form", "allowed"), CASES, ids=[case[0] for case in CASES]
)
def test_admin_access(client, world, visitor, name, method, path, form, allowed) -> None:
    spec = VISITORS[visitor]
    if spec is not None:
        login_as(client, create_user(f"v-{visitor}", **spec))
    url = path.format(**world)
    before = audit_count()
    if method == "GET":
        response = client.get(url)
    else:
        data = {key: value.format(**world) for key, value in form.items()}
        data["csrf_token"] = csrf(client)
        response = client.post(url, data=data)
    if visitor in allowed.split():
        if method == "GET":
            assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        else:
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            assert "/login" not in response.headers["Location"]
            assert audit_count() > before, "an allowed action must leave an audit entry"
    elif visitor == "anonymous":
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"][0].startswith("/admin/")
        assert audit_count() == before
    else:
        assert response.status_code == 403, response.get_data(as_text=True)[:500]
        assert audit_count() == before
