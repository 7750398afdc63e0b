"""flask counts check [--fix]: counters against the rows they count."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from gallery.extensions import db
from gallery.formats import counted
from gallery.social import counts

counts_cli = AppGroup("counts", help="Image counters (comments, likes).")


@counts_cli.command("check")
@click.option("--fix", is_flag=True, help="Set the drifted counters to the real counts.")
def counts_check(fix: bool) -> None:
    """Report every image whose comment_count or like_count differs from its rows."""
    drift = counts.find_drift()
    for d in drift:
        click.echo(f"image {d.image_id}: {d.counter} is {d.stored}, real {d.actual}")
    if not drift:
        click.echo("counters are right")
        return
    if fix:
        counts.fix_drift(drift)
        db.session.commit()
        click.echo(f"fixed {counted(len(drift), 'counter')}")
    else:
        click.echo(f"{counted(len(drift), 'counter')} drifted; run with --fix to repair")
        raise SystemExit(1)


GROUPS = (counts_cli,)
