"""flask storage sweep: report, then remove, orphans between the database and storage."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from gallery.extensions import db
from gallery.media.ingest import find_orphans
from gallery.media.storage import get_storage
from gallery.moderation.actions import sweep

storage_cli = AppGroup("storage", help="Stored image files.")


@storage_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only report; remove nothing.")
@click.option(
    "--grace",
    default=60,
    show_default=True,
    type=click.IntRange(min=0),
    help="Minutes a file without a row is left alone (an upload may be in flight).",
)
def storage_sweep(dry_run: bool, grace: int) -> None:
    """Files no image points at are deleted; images whose files are gone are purged."""
    storage = get_storage()
    click.echo(f"sweeping {type(storage).__name__}…")
    report = find_orphans(grace_seconds=grace * 60)
    click.echo(f"checked {report.files_checked} stored files and {report.images_checked} images")
    click.echo(
        f"orphan files (no image): {len(report.orphan_files)}"
        + (
            f"; {report.young_files} newer than {grace} min left alone"
            if report.young_files
            else ""
        )
    )
    for key in report.orphan_files:
        click.echo(f"  {key}")
    click.echo(f"images with missing files: {len(report.broken_images)}")
    for image_id, missing in report.broken_images.items():
        click.echo(f"  image {image_id}: missing {', '.join(missing)}")
    if dry_run:
        click.echo("dry run: nothing removed")
        return
    sweep(report)
    db.session.commit()
    removed = len(report.orphan_files) - len(report.failed)
    click.echo(f"removed {removed} orphan files; purged {len(report.broken_images)} images")
    if report.failed:
        raise click.ClickException(
            f"{len(report.failed)} files could not be deleted: {', '.join(report.failed)}"
        )
