"""Staff on the command line: accounts made outside the web forms (the same username,
e-mail and password rules as /register), audited role changes, two-factor resets."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_security import hash_password
from sqlalchemy import func, or_, select

from gallery.errors import BadRequest, Conflict, NotFound
from gallery.extensions import db, security
from gallery.models import Role, User, utcnow
from gallery.moderation import actions as moderation


def find_user(identity: str) -> User:
    """A user by username or e-mail address (either case)."""
    value = identity.strip().lower()
    user = db.session.scalar(
        select(User).where(or_(func.lower(User.username) == value, func.lower(User.email) == value))
    )
    if user is None:
        raise NotFound(_("There is no account %(identity)s.", identity=identity))
    return user


def find_role(name: str) -> Role:
    role = security.datastore.find_role(name)
    if role is None:
        names = ", ".join(sorted(r.name for r in db.session.scalars(select(Role))))
        raise NotFound(_("There is no role %(name)s (roles: %(names)s).", name=name, names=names))
    return role


def create_account(
    username: str, email: str, password: str, roles: list[str], actor: User | None = None
) -> User:
    """A confirmed, active account with these roles (member always). Caller commits."""
    message, username = security.username_util.validate(username)
    if message or not username:
        raise BadRequest(message or _("A username is required."), code="bad_username")
    try:
        email = security.mail_util.validate(email)
    except ValueError as error:
        raise BadRequest(_("%(email)s is not a valid e-mail address.", email=email)) from error
    if security.datastore.find_user(case_insensitive=True, username=username) is not None:
        raise Conflict(_("The username %(name)s is taken.", name=username))
    if security.datastore.find_user(case_insensitive=True, email=email) is not None:
        raise Conflict(_("The address %(email)s already has an account.", email=email))
    problems, password = security.password_util.validate(
        password, True, username=username, email=email
    )
    if problems:
        raise BadRequest(" ".join(str(p) for p in problems), code="weak_password")
    wanted = [find_role(name) for name in dict.fromkeys(["member", *roles])]
    user = security.datastore.create_user(
        username=username, email=email, password=hash_password(password), confirmed_at=utcnow()
    )
    db.session.flush()
    moderation.audit(actor, "cli", "user.create", "user", user.id, None, {"email": email})
    moderation.set_user_roles(user, wanted, actor, "cli")
    return user


def change_role(identity: str, role_name: str, add: bool, actor: User | None = None) -> bool:
    """Give or take one role, audited; False when nothing changed. Caller commits."""
    user = find_user(identity)
    role = find_role(role_name)
    roles = [r for r in user.roles if r.id != role.id] + ([role] if add else [])
    return moderation.set_user_roles(user, roles, actor, "cli")


def reset_two_factor(identity: str, actor: User | None = None) -> bool:
    """Turn two-factor login off for a member who lost the phone and the recovery
    codes (they set it up again at the next visit to /admin); audited. Caller commits."""
    user = find_user(identity)
    if not user.tf_primary_method:
        return False
    security.datastore.tf_reset(user)
    user.mf_recovery_codes = None
    moderation.audit(
        actor,
        "cli",
        "user.two_factor_reset",
        "user",
        user.id,
        {"two_factor": True},
        {"two_factor": False},
    )
    return True


def describe(user: Any) -> str:
    roles = ", ".join(sorted(r.name for r in user.roles))
    return f"{user.username} <{user.email}> roles: {roles or '-'}"
