"""flask purge: delete for good what has been hidden longer than the retention period;
flask users and flask roles: staff on the command line (they replace Flask-Security's
own `users` and `roles` groups, switched off in config)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.formats import counted
from gallery.models import Image, OperationRun, utcnow
from gallery.moderation import actions as moderation
from gallery.moderation import staff
from gallery.roles import sync_roles


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
@click.option(
    "--image",
    "image_ids",
    type=int,
    multiple=True,
    help="Purge this hidden image now, whatever its age (repeatable).",
)
@with_appcontext
def purge_command(dry_run: bool, image_ids: tuple[int, ...]) -> None:
    """Purge images and comments hidden longer than PURGE_RETENTION_DAYS (files and rows).

    Every purge is written to the audit log with origin "cli".
    """
    days = current_app.config["PURGE_RETENTION_DAYS"]
    if image_ids:
        images = [_hidden_image(image_id) for image_id in image_ids]
        comments: list = []
    else:
        images, comments = moderation.expired()
    click.echo(
        f"{counted(len(images), 'image')} and {counted(len(comments), 'comment')} "
        + ("selected" if image_ids else f"hidden longer than {days} days")
    )
    if dry_run:
        for image in images:
            click.echo(f"  image {image.id} hidden at {image.hidden_at:%Y-%m-%d %H:%M}")
        return
    run = OperationRun(
        kind="purge",
        started_at=utcnow(),
        status="running",
        args={"images": list(image_ids), "retention_days": days},
    )
    db.session.add(run)
    db.session.commit()
    if image_ids:
        for image in images:
            moderation.purge_image(image, None, "cli")
        purged = len(images)
    else:
        purged = moderation.purge_expired()
    run.status, run.finished_at, run.counts = "finished", utcnow(), {"purged": purged}
    db.session.commit()
    click.echo(f"purged {purged}")


def _hidden_image(image_id: int) -> Image:
    image = db.session.get(Image, image_id)
    if image is None:
        raise click.ClickException(f"There is no image {image_id}.")
    if image.status not in moderation.RESTORABLE:
        raise click.ClickException(
            f"Image {image_id} is {image.status}; hide it first (nothing is purged that "
            "was not hidden)."
        )
    return image


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
        user = staff.create_account(username, email, password, list(roles))
    except GalleryError as error:
        raise fail(error) from error
    db.session.commit()
    click.echo(f"created {staff.describe(user)}")


@users_cli.command("reset-two-factor")
@click.argument("user")
def users_reset_two_factor(user: str) -> None:
    """Turn two-factor login off for USER (lost phone and recovery codes); audited."""
    try:
        changed = staff.reset_two_factor(user)
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
        changed = staff.change_role(identity, role, add)
    except GalleryError as error:
        raise fail(error) from error
    db.session.commit()
    user = staff.find_user(identity)
    click.echo(("changed: " if changed else "unchanged: ") + staff.describe(user))


GROUPS = (users_cli, roles_cli)
