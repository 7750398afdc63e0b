"""Operator commands for the feeds: flask hot / views / picks / cache."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from gallery.caching import cache
from gallery.caching.cache import REDIS_ERRORS
from gallery.caching.pagecache import warm_caches
from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.feeds.hot import rebuild_hot
from gallery.feeds.latest import hot_images
from gallery.feeds.picks import clear_automatic, ensure_automatic_picks, picks_of, schedule_pick
from gallery.feeds.views import flush_views
from gallery.formats import parse_day
from gallery.models import Image, User, today

hot_cli = AppGroup("hot", help="The hot ranking (a Redis sorted set).")
views_cli = AppGroup("views", help="Buffered view counts.")
picks_cli = AppGroup("picks", help="Daily picks.")
cache_cli = AppGroup("cache", help="Cached lists and visitor pages.")


def _date(value: str | None) -> dt.date:

    if not value or value == "today":
        return today()
    day = parse_day(value)
    if day is None:
        raise click.BadParameter("use YYYY-MM-DD or 'today'")
    return day


@hot_cli.command("rebuild")
def hot_rebuild() -> None:
    """Recompute every visible image's hot score from the database."""

    try:
        count = rebuild_hot()
    except REDIS_ERRORS as error:
        raise click.ClickException(f"Redis is not reachable ({error}); nothing rebuilt") from error
    db.session.commit()
    click.echo(f"hot ranking rebuilt: {count} images")


@hot_cli.command("show")
@click.option("--limit", default=10, show_default=True)
def hot_show(limit: int) -> None:
    """Print the top of the hot ranking."""

    for number, image in enumerate(hot_images(limit), start=1):
        click.echo(
            f"{number:>3}. image {image.id:<6} hot_score={image.hot_score:.3f} {image.caption}"
        )


@views_cli.command("flush")
def views_flush() -> None:
    """Write the views buffered in Redis to the database now."""

    flushed = flush_views()
    if not cache.redis_available():
        raise click.ClickException("Redis is not reachable; the buffered views stay there")
    click.echo(f"views flushed: {flushed}")


@picks_cli.command("schedule")
@click.argument("date")
@click.argument("image_id", type=int)
@click.option("--position", type=int, default=None, help="1 = first; default: last")
@click.option("--by", "username", default=None, help="moderator recorded as scheduling it")
def picks_schedule(date: str, image_id: int, position: int | None, username: str | None) -> None:
    """Pick IMAGE_ID for DATE (YYYY-MM-DD or 'today')."""

    image = db.session.get(Image, image_id)
    if image is None:
        raise click.ClickException(f"no image {image_id}")
    actor = None
    if username:
        actor = db.session.scalar(select(User).where(User.username == username))
        if actor is None:
            raise click.ClickException(f"no user {username}")
    try:
        pick = schedule_pick(_date(date), image, actor, position, origin="cli")
    except GalleryError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"picked image {image_id} for {pick.date} at position {pick.position}")


@picks_cli.command("list")
@click.argument("date", required=False)
def picks_list(date: str | None) -> None:
    """List the picks of DATE (default today)."""

    day = _date(date)
    rows = picks_of(day)
    if not rows:
        click.echo(f"no picks for {day}")
    for pick in rows:
        kind = "automatic" if pick.automatic else "scheduled"
        click.echo(f"{pick.position:>3}. image {pick.image_id:<6} {kind} ({pick.image.status})")


@picks_cli.command("auto")
@click.argument("date", required=False)
@click.option("--replace", is_flag=True, help="choose the automatic picks again")
def picks_auto(date: str | None, replace: bool) -> None:
    """Record automatic picks for DATE (default today) when none are scheduled."""

    day = _date(date)
    if replace:
        clear_automatic(day)
    created = ensure_automatic_picks(day)
    db.session.commit()
    if created:
        click.echo(
            f"{len(created)} automatic picks for {day}: "
            + ", ".join(str(pick.image_id) for pick in created)
        )
    else:
        click.echo(f"{day} already has picks; nothing chosen")


@cache_cli.command("clear")
def cache_clear() -> None:
    """Drop every cached list and visitor page."""

    click.echo(f"caches cleared (generation {cache.clear()})")


@cache_cli.command("warm")
def cache_warm() -> None:
    """Fill the hot list, today's picks and the first feed pages."""
    ensure_automatic_picks(today())  # choosing them drops the caches: do it first
    db.session.commit()

    for line in warm_caches():
        click.echo(line)


GROUPS = (hot_cli, views_cli, picks_cli, cache_cli)
