"""The work behind every job name (gallery.jobs.queue.JOBS); the CLI commands call the same.

Each function is idempotent: running it twice (a retry after a worker died
half-way) does no harm. Each returns a one-line summary (the job's result).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_security.mail_util import MailUtil

from gallery.caching import cache, pagecache
from gallery.caching.kv import redis_store
from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.feeds import hot, picks
from gallery.feeds import views as views_count
from gallery.jobs import queue
from gallery.media import ingest
from gallery.media.importer import import_tree
from gallery.media.runs import Tally
from gallery.models import OperationRun, today, utcnow
from gallery.moderation import actions as moderation

MAIL_SENT_KEY = "gallery:mail:sent:"
CRAWL_POLL_SECONDS = 0.5


class StorageRetry(RuntimeError):
    """Some stored files could not be deleted yet; the job is retried with back-off."""


# --- mail ---------------------------------------------------------------------------------


def send_mail(message: dict[str, Any], key: str) -> str:
    """Send one rendered mail through the configured backend; once per key, whatever retries."""
    client = redis_store.client
    if client.exists(MAIL_SENT_KEY + key):
        return "already sent"
    MailUtil(current_app).send_mail(**message)
    client.set(MAIL_SENT_KEY + key, b"1", ex=30 * 24 * 3600)
    return f"sent to {message['recipient']}"


# --- stored files ---------------------------------------------------------------------------


def delete_files(keys: list[str]) -> str:
    """Delete stored files of purged images; what storage refused is retried later."""
    failed = ingest.remove_files(list(keys))
    if failed:
        # the retry tries the rest; deleting a file that is already gone is harmless
        raise StorageRetry(f"{len(failed)} of {len(keys)} files not deleted yet")
    return f"deleted {len(keys)} files"


# --- caches, counters, ranking, picks -----------------------------------------------------


def cache_warm() -> str:
    picks.ensure_automatic_picks(today())  # choosing them drops the caches: do it first
    db.session.commit()
    lines = pagecache.warm_caches()
    for line in lines:
        queue.progress().log(line)
    return "warmed " + ", ".join(lines)


def cache_clear() -> str:
    return f"caches cleared (generation {cache.clear()})"


def views_flush() -> str:
    flushed = views_count.flush_views()
    if not cache.redis_available():
        raise RuntimeError("Redis is not reachable; the buffered views stay there")
    db.session.commit()
    return f"views flushed: {flushed}"


def hot_rebuild() -> str:
    count = hot.rebuild_hot()
    db.session.commit()
    return f"hot ranking rebuilt: {count} images"


def picks_auto(date: str | None = None, warm: bool = False) -> str:
    day = dt.date.fromisoformat(date) if date else today()
    created = picks.ensure_automatic_picks(day)
    db.session.commit()
    if warm:
        queue.enqueue("cache-warm")
    return f"{len(created)} automatic picks for {day}"


def purge(warm: bool = False) -> str:
    """Purge what was hidden longer than the retention, and old job records."""
    purged = moderation.purge_expired(origin="job")
    db.session.commit()
    dropped = drop_old_records()
    if warm:
        queue.enqueue("cache-warm")
    return f"purged {purged}; {dropped} old job records dropped"


def drop_old_records() -> int:
    """Job records (operation_run rows) past JOBS_RECORD_DAYS."""
    cutoff = utcnow() - dt.timedelta(days=int(current_app.config["JOBS_RECORD_DAYS"]))
    rows = db.session.scalars(db.select(OperationRun).where(OperationRun.started_at < cutoff)).all()
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    return len(rows)


def storage_sweep(grace_minutes: int = 60, warm: bool = False) -> str:
    report = ingest.find_orphans(grace_seconds=grace_minutes * 60)
    moderation.sweep(report)
    db.session.commit()
    if warm:
        queue.enqueue("cache-warm")
    text = (
        f"removed {len(report.orphan_files) - len(report.failed)} orphan files; "
        f"purged {len(report.broken_images)} images"
    )
    if report.failed:
        raise StorageRetry(text + f"; {len(report.failed)} files could not be deleted")
    return text


# --- crawls and imports ---------------------------------------------------------------------


def _copy_counts(tally: Tally) -> None:
    """Copy a run's counts to the job's progress."""
    counts = {label: tally.counts[label] for label in tally.labels}
    queue.progress().update(done=tally.counts["stored"] + tally.counts["duplicates"], **counts)


def _import_listener(tally: Tally) -> None:
    """Counts to the console; a cancel ends the import between two images."""
    _copy_counts(tally)
    if queue.cancel_requested():
        raise queue.JobCancelled()


def import_(folder: str, publish: bool = True) -> str:
    """Import <IMPORT_ROOT>/<folder>/<username>/<image> (the admin's import)."""
    root = import_root(current_app)
    path = (root / folder).resolve()
    if root not in path.parents and path != root:
        raise GalleryError(f"{folder!r} is not inside the import folder")
    result = import_tree(
        path,
        source="import",
        publish=publish,
        echo=queue.progress().log,
        progress=False,
        listener=_import_listener,
    )
    queue.record_run(result.run_id)
    return (
        f"import: {result.stored} stored, {result.duplicates} duplicates, "
        f"{len(result.rejected)} rejected"
    )


def import_root(app: Flask) -> Path:
    return Path(app.config["IMPORT_ROOT"] or Path(app.instance_path) / "import").resolve()


def crawl(url: str, **given: Any) -> str:
    """One crawl in a child process (Scrapy's reactor runs once per process).

    The child writes counts and log lines to this job's progress; a cancel
    stops it gracefully (SIGTERM: Scrapy finishes what is in flight and records).
    """
    from gallery.crawler.runner import build_options  # noqa: PLC0415 - Scrapy is optional

    allow_nets = tuple(given.pop("allow_nets", ()) or ())
    options = build_options(current_app.config, url, allow_nets, given)
    app = current_app._get_current_object()
    job = queue.progress().job
    child = multiprocessing.get_context("fork").Process(
        target=_crawl_child, args=(app, options, job.id if job else None), daemon=False
    )
    child.start()
    stopping = False
    while child.is_alive():
        child.join(CRAWL_POLL_SECONDS)
        if not stopping and queue.cancel_requested():
            stopping = True
            child.terminate()  # SIGTERM: Scrapy stops gracefully
    current = queue.progress()
    saved = queue.fetch(job.id) if job else None
    current.absorb(saved.meta.get("progress") if saved else None)
    if child.exitcode != 0:
        raise RuntimeError(f"the crawl process ended with code {child.exitcode}")
    current.log("crawl finished" if not stopping else "crawl cancelled")
    return "cancelled" if stopping else "crawl finished"


def _crawl_child(app: Flask, options: Any, job_id: str | None) -> None:
    """The crawl itself, in the forked child: fresh database connections, the same job."""
    from gallery.crawler.runner import run_crawl  # noqa: PLC0415 - Scrapy is optional

    with app.app_context():
        db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        current = queue.Progress(
            queue.fetch(job_id) if job_id else None, lines=int(app.config["JOBS_LOG_LINES"])
        )
        token = queue.bind_progress(current)
        try:
            tally = run_crawl(options, echo=current.log, listener=_copy_counts)
            current.update(finish_reason=tally.finish_reason)
        finally:
            current.save(force=True)
            queue.unbind_progress(token)
            db.session.remove()


#: job name -> the function that does the work
TASKS = {
    "send-mail": send_mail,
    "delete-files": delete_files,
    "crawl": crawl,
    "import": import_,
    "cache-warm": cache_warm,
    "cache-clear": cache_clear,
    "views-flush": views_flush,
    "hot-rebuild": hot_rebuild,
    "picks-auto": picks_auto,
    "purge": purge,
    "storage-sweep": storage_sweep,
}
