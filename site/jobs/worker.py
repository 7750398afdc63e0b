"""Workers: `flask worker` (a process), the worker thread of the embedded default, the clock.

- `flask worker` runs an RQ SimpleWorker on every queue: each job runs in the
  worker process itself (no fork per job), so its time limit is SIGALRM's. With
  `--schedule` the same process also runs the clock: RQ's CronScheduler for the
  schedule (gallery.jobs.schedule) and the mover of retries that wait out their
  back-off. Run exactly one worker with `--schedule`.
- JOBS_MODE "thread" (the embedded default, `make run`): the web process starts
  one worker thread and one clock thread with its first request. Signals and
  SIGALRM belong to the main thread, so the thread worker uses RQ's
  TimerDeathPenalty for time limits and installs no signal handlers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import click
from flask import Flask, current_app, request
from flask.cli import with_appcontext
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from gallery.caching.kv import connection_for_worker, redis_store
from gallery.jobs import schedule

log = logging.getLogger(__name__)
CLOCK_TICK_SECONDS = 1.0


def queue_names(app: Flask) -> list[str]:
    return list(app.config["JOBS_QUEUES"])


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can live in a non-main thread."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signals belong to the main thread (the web server's)."""

    def stop(self) -> None:
        """Stop after the running job (what a warm-shutdown signal does to a worker process)."""
        self._stop_requested = True


class Clock:
    """Enqueues what the schedule says is due, and retries whose back-off is over."""

    def __init__(self, app: Flask, connection: Any) -> None:
        self.app = app
        self.connection = connection
        self.cron = schedule.build(app, connection)
        self.mover = RQScheduler(queue_names(app), connection=connection)
        self.stopped = threading.Event()

    def tick(self) -> None:
        with self.app.app_context():
            self.cron.enqueue_jobs()
            if self.mover.should_reacquire_locks:
                self.mover.acquire_locks()
            self.mover.enqueue_scheduled_jobs()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - Redis away for a moment: try on the next tick
                log.exception("the job clock could not tick")
            self.stopped.wait(CLOCK_TICK_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.mover.release_locks()
        except Exception:  # noqa: BLE001
            log.warning("the job clock could not release its locks")


# --- the embedded default: a worker thread in the web process -------------------------------

_started: set[int] = set()
_lock = threading.Lock()


def start_threads(app: Flask) -> bool:
    """Start the worker and clock threads of this app once (JOBS_MODE "thread")."""
    with _lock:
        if id(app) in _started:
            return False
        _started.add(id(app))
    connection = connection_for_worker(app.extensions["gallery_redis"])
    # a short worker_ttl makes the worker look up from an empty queue every few seconds
    worker = ThreadWorker(queue_names(app), connection=connection, worker_ttl=20)
    clock = Clock(app, connection)

    def work() -> None:
        pause = 1.0
        with app.app_context():
            while not clock.stopped.is_set():
                try:
                    worker.work(logging_level="WARNING")
                except Exception:  # noqa: BLE001 - keep the site's jobs running
                    log.exception("the job worker thread stopped; restarting it")
                time.sleep(pause)
                pause = min(pause * 2, 60.0)

    threading.Thread(target=work, name="gallery-jobs-worker", daemon=True).start()
    threading.Thread(target=clock.run, name="gallery-jobs-clock", daemon=True).start()
    app.extensions["gallery_jobs_threads"] = (worker, clock)
    return True


def stop_threads(app: Flask) -> None:
    """Stop this app's worker and clock threads (a test's server going away)."""
    threads = app.extensions.pop("gallery_jobs_threads", None)
    if threads is not None:
        worker, clock = threads
        clock.stop()
        worker.stop()


def _start_with_first_request() -> None:
    """Start the threads from a request a web server serves (it names itself in
    SERVER_SOFTWARE), never from a test client or a CLI command's own requests."""
    app = current_app._get_current_object()
    if id(app) in _started or not request.environ.get("SERVER_SOFTWARE"):
        return
    start_threads(app)


def init_app(app: Flask) -> None:
    """In "thread" mode the web process works its own queue (from its first request on)."""
    if app.config["JOBS_MODE"] == "thread":
        app.before_request(_start_with_first_request)


# --- flask worker ---------------------------------------------------------------------------


@click.command("worker")
@click.option("--schedule", "with_clock", is_flag=True, help="Also run the schedule (one worker).")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then stop.")
@click.option(
    "--queue", "queues", multiple=True, help="Work only this queue (repeatable; default all)."
)
@with_appcontext
def worker_command(with_clock: bool, burst: bool, queues: tuple[str, ...]) -> None:
    """Run a job worker (RQ) on the site's Redis; Ctrl+C stops it after the running job."""
    app = current_app._get_current_object()
    if app.config["JOBS_MODE"] == "sync":
        raise click.ClickException("JOBS_MODE is sync: jobs run where they are queued")
    connection = connection_for_worker(redis_store.client)
    names = list(queues) or queue_names(app)
    worker = SimpleWorker(names, connection=connection)
    clock = Clock(app, connection) if with_clock else None
    if clock is not None:
        threading.Thread(target=clock.run, name="gallery-jobs-clock", daemon=True).start()
        for line in schedule.describe(app):
            click.echo(f"schedule: {line}")
    click.echo(f"worker {worker.name} on {', '.join(names)} ({app.config['JOBS_MODE']} mode)")
    try:
        worker.work(burst=burst, with_scheduler=clock is None)
    finally:
        if clock is not None:
            clock.stop()
