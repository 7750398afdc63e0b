"""Issue 11: staff on the command line. `flask users create … --role admin` and
`flask roles add/remove` work in production; `flask roles sync` stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gallery.accounts import twofactor
from gallery.extensions import db
from gallery.models import AuditLog, User
from tests.support.factories import create_user
from tests.support.two_factor import STAFF_KEY

STRONG = "violet tram under the lake"


def roles_of(username: str) -> list[str]:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == username))
    return sorted(role.name for role in user.roles)


@pytest.mark.settings(ENV_NAME="production")
def test_the_first_admin_can_be_made_in_production(app, runner, auth, client):
    """Audit: no command granted a role, and `seed demo` refuses production."""
    result = runner.invoke(
        args=[
            "users",
            "create",
            "root",
            "root@example.com",
            "--password",
            STRONG,
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "root <root@example.com> roles: admin, member" in result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert user.confirmed_at is not None and user.active
    assert roles_of("root") == ["admin", "member"]
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_id == user.id))
    assert set(actions) == {"user.create", "user.roles"}
    auth.login("root", STRONG)
    assert client.get("/admin/user/").status_code in (200, 302)


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["users", "create", "root", "root@example.com"], input=f"{STRONG}\n{STRONG}\n"
    )
    assert result.exit_code == 0, result.output
    assert roles_of("root") == ["member"]


@pytest.mark.parametrize(
    "username, email, password, message",
    [
        ("root", "root@example.com", "password", "common"),
        ("root", "root@example.com", "aaaaaaaaaaaa", "guess"),
        ("alice", "new@example.com", STRONG, "taken"),
        ("\u0430lice", "new@example.com", STRONG, "script"),
        ("a1ice", "new@example.com", STRONG, "looks too much like"),
        ("root", "alice@example.com", STRONG, "already has an account"),
        ("root", "not-an-address", STRONG, "not a valid e-mail"),
        ("x!", "root@example.com", STRONG, "letters and numbers"),
    ],
)
def test_users_create_applies_the_registration_rules(runner, username, email, password, message):
    alice = create_user("alice")
    result = runner.invoke(args=["users", "create", username, email, "--password", password])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(User).where(User.email == email)) in (None, alice)


def test_users_create_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=["users", "create", "root", "root@example.com", "--password", STRONG, "--role", "boss"]
    )
    assert result.exit_code == 1 and "no role boss" in result.output
    assert db.session.scalar(select(User).where(User.username == "root")) is None


@pytest.mark.settings(ENV_NAME="production")
def test_roles_add_and_remove(runner):
    bob = create_user("bob")
    result = runner.invoke(args=["roles", "add", "bob", "moderator"])
    assert result.exit_code == 0, result.output
    assert roles_of("bob") == ["member", "moderator"]
    again = runner.invoke(args=["roles", "add", "BOB@example.com", "moderator"])
    assert again.exit_code == 0 and again.output.startswith("unchanged")
    result = runner.invoke(args=["roles", "remove", "bob", "moderator"])
    assert result.exit_code == 0
    assert roles_of("bob") == ["member"]
    entries = list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.target_id == bob.id).order_by(AuditLog.id)
        )
    )
    assert [(e.origin, e.before["roles"], e.after["roles"]) for e in entries] == [
        ("cli", ["member"], ["member", "moderator"]),
        ("cli", ["member", "moderator"], ["member"]),
    ]


def test_roles_commands_say_what_is_wrong(runner):
    create_user("bob")
    assert "no account nobody" in runner.invoke(args=["roles", "add", "nobody", "admin"]).output
    assert "no role boss" in runner.invoke(args=["roles", "add", "bob", "boss"]).output


def test_roles_sync_stays(runner):
    result = runner.invoke(args=["roles", "sync"])
    assert result.exit_code == 0 and "roles synced" in result.output


def test_users_reset_two_factor(runner):
    user = create_user("mod", roles=("moderator",))
    twofactor.set_fixed_key(user, STAFF_KEY)
    db.session.commit()
    result = runner.invoke(args=["users", "reset-two-factor", "mod"])
    assert result.exit_code == 0 and "turned off" in result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).tf_primary_method is None
    assert db.session.scalar(select(AuditLog.action)) == "user.two_factor_reset"
    again = runner.invoke(args=["users", "reset-two-factor", "mod"])
    assert "was not on" in again.output
