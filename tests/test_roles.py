"""Roles and permissions: idempotent sync, who may do what, the view decorator."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Role
from gallery.roles import ROLES, can, permission_required, sync_roles
from gallery.roles.definitions import (
    ADMIN_ONLY,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    OPERATOR_PERMISSIONS,
)
from tests.support.factories import create_user


def role_rows() -> dict[str, tuple[str, ...]]:
    return {
        role.name: tuple(sorted(role.get_permissions()))
        for role in db.session.scalars(select(Role))
    }


def test_sync_is_idempotent(app):
    before = role_rows()  # the app fixture has synced once
    assert set(before) == set(ROLES)
    assert sync_roles() == []
    db.session.commit()
    assert sync_roles() == []
    assert role_rows() == before
    assert db.session.scalar(select(func.count()).select_from(Role)) == len(ROLES)


def test_sync_repairs_a_changed_role(app):
    member = db.session.scalar(select(Role).where(Role.name == "member"))
    member.permissions = ["like"]
    member.description = "edited by hand"
    db.session.commit()
    assert sync_roles() == ["member"]
    db.session.commit()
    assert set(member.get_permissions()) == MEMBER_PERMISSIONS
    assert sync_roles() == []


def test_roles_sync_command(runner):
    first = runner.invoke(args=["roles", "sync"])
    assert first.exit_code == 0, first.output
    assert "changed: none" in first.output
    db.session.execute(Role.__table__.delete().where(Role.name == "operator"))
    db.session.commit()
    second = runner.invoke(args=["roles", "sync"])
    assert "changed: operator" in second.output
    assert runner.invoke(args=["roles", "sync"]).output.strip().endswith("changed: none")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("member", MEMBER_PERMISSIONS, MODERATOR_PERMISSIONS | OPERATOR_PERMISSIONS | ADMIN_ONLY),
        (
            "moderator",
            MEMBER_PERMISSIONS | MODERATOR_PERMISSIONS,
            (OPERATOR_PERMISSIONS - {"admin-access"}) | ADMIN_ONLY,
        ),
        (
            "operator",
            MEMBER_PERMISSIONS | OPERATOR_PERMISSIONS,
            (MODERATOR_PERMISSIONS - {"admin-access"}) | ADMIN_ONLY,
        ),
        (
            "admin",
            MEMBER_PERMISSIONS | MODERATOR_PERMISSIONS | OPERATOR_PERMISSIONS | ADMIN_ONLY,
            set(),
        ),
    ],
)
def test_permissions_of_each_role(app, role, allowed, refused):
    user = create_user(f"a{role}", roles=[role])
    assert {p for p in allowed if can(p, user)} == allowed
    assert {p for p in refused if can(p, user)} == set()


def test_unconfirmed_member_holds_no_member_permission(app):
    user = create_user("newbie", confirmed=False)
    assert not any(can(p, user) for p in MEMBER_PERMISSIONS)
    staff = create_user("newmod", roles=["moderator"], confirmed=False)
    assert can("image-hide", staff) and not can("comment-create", staff)


def test_deactivated_user_holds_nothing(app):
    user = create_user("gone", roles=["admin"], active=False)
    assert not any(can(p, user) for p in ROLES["admin"]["permissions"])


def test_anonymous_holds_nothing(app):
    with app.test_request_context("/"):
        assert not can("like")


@pytest.mark.fresh_app  # adds a route
def test_permission_required_decorator(app, client, auth):
    @app.post("/api/test/hide")
    @permission_required("image-hide")
    def hide() -> dict[str, bool]:
        return {"ok": True}

    create_user("alice")
    create_user("mod", roles=["moderator"])
    response = client.post("/api/test/hide", headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 401
    auth.login("alice", "password-alice")
    response = client.post("/api/test/hide", headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    auth.logout()
    auth.login("mod", "password-mod")
    response = client.post("/api/test/hide", headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 200
