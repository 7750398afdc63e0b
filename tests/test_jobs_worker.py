"""Real workers on a real Redis: a worker killed in the middle of a job, whose job is retried
to completion by the next worker; and a registration that succeeds while SMTP refuses,
its mail delivered on a retry once the SMTP server answers."""

from __future__ import annotations

import datetime as dt
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select

from gallery import create_app
from gallery.caching.kv import connection_for_worker, redis_store
from gallery.extensions import db
from gallery.jobs import queue as jobs
from gallery.jobs.worker import ThreadWorker
from gallery.models import OperationRun, User
from gallery.roles import sync_roles
from tests.support.accounts import register
from tests.support.jobs import (
    real_redis_url,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)
from tests.support.jobs_worker import register_test_job
from tests.support.mail import free_port, smtp_server, smtp_settings

__all__ = ["real_redis_url"]  # the fixture, imported for the tests below


@pytest.fixture
def worker_app(
    tmp_path: Path, real_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """An app in JOBS_MODE "worker" on real Redis and a file database."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(instance))
    smtp_port = free_port()
    app = create_app(
        worker_config(
            tmp_path,
            real_redis_url,
            **smtp_settings(smtp_port),
            SMTP_TEST_PORT=smtp_port,
        )
    )
    with app.app_context():
        db.create_all()
        sync_roles()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_job_whose_worker_is_killed_is_retried_to_completion(
    worker_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_test_job()
    marks = tmp_path / "marks"
    marks.mkdir()
    job = jobs.enqueue("test-block", folder=str(marks))
    assert job.retries_left == 2 and job.retry_intervals == [1, 1]
    config = worker_config(tmp_path, worker_app.config["REDIS_URL"])
    first = start_worker(config, worker_app.instance_path)
    try:
        wait_for(lambda: (marks / "started-1").exists(), "the first attempt to start")
    finally:
        # SIGKILL in the middle of the job: no handler runs, nothing is cleaned up
        stop_worker(first, signal.SIGKILL)
    registry = StartedJobRegistry("default", connection=redis_store.client)
    assert job.get_status(refresh=True) == "started"  # what the dead worker left behind
    # RQ finds abandoned jobs once their worker's heartbeat has lapsed; ask as of then
    registry.cleanup(timestamp=time.time() + 3600)
    # and the dead worker's scheduler lock lapses 61 s after its last heartbeat: let it lapse
    redis_store.client.delete(RQScheduler.get_locking_key("default"))
    job.refresh()
    assert job.get_status() == "scheduled"  # waiting out its back-off
    assert job.retries_left == 1
    (marks / "release").touch()
    second = start_worker(config, worker_app.instance_path)
    try:
        wait_for(lambda: job.get_status(refresh=True) == "finished", "the retry to finish")
    finally:
        output = stop_worker(second)
    assert (marks / "done").read_text() == "2", output
    assert job.return_value() == "done on attempt 2"
    db.session.expire_all()
    records = db.session.scalars(
        select(OperationRun).where(OperationRun.kind == "test-block").order_by(OperationRun.id)
    ).all()
    assert [(r.args["attempt"], r.status) for r in records] == [(1, "running"), (2, "finished")]


def test_registration_succeeds_while_smtp_refuses_and_the_mail_arrives_on_retry(
    worker_app: Flask, fixed_clock: Any
) -> None:
    client = worker_app.test_client()
    response = register(client)
    assert response.status_code == 302  # no SMTP server listens: the request did not wait on it
    assert db.session.scalar(select(User).where(User.username == "zoe")) is not None
    connection = connection_for_worker(redis_store.client)
    worker = ThreadWorker(["mail"], connection=connection)
    worker.work(burst=True)  # the first attempt: connection refused
    [job] = [j for j in jobs.job_lists()["scheduled"] if j["name"] == "send-mail"]
    assert job["retries_left"] == 4
    with smtp_server(worker_app.config["SMTP_TEST_PORT"]) as inbox:
        mover = RQScheduler(["mail"], connection=connection)
        mover.acquire_locks()
        mover.enqueue_scheduled_jobs()
        assert jobs.queue("mail").count == 0  # the back-off (30 s) is not over yet
        fixed_clock.shift(dt.timedelta(seconds=31))
        mover.enqueue_scheduled_jobs()
        worker.work(burst=True)
        mover.release_locks()
    [message] = inbox.messages
    assert message["To"] == "zoe@example.com"
    assert re.search(r"/confirm/[\w.\-]+", inbox.plain_text())
    assert jobs.fetch(job["id"]).get_status() == "finished"
