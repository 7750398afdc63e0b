"""Picks: dates with their scheduled and automatic picks; add, reorder and remove.

The rules (positions, caches, automatic picks) live in gallery.feeds.picks; this view
only parses the forms and calls it.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from flask import flash, jsonify, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gallery.admin.base import StaffView, actor, back, rows, thumb_url
from gallery.errors import BadRequest, NotFound
from gallery.extensions import db
from gallery.feeds import picks
from gallery.feeds.latest import parse_limit
from gallery.feeds.search import search_pickable
from gallery.formats import parse_day
from gallery.models import Image, Pick, utcnow
from gallery.numbers import id_from_text

DAYS_BEFORE = 7
DAYS_AFTER = 14
GRID_SIZE = 24  # thumbnails per page of the picks grid


def parse_date(value: str | None, default: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD from a form or query string, BadRequest otherwise."""
    if not value and default is not None:
        return default
    day = parse_day(value or "")
    if day is None:
        raise BadRequest(_("Give the date as YYYY-MM-DD."))
    return day


def calendar(start: dt.date, end: dt.date) -> list[tuple[dt.date, list[Pick]]]:
    """Every date from start to end with its picks in order (empty dates included)."""
    picks = db.session.scalars(
        select(Pick)
        .where(Pick.date >= start, Pick.date <= end)
        .options(joinedload(Pick.image).joinedload(Image.author), joinedload(Pick.scheduled_by))
        .order_by(Pick.date, Pick.position, Pick.id)
    ).all()
    by_date = {date: list(items) for date, items in groupby(picks, key=lambda p: p.date)}
    days = (end - start).days + 1
    return [
        (start + dt.timedelta(days=i), by_date.get(start + dt.timedelta(days=i), []))
        for i in range(days)
    ]


def _pick(pick_id: str | None) -> Pick:
    key = id_from_text(pick_id)
    pick = db.session.get(Pick, key) if key is not None else None
    if pick is None:
        raise NotFound(_("That pick no longer exists."))
    return pick


class PicksView(StaffView):
    """A calendar-like list of dates; moderators schedule, move and remove picks."""

    required_permission = "pick-schedule"

    @expose("/")
    def index(self) -> Any:
        today = utcnow().date()
        around = parse_date(request.args.get("around"), today)
        start, end = around - dt.timedelta(days=DAYS_BEFORE), around + dt.timedelta(days=DAYS_AFTER)
        adding = rows(Image, (request.args.get("add") or "").split(","))
        q = (request.args.get("q") or "").strip()
        choices = search_pickable(q, request.args.get("cursor"), GRID_SIZE)
        return self.render(
            "admin/picks.html",
            days=calendar(start, end),
            today=today,
            around=around,
            adding=adding,
            q=q,
            choices=choices,
            thumb_url=thumb_url,
            earlier=start - dt.timedelta(days=1),
            later=end + dt.timedelta(days=1),
        )

    @expose("/images")
    def images(self) -> Any:
        """The picks grid as JSON: {"items": [{id, thumb_url, caption, author}], "next_cursor"}."""
        page = search_pickable(
            request.args.get("q"),
            request.args.get("cursor"),
            parse_limit(request.args.get("limit"), GRID_SIZE),
        )
        return jsonify(
            items=[
                {
                    "id": image.id,
                    "thumb_url": thumb_url(image),
                    "caption": image.caption or "",
                    "author": image.author.username,
                }
                for image in page
            ],
            next_cursor=page.next_cursor,
        )

    @expose("/add", methods=("POST",))
    def add(self) -> Any:
        date = parse_date(request.form.get("date"))
        ids = (
            request.form.getlist("image_id")
            or request.form.get("image_ids", "").replace(",", " ").split()
        )
        images = rows(Image, ids)
        if not images:
            raise BadRequest(_("Choose at least one image to pick."))
        for image in images:
            picks.schedule_pick(date, image, actor())
        db.session.commit()
        flash(
            ngettext(
                "Picked %(num)s image for %(date)s.",
                "Picked %(num)s images for %(date)s.",
                len(images),
                date=date.isoformat(),
            ),
            "success",
        )
        return back(url_for(".index", around=date.isoformat()))

    @expose("/move", methods=("POST",))
    def move(self) -> Any:
        pick = _pick(request.form.get("pick_id"))
        position = id_from_text(request.form.get("position"))
        if position is None or position > 1000:
            raise BadRequest(_("The position must be a number."))
        date = pick.date
        picks.move_pick(pick, position, actor())
        db.session.commit()
        return back(url_for(".index", around=date.isoformat()))

    @expose("/remove", methods=("POST",))
    def remove(self) -> Any:
        pick = _pick(request.form.get("pick_id"))
        date = pick.date
        picks.remove_pick(pick, actor())
        db.session.commit()
        flash(_("Removed a pick from %(date)s.", date=date.isoformat()), "success")
        return back(url_for(".index", around=date.isoformat()))
