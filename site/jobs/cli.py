"""Operator commands: flask crawl URL, flask import DIR, flask jobs (the worker: worker.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from gallery.errors import GalleryError
from gallery.jobs import queue, schedule
from gallery.media.importer import import_tree


@click.command("crawl")
@click.argument("url")
@click.option("--max-pages", type=click.IntRange(1), help="Pages to visit at most.")
@click.option("--max-images", type=click.IntRange(1), help="New images to download at most.")
@click.option("--user", "username", help="Account the images are stored under.")
@click.option("--publish", is_flag=True, help="Make images visible at once (default: pending).")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Also fetch loopback and private addresses (never link-local or metadata).",
)
@click.option(
    "--allow-net",
    "allow_nets",
    multiple=True,
    metavar="CIDR",
    help="Also fetch this non-public network only, e.g. 127.0.0.0/8 (repeatable).",
)
@click.option("--delay", type=click.FloatRange(0), help="Seconds between requests to one host.")
@click.option("--concurrency", type=click.IntRange(1, 2), help="Parallel requests per host.")
@click.option("--min-size", type=click.IntRange(1), help="Smallest width and height in px.")
@click.option("--max-image-bytes", type=click.IntRange(1024), help="Largest image download.")
@click.option("--max-page-bytes", type=click.IntRange(1024), help="Largest page download.")
@click.option("--max-bytes", type=click.IntRange(1024), help="All downloads of the run.")
@click.option("--time-limit", type=click.IntRange(1), help="Seconds the whole run may take.")
@click.option("--verbose", is_flag=True, help="Show Scrapy's own log.")
@with_appcontext
def crawl_command(url: str, allow_nets: tuple[str, ...], **given: object) -> None:
    """Crawl URL's site for images (robots.txt obeyed, throttled) into the moderation queue."""
    try:
        # Scrapy is an optional dependency (the crawler extra): a clear message without it
        from gallery.crawler.runner import build_options, run_crawl  # noqa: PLC0415
    except ImportError as error:
        raise click.ClickException(
            f"the crawler needs Scrapy ({error}); install it with: pip install '.[crawler]'"
        ) from error
    try:
        options = build_options(current_app.config, url, allow_nets, given)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    try:
        tally = run_crawl(options, echo=click.echo)
    except GalleryError as error:
        raise click.ClickException(str(error.message)) from error
    if tally.finish_reason.startswith("error"):
        raise SystemExit(1)


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--user-password",
    help="Password for the accounts this import creates (default: a random one each).",
)
@click.option("--pending", is_flag=True, help="Put the images in the moderation queue.")
@with_appcontext
def import_command(directory: Path, user_password: str | None, pending: bool) -> None:
    """Import DIRECTORY/<username>/<image> with optional <image stem>.json sidecars."""
    try:
        import_tree(
            directory,
            source="import",
            publish=not pending,
            echo=click.echo,
            user_password=user_password,
        )
    except GalleryError as error:
        raise click.ClickException(str(error.message)) from error


jobs_cli = AppGroup("jobs", help="The job queue and its schedule.")


@jobs_cli.command("schedule")
def jobs_schedule() -> None:
    """Print the schedule (config SCHEDULE and SCHEDULE_TIMEZONE)."""
    for line in schedule.describe(current_app):
        click.echo(line)


@jobs_cli.command("list")
def jobs_list() -> None:
    """Queued, running, scheduled and failed jobs."""
    for state, jobs in queue.job_lists().items():
        click.echo(f"{state}: {len(jobs)}")
        for job in jobs:
            click.echo(f"  {job['id']} {job['name']} {job['status']} {job['error'] or ''}")


@jobs_cli.command("enqueue")
@click.argument("name", type=click.Choice(sorted(queue.JOBS)))
def jobs_enqueue(name: str) -> None:
    """Queue one job (without arguments) for the workers."""
    job = queue.enqueue(name)
    click.echo(f"queued {name}: {job.id} ({job.get_status()})")
