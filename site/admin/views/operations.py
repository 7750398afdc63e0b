"""Operations for operators: caches, hot ranking, view counters, automatic picks, past runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from gallery.admin.base import ORIGIN, StaffView, actor, back
from gallery.caching import cache, pagecache
from gallery.errors import NotFound
from gallery.extensions import db
from gallery.feeds import hot, picks
from gallery.feeds import views as views_count
from gallery.models import OperationRun, today
from gallery.moderation import actions as moderation
from gallery.roles.access import check

RECENT_RUNS = 15


def clear_caches() -> str:
    return f"cleared {cache.clear()} cache entries"


def warm_caches() -> str:
    """Fill the visitor caches of the busiest pages (the same as `flask cache warm`)."""
    picks.ensure_automatic_picks(today())  # choosing them drops the caches: do it first
    db.session.commit()
    return "warmed " + ", ".join(pagecache.warm_caches())


def rebuild_hot() -> str:
    return f"hot ranking rebuilt from {hot.rebuild_hot()} images"


def flush_views() -> str:
    return f"flushed views of {views_count.flush_views()} images"


def run_automatic_picks() -> str:
    result = picks.ensure_automatic_picks(today())
    return f"automatic picks for today: {len(result) if hasattr(result, '__len__') else result}"


@dataclass(frozen=True)
class Operation:
    label: Any
    help: Any
    permission: str
    run: Callable[[], str]


OPERATIONS: dict[str, Operation] = {
    "clear-caches": Operation(
        _l("Clear caches"),
        _l("Drop every cached feed, card and page."),
        "cache-manage",
        clear_caches,
    ),
    "warm-caches": Operation(
        _l("Warm caches"),
        _l("Fill the latest feed, hot list and today's picks."),
        "cache-manage",
        warm_caches,
    ),
    "rebuild-hot": Operation(
        _l("Rebuild hot ranking"),
        _l("Recompute every hot score from the counters."),
        "cache-manage",
        rebuild_hot,
    ),
    "flush-views": Operation(
        _l("Flush view counters"),
        _l("Write buffered views from Redis to the database now."),
        "cache-manage",
        flush_views,
    ),
    "run-picks": Operation(
        _l("Run automatic picks"),
        _l("Fill today's picks where moderators left free places."),
        "cache-manage",
        run_automatic_picks,
    ),
}


class OperationsView(StaffView):
    """Buttons for the operator commands and the record of past crawl/seed/import runs."""

    required_permission = "cache-manage"

    @expose("/")
    def index(self) -> Any:
        runs = db.session.scalars(
            select(OperationRun)
            .order_by(OperationRun.started_at.desc(), OperationRun.id.desc())
            .limit(RECENT_RUNS)
        ).all()
        return self.render("admin/operations.html", operations=OPERATIONS, runs=runs)

    @expose("/run/<operation_name>", methods=("POST",))
    def run(self, operation_name: str) -> Any:
        name = operation_name
        operation = OPERATIONS.get(name)
        if operation is None:
            raise NotFound(_("There is no operation %(name)s.", name=repr(name)))
        check(operation.permission)
        who = actor()  # before running: warming makes requests of its own in this context
        outcome = operation.run()
        moderation.audit(who, ORIGIN, f"ops.{name}", "site", None, None, {"result": outcome})
        db.session.commit()
        flash(
            _("%(operation)s: %(outcome)s.", operation=operation.label, outcome=outcome), "success"
        )
        return back(url_for(".index"))
