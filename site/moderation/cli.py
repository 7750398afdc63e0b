"""flask purge: delete for good what has been hidden longer than the retention period."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from gallery.extensions import db
from gallery.models import Image, OperationRun, utcnow
from gallery.moderation import actions as moderation


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
        f"{len(images)} image(s) and {len(comments)} comment(s) "
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
