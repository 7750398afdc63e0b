"""flask users create / list and flask roles sync / add / remove (these replace
Flask-Security's own `users` and `roles` groups, switched off in config)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from gallery.accounts import users
from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.roles import sync_roles

users_cli = AppGroup("users", help="Accounts: create the first admin, list staff.")
roles_cli = AppGroup("roles", help="Roles: their permissions, and who has them.")


def fail(error: GalleryError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(error.message))


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given (better: it stays out of the shell history).",
)
@click.option("--role", "roles", multiple=True, help="A role to give (repeatable), e.g. admin.")
def users_create(username: str, email: str, password: str, roles: tuple[str, ...]) -> None:
    """Create a confirmed account, e.g. the first admin of a new site (works in production)."""
    sync_roles()  # a fresh database has no roles yet
    try:
        user = users.create_account(username, email, password, list(roles))
    except GalleryError as error:
        raise fail(error) from error
    db.session.commit()
    click.echo(f"created {users.describe(user)}")


@users_cli.command("reset-two-factor")
@click.argument("user")
def users_reset_two_factor(user: str) -> None:
    """Turn two-factor login off for USER (lost phone and recovery codes); audited."""
    try:
        changed = users.reset_two_factor(user)
    except GalleryError as error:
        raise fail(error) from error
    db.session.commit()
    click.echo("two-factor login turned off" if changed else "two-factor login was not on")


@roles_cli.command("sync")
def roles_sync() -> None:
    """Create or update the roles of gallery.roles (idempotent)."""
    changed = sync_roles()
    db.session.commit()
    click.echo(f"roles synced; changed: {', '.join(changed) or 'none'}")


@roles_cli.command("add")
@click.argument("user")
@click.argument("role")
def roles_add(user: str, role: str) -> None:
    """Give ROLE to USER (a username or e-mail address); audited."""
    _change(user, role, add=True)


@roles_cli.command("remove")
@click.argument("user")
@click.argument("role")
def roles_remove(user: str, role: str) -> None:
    """Take ROLE from USER; audited."""
    _change(user, role, add=False)


def _change(identity: str, role: str, add: bool) -> None:
    sync_roles()
    try:
        changed = users.change_role(identity, role, add)
    except GalleryError as error:
        raise fail(error) from error
    db.session.commit()
    user = users.find_user(identity)
    click.echo(("changed: " if changed else "unchanged: ") + users.describe(user))


GROUPS = (users_cli, roles_cli)
