"""The job queue: RQ queues on the site's Redis, the table of jobs, enqueueing and inspection.

Every job runs `gallery.jobs.queue.perform(name, **kwargs)`, which looks the
work up in gallery.jobs.tasks by name, pushes a fresh app context (its own
database session), records the run when the job asks for it, and keeps the
job's progress (counts, the last log lines) in the job's meta for the console.
"""

from __future__ import annotations

import importlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from gallery import signals
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.models import OperationRun, utcnow

PERFORM = "gallery.jobs.queue.perform"
TASKS_MODULE = "gallery.jobs.tasks"
CANCEL_KEY = "gallery:jobs:cancel:"
MODES = ("worker", "thread", "sync")


@dataclass(frozen=True)
class JobSpec:
    """What a named job is: its queue, time limit, retries and whether it is recorded."""

    queue: str = "default"
    timeout: int = 600  # seconds; RQ stops the job past this
    retries: str = "JOBS_RETRY_INTERVALS"  # the config key of its back-off intervals
    record: bool = True  # an operation_run row with its outcome


JOBS: dict[str, JobSpec] = {
    "send-mail": JobSpec(queue="mail", timeout=60, retries="MAIL_RETRY_INTERVALS", record=False),
    "delete-files": JobSpec(timeout=120),
    # crawls and imports record their own run (gallery.media.runs.recorded_run)
    "crawl": JobSpec(queue="crawl", timeout=3600, record=False),
    "import": JobSpec(queue="crawl", timeout=3600, record=False),
    "cache-warm": JobSpec(timeout=120),
    "cache-clear": JobSpec(timeout=60),
    "views-flush": JobSpec(timeout=60, record=False),
    "hot-rebuild": JobSpec(timeout=300),
    "picks-auto": JobSpec(timeout=120),
    "purge": JobSpec(timeout=1800),
    "storage-sweep": JobSpec(timeout=1800),
}


