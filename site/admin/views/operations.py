"""The operators' jobs console: start crawls, imports and cache work; watch and steer jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, jsonify, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from gallery.admin.base import ORIGIN, StaffView, actor, back
from gallery.errors import BadRequest, NotFound
from gallery.extensions import db
from gallery.jobs import queue as jobs
from gallery.jobs.tasks import import_root
from gallery.models import OperationRun
from gallery.moderation import actions as moderation
from gallery.roles.access import check

RECENT_RUNS = 15


@dataclass(frozen=True)
class Operation:
    label: Any
    help: Any
    permission: str
    job: str


OPERATIONS: dict[str, Operation] = {
    "clear-caches": Operation(
        _l("Clear caches"),
        _l("Drop every cached feed, card and page."),
        "cache-manage",
        "cache-clear",
    ),
    "warm-caches": Operation(
        _l("Warm caches"),
        _l("Fill the latest feed, hot list and today's picks."),
        "cache-manage",
        "cache-warm",
    ),
    "rebuild-hot": Operation(
        _l("Rebuild hot ranking"),
        _l("Recompute every hot score from the counters."),
        "cache-manage",
        "hot-rebuild",
    ),
    "flush-views": Operation(
        _l("Flush view counters"),
        _l("Write buffered views from Redis to the database now."),
        "cache-manage",
        "views-flush",
    ),
    "run-picks": Operation(
        _l("Run automatic picks"),
        _l("Fill today's picks where moderators left free places."),
        "cache-manage",
        "picks-auto",
    ),
}

#: the permission a job needs to be started, cancelled or re-run from the console
JOB_PERMISSIONS = {
    **{op.job: op.permission for op in OPERATIONS.values()},
    "crawl": "crawl-run",
    "import": "seed-run",
}


def _int_field(name: str, low: int, high: int) -> int | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadRequest(
            _(
                "%(field)s must be a whole number from %(low)s to %(high)s.",
                field=name,
                low=low,
                high=high,
            ),
            code="bad_field",
        )
    return int(value)


def _float_field(name: str) -> float | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 600:
        raise BadRequest(_("%(field)s must be a number of seconds.", field=name), code="bad_field")
    return number


def import_folders() -> list[str]:
    """The sub-folders of IMPORT_ROOT an import can start from."""
    root = import_root(current_app)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


class OperationsView(StaffView):
    """Jobs console: start, watch (polled JSON), cancel and re-run jobs; past runs."""

    required_permission = "cache-manage"

    @expose("/")
    def index(self) -> Any:
        runs = db.session.scalars(
            select(OperationRun)
            .order_by(OperationRun.started_at.desc(), OperationRun.id.desc())
            .limit(RECENT_RUNS)
        ).all()
        return self.render(
            "admin/operations.html",
            operations=OPERATIONS,
            runs=runs,
            folders=import_folders(),
            import_root=str(import_root(current_app)),
            crawl_nets=current_app.config["CRAWL_ADMIN_ALLOW_NETS"],
            jobs_mode=current_app.config["JOBS_MODE"],
        )

    def _started(self, name: str, job: Any, args: dict[str, Any]) -> Any:
        """Audit the start, commit, and answer with JSON or a flash and a redirect."""
        moderation.audit(
            actor(), ORIGIN, f"job.{name}", "job", None, None, {"job_id": job.id, **args}
        )
        db.session.commit()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(jobs.job_state(job)), 202
        flash(_("Job %(name)s queued (%(id)s).", name=name, id=job.id[:8]), "success")
        return back(url_for(".index"))

    @expose("/run/<operation_name>", methods=("POST",))
    def run(self, operation_name: str) -> Any:
        operation = OPERATIONS.get(operation_name)
        if operation is None:
            raise NotFound(_("There is no operation %(name)s.", name=repr(operation_name)))
        check(operation.permission)
        return self._started(operation.job, jobs.enqueue(operation.job), {})

    @expose("/crawl", methods=("POST",))
    def crawl(self) -> Any:
        check("crawl-run")
        url = (request.form.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            raise BadRequest(_("Enter the http(s) address to start from."), code="bad_url")
        args: dict[str, Any] = {
            "url": url[:2000],
            "max_pages": _int_field("max_pages", 1, 10_000),
            "max_images": _int_field("max_images", 1, 10_000),
            "delay": _float_field("delay"),
            "publish": request.form.get("publish") == "y",
            "allow_nets": list(current_app.config["CRAWL_ADMIN_ALLOW_NETS"]),
        }
        args = {key: value for key, value in args.items() if value is not None}
        return self._started("crawl", jobs.enqueue("crawl", **args), args)

    @expose("/import", methods=("POST",))
    def import_folder(self) -> Any:
        check("seed-run")
        folder = request.form.get("folder") or ""
        if folder not in import_folders():
            raise BadRequest(_("Choose one of the folders offered."), code="bad_folder")
        args = {"folder": folder, "publish": request.form.get("publish") == "y"}
        return self._started("import", jobs.enqueue("import", **args), args)

    @expose("/jobs.json")
    def job_list(self) -> Any:
        return jsonify(jobs.job_lists())

    @expose("/jobs/<job_id>.json")
    def job_detail(self, job_id: str) -> Any:
        job = jobs.fetch(job_id)
        if job is None:
            raise NotFound(_("There is no job %(id)s.", id=job_id))
        return jsonify(jobs.job_state(job))

    def _job_for_action(self, job_id: str) -> Any:
        job = jobs.fetch(job_id)
        if job is None:
            raise NotFound(_("There is no job %(id)s.", id=job_id))
        name = (job.meta or {}).get("name", "")
        check(JOB_PERMISSIONS.get(name, "admin-all"))
        return job, name

    @expose("/jobs/<job_id>/cancel", methods=("POST",))
    def cancel(self, job_id: str) -> Any:
        job, name = self._job_for_action(job_id)
        outcome = jobs.cancel(job.id)
        moderation.audit(
            actor(),
            ORIGIN,
            f"job.{name}.cancel",
            "job",
            None,
            None,
            {"job_id": job.id, "outcome": outcome},
        )
        db.session.commit()
        return jsonify({"id": job.id, "outcome": outcome})

    @expose("/jobs/<job_id>/rerun", methods=("POST",))
    def rerun(self, job_id: str) -> Any:
        job, name = self._job_for_action(job_id)
        again = jobs.rerun(job.id)
        if again is None:
            raise BadRequest(_("Only a failed or cancelled job can run again."), code="not_failed")
        moderation.audit(
            actor(),
            ORIGIN,
            f"job.{name}.rerun",
            "job",
            None,
            None,
            {"job_id": again.id, "of": job.id},
        )
        db.session.commit()
        return jsonify(jobs.job_state(again)), 202
