"""Operator commands: flask seed / users / roles / crawl / import / hot / picks / cache / purge."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from gallery.accounts import twofactor
from gallery.extensions import db, security
from gallery.feeds.cli import GROUPS as feeds_groups
from gallery.jobs.cli import crawl_command, import_command, jobs_cli
from gallery.jobs.seeding import seed_demo_data
from gallery.jobs.worker import worker_command
from gallery.media.cli import storage_cli
from gallery.moderation.cli import GROUPS as staff_groups
from gallery.moderation.cli import purge_command
from gallery.paths import ROOT
from gallery.social.cli import GROUPS as social_groups

seed_cli = AppGroup("seed", help="Fill the site with demo data.")


@seed_cli.command("demo")
@click.option("--quiet", is_flag=True, help="Do not print the demo logins.")
def seed_demo(quiet: bool) -> None:
    """Demo users for every role, the CC0 photos in seeds/, and a few comments (idempotent)."""

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("flask seed demo is refused under the production config.")
    spec = json.loads((ROOT / "seeds" / "demo.json").read_text())
    summary = seed_demo_data(spec, ROOT / "seeds" / "images", echo=click.echo)
    for user in spec["users"]:  # demo staff: a fixed two-factor key, printed with the login
        if user.get("totp_key"):
            twofactor.set_fixed_key(
                security.datastore.find_user(username=user["username"]), user["totp_key"]
            )
    db.session.commit()
    if not quiet:
        click.echo("\nDemo logins (development only):")
        for user in spec["users"]:
            note = "" if user.get("confirmed", True) else "  (unconfirmed)"
            if user.get("totp_key"):
                note += f"  two-factor key: {user['totp_key']}"
            click.echo(
                f"  {user['username']:<10} {user['email']:<26} "
                f"{user['password']:<22} {', '.join(user['roles'])}{note}"
            )
    click.echo(summary)


def init_app(app: Flask) -> None:
    """Register every command group."""
    for group in (
        seed_cli,
        *staff_groups,
        *feeds_groups,
        *social_groups,
        purge_command,
        crawl_command,
        import_command,
        storage_cli,
        jobs_cli,
        worker_command,
    ):
        app.cli.add_command(group)