def init_app(app: Flask) -> None:
    """Settle JOBS_MODE: "worker" with a Redis server, "thread" with the embedded store."""
    mode = app.config["JOBS_MODE"] or ("worker" if app.config["REDIS_URL"] else "thread")
    if mode not in MODES:
        raise RuntimeError(f"JOBS_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "thread" and app.config["REDIS_EMBEDDED"] == "memory":
        mode = "sync"  # a process-private store has no second process to share a worker with
    app.config["JOBS_MODE"] = mode
    signals.files_doomed.connect(_delete_files, weak=False)


def _delete_files(sender: Any, keys: list[str], **_: Any) -> None:
    """Purged rows are committed: their stored files go in a retried job."""
    enqueue("delete-files", keys=keys)


def mode() -> str:
    return str(current_app.config["JOBS_MODE"])


def queue(name: str = "default", connection: Any = None) -> Queue:
    """An RQ queue on the site's Redis; in "sync" mode it runs each job at once."""
    return Queue(name, connection=connection or redis_store.client, is_async=mode() != "sync")


def retry_for(spec: JobSpec) -> Retry | None:
    intervals = [int(s) for s in current_app.config[spec.retries]]
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def enqueue(name: str, *, job_id: str | None = None, **kwargs: Any) -> Job:
    """Queue the named job with its time limit and retries; returns the RQ job.

    With a job_id, a job of that id that is still queued, scheduled or running
    is returned as it is instead of queueing a second one (idempotent enqueue).
    """
    spec = JOBS[name]
    config = current_app.config
    if job_id is not None:
        existing = fetch(job_id)
        if existing is not None and existing.get_status() in (
            JobStatus.QUEUED,
            JobStatus.SCHEDULED,
            JobStatus.STARTED,
            JobStatus.DEFERRED,
        ):
            return existing
    return queue(spec.queue).enqueue(
        PERFORM,
        args=(name,),
        kwargs=kwargs,
        job_id=job_id,
        job_timeout=spec.timeout,
        retry=retry_for(spec),
        result_ttl=config["JOBS_RESULT_SECONDS"],
        failure_ttl=config["JOBS_FAILED_SECONDS"],
        description=name,
        meta={"name": name, "queued_at": utcnow().isoformat()},
    )


def fetch(job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=redis_store.client)
    except NoSuchJobError:
        return None


# --- running a job --------------------------------------------------------------------------


class Progress:
    """A running job's counts, done/total and last log lines, saved to its meta now and then."""

    def __init__(self, job: Job | None, lines: int = 20) -> None:
        self.job = job
        self.done = 0
        self.total: int | None = None
        self.counts: dict[str, Any] = {}
        self.lines: deque[str] = deque(maxlen=lines)
        self._saved = 0.0

    def log(self, line: str) -> None:
        self.lines.append(str(line)[:300])
        self.save()

    def update(self, done: int | None = None, total: int | None = None, **counts: Any) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        self.counts.update(counts)
        self.save()

    def absorb(self, saved: dict[str, Any] | None) -> None:
        """Take over the progress another process saved for this job (the crawl's child)."""
        if not saved:
            return
        self.done, self.total = saved.get("done", 0), saved.get("total")
        self.counts.update(saved.get("counts") or {})
        self.lines.extend(saved.get("log") or [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "total": self.total,
            "counts": dict(self.counts),
            "log": list(self.lines),
        }

    def save(self, force: bool = False) -> None:
        """Write to the job's meta at most twice a second (always when forced)."""
        if self.job is None:
            return
        now = time.monotonic()
        if not force and now - self._saved < 0.5:
            return
        self._saved = now
        try:
            self.job.meta["progress"] = self.as_dict()
            self.job.save_meta()
        except Exception:  # noqa: BLE001 - progress is a courtesy; the work goes on
            current_app.logger.warning("could not save the progress of job %s", self.job.id)


_progress: ContextVar[Progress | None] = ContextVar("gallery_job_progress", default=None)


class JobCancelled(Exception):
    """An operator cancelled the running job; it ends as "cancelled", not retried."""


def bind_progress(current: Progress) -> Any:
    return _progress.set(current)


def unbind_progress(token: Any) -> None:
    _progress.reset(token)


def record_run(run_id: int | None) -> None:
    """Link the running job to the operation_run row its work recorded."""
    current = progress()
    if current.job is not None and run_id is not None:
        current.job.meta["run_id"] = run_id
        current.job.save_meta()


def progress() -> Progress:
    """The running job's Progress (a throw-away one outside a job: the CLI)."""
    return _progress.get() or Progress(None)


def cancel_requested() -> bool:
    """True once an operator asked to cancel the running job."""
    current = progress()
    if current.job is None:
        return False
    return bool(redis_store.client.exists(CANCEL_KEY + current.job.id))


def task(name: str) -> Callable[..., Any]:
    """The function behind a job name (gallery.jobs.tasks.TASKS, which imports this module)."""
    return importlib.import_module(TASKS_MODULE).TASKS[name]


def perform(name: str, **kwargs: Any) -> Any:
    """Run one named job in its own app context; record it when its spec says so."""

    job = get_current_job()
    spec = JOBS[name]
    app = current_app._get_current_object()
    with app.app_context():
        current = Progress(job, lines=int(app.config["JOBS_LOG_LINES"]))
        token = _progress.set(current)
        try:
            with recorded(name, kwargs, job, current, spec.record):
                result = task(name)(**kwargs)
        except JobCancelled:
            current.log("cancelled")
            result = "cancelled"
        finally:
            current.save(force=True)
            _progress.reset(token)
            db.session.remove()
    return result


@contextmanager
def recorded(
    name: str, kwargs: dict[str, Any], job: Job | None, current: Progress, record: bool
) -> Iterator[None]:
    """An operation_run row for the job: running, then finished or failed with its counts."""
    if not record:
        yield
        return
    args = dict(kwargs)
    if job is not None:
        args["job_id"] = job.id
        args["attempt"] = attempt_of(job)
    run = OperationRun(kind=name[:16], args=args, status="running", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    if job is not None:
        job.meta["run_id"] = run_id
        job.save_meta()
    status, error_text = "finished", None
    try:
        yield
    except JobCancelled:
        status = "cancelled"
        raise
    except BaseException as error:
        status, error_text = "failed", f"{type(error).__name__}: {error}"[:300]
        raise
    finally:
        db.session.rollback()
        row = db.session.get(OperationRun, run_id)
        if row is not None:
            counts = {**(row.counts or {}), **current.as_dict()}
            if error_text:
                counts["error"] = error_text
            row.status, row.finished_at, row.counts = status, utcnow(), counts
            db.session.commit()


def attempt_of(job: Job) -> int:
    """1 for the first run of a job, 2 for its first retry, and so on."""
    if job.retries_left is None or not job.retry_intervals:
        return 1
    return len(job.retry_intervals) - job.retries_left + 1


# --- the console's view of the queues -------------------------------------------------------


def job_state(job: Job) -> dict[str, Any]:
    """What the console shows of one job (JSON)."""
    status = job.get_status(refresh=False)
    meta = job.meta or {}
    return {
        "id": job.id,
        "name": meta.get("name") or job.description,
        "status": str(status.value if hasattr(status, "value") else status),
        "args": job.kwargs,
        "queued_at": meta.get("queued_at"),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "ended_at": job.ended_at.isoformat() if job.ended_at else None,
        "retries_left": job.retries_left,
        "progress": meta.get("progress") or {"done": 0, "total": None, "counts": {}, "log": []},
        "run_id": meta.get("run_id"),
        "error": last_error(job),
    }


def last_error(job: Job) -> str | None:
    if job.get_status(refresh=False) != JobStatus.FAILED:
        return None
    try:
        text = job.latest_result().exc_string if job.latest_result() else None
    except Exception:  # noqa: BLE001 - an old result format: no text to show
        text = None
    return (text or "").strip().splitlines()[-1][:300] if text else None


def job_lists(limit: int = 25) -> dict[str, list[dict[str, Any]]]:
    """Running, queued, scheduled, failed and finished jobs of every queue, newest first."""
    connection = redis_store.client
    ids: dict[str, list[str]] = {
        "running": [],
        "queued": [],
        "scheduled": [],
        "failed": [],
        "finished": [],
    }
    for name in current_app.config["JOBS_QUEUES"]:
        q = Queue(name, connection=connection)
        ids["queued"] += q.get_job_ids()
        ids["running"] += StartedJobRegistry(queue=q).get_job_ids()
        ids["scheduled"] += ScheduledJobRegistry(queue=q).get_job_ids()
        ids["failed"] += FailedJobRegistry(queue=q).get_job_ids()
        ids["finished"] += FinishedJobRegistry(queue=q).get_job_ids()
    lists: dict[str, list[dict[str, Any]]] = {}
    for key, job_ids in ids.items():
        jobs = [j for j in Job.fetch_many(job_ids, connection=connection) if j]
        jobs.sort(key=lambda j: j.enqueued_at or j.created_at, reverse=True)
        lists[key] = [job_state(job) for job in jobs[:limit]]
    return lists


def cancel(job_id: str) -> str:
    """Cancel a queued or scheduled job; ask a running one to stop. Returns what was done."""
    job = fetch(job_id)
    if job is None:
        return "gone"
    status = job.get_status()
    if status == JobStatus.STARTED:
        redis_store.client.set(CANCEL_KEY + job_id, b"1", ex=24 * 3600)
        return "stopping"
    if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        job.cancel()
        return "cancelled"
    return "not-running"


def rerun(job_id: str) -> Job | None:
    """Queue a failed (or cancelled) job again with the same arguments, as a new job."""
    job = fetch(job_id)
    if job is None or job.get_status() not in (JobStatus.FAILED, JobStatus.CANCELED):
        return None
    name = (job.meta or {}).get("name") or job.args[0]
    return enqueue(name, **job.kwargs)
