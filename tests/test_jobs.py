"""Jobs in "sync" mode (the suite's default): records, mails, purge files, the schedule, the
console's permissions and CSRF, and the embedded store shared between two processes' apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import select

from gallery import create_app
from gallery.caching.kv import redis_store, stop_embedded_server
from gallery.extensions import db
from gallery.feeds.hot import PENDING_VIEWS_KEY
from gallery.jobs import queue as jobs
from gallery.jobs import schedule, tasks
from gallery.models import AuditLog, Image, OperationRun, today
from gallery.roles import sync_roles
from tests.support import sample_images as samples
from tests.support.accounts import register
from tests.support.auth import csrf, login_as
from tests.support.environment import FROZEN_NOW, REDIS_URL, base_config
from tests.support.factories import create_image, create_user


def runs(kind: str) -> list[OperationRun]:
    return list(
        db.session.scalars(
            select(OperationRun).where(OperationRun.kind == kind).order_by(OperationRun.id)
        )
    )


def test_a_job_is_recorded_with_its_outcome(app: Flask) -> None:
    create_image(create_user("alice"))
    job = jobs.enqueue("hot-rebuild")
    assert job.get_status() == "finished"
    assert job.return_value() == "hot ranking rebuilt: 1 images"
    [run] = runs("hot-rebuild")
    assert run.status == "finished" and run.finished_at is not None
    assert run.args == {"job_id": job.id, "attempt": 1}


def test_a_failing_job_is_recorded_failed_with_the_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(tasks.TASKS, "hot-rebuild", broken)
    job = jobs.enqueue("hot-rebuild")
    assert job.get_status() == "failed"
    assert "the disk is on fire" in jobs.job_state(job)["error"]
    [run] = runs("hot-rebuild")
    assert run.status == "failed" and run.counts["error"] == "RuntimeError: the disk is on fire"


def test_every_job_has_a_time_limit_and_retries_with_back_off(app: Flask) -> None:
    app.config["JOBS_MODE"] = "worker"  # only queue it, so that it can be looked at
    for name, spec in jobs.JOBS.items():
        job = jobs.enqueue(name) if name in ("cache-warm", "views-flush") else None
        if job is not None:
            assert job.timeout == spec.timeout
            assert job.retries_left == len(app.config[spec.retries])
            assert job.retry_intervals == list(app.config[spec.retries])
    mail = jobs.enqueue("send-mail", message={}, key="k")
    assert mail.origin == "mail" and mail.retry_intervals == [30, 120, 600, 1800, 3600]


def test_enqueue_with_a_job_id_is_idempotent_while_the_job_waits(app: Flask) -> None:
    app.config["JOBS_MODE"] = "worker"
    first = jobs.enqueue("views-flush", job_id="flush-once")
    second = jobs.enqueue("views-flush", job_id="flush-once")
    assert first.id == second.id == "flush-once"
    assert jobs.queue("default").count == 1


def test_a_mail_is_sent_once_whatever_the_retries(app: Flask) -> None:
    message = {
        "template": "test",
        "subject": "Hello",
        "recipient": "zoe@example.com",
        "sender": "Gallery <no-reply@gallery.local>",
        "body": "hi",
        "html": None,
    }
    assert tasks.send_mail(message, key="abc") == "sent to zoe@example.com"
    assert tasks.send_mail(message, key="abc") == "already sent"
    assert len(app.extensions["mailman"].outbox) == 1


def test_registration_mail_goes_through_the_mail_queue(app: Flask, client: Any) -> None:
    response = register(client)
    assert response.status_code == 302
    finished = FinishedJobRegistry("mail", connection=redis_store.client).get_job_ids()
    assert len(finished) == 1
    job = Job.fetch(finished[0], connection=redis_store.client)
    assert job.kwargs["message"]["recipient"] == "zoe@example.com"
    [mail] = app.extensions["mailman"].outbox
    assert mail.to == ["zoe@example.com"]


def test_purge_deletes_the_files_in_a_job_after_the_commit(app: Flask) -> None:
    from gallery.media import ingest
    from gallery.media.storage import get_storage
    from gallery.moderation import actions as moderation

    image = ingest.ingest(create_user("alice"), samples.jpeg()).image
    db.session.commit()
    assert len(list(get_storage().keys())) == 3
    moderation.purge_image(image, None, "cli")
    assert len(list(get_storage().keys())) == 3  # nothing goes before the commit
    db.session.commit()
    assert list(get_storage().keys()) == []
    [run] = runs("delete-files")
    assert run.status == "finished" and len(run.args["keys"]) == 3


def test_a_rolled_back_purge_keeps_the_files(app: Flask) -> None:
    from gallery.media import ingest
    from gallery.media.storage import get_storage
    from gallery.moderation import actions as moderation

    image = ingest.ingest(create_user("alice"), samples.jpeg()).image
    db.session.commit()
    moderation.purge_image(image, None, "cli")
    db.session.rollback()
    db.session.commit()
    assert len(list(get_storage().keys())) == 3 and runs("delete-files") == []


def test_files_storage_refuses_make_the_job_fail_for_a_retry(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gallery.media import ingest

    monkeypatch.setattr(ingest, "remove_files", lambda keys: keys[1:])
    with pytest.raises(tasks.StorageRetry, match="2 of 3 files not deleted yet"):
        tasks.delete_files(["a", "b", "c"])


# --- the schedule ---------------------------------------------------------------------------


#: RQ's cron plan reads "now" from the Redis server; a real server keeps its own clock, which
#: the test clock cannot move, so these run against the in-process store (the SQLite pass).
needs_test_clock_in_redis = pytest.mark.skipif(
    bool(REDIS_URL), reason="a real Redis server does not follow the test clock"
)


@pytest.fixture
def clock() -> Iterator[Any]:
    """This test's own clock at FROZEN_NOW, wherever the run's clock has got to by now."""
    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller


@needs_test_clock_in_redis
def test_the_schedule_reads_cron_in_the_configured_time_zone(app: Flask, clock: Any) -> None:
    app.config["SCHEDULE_TIMEZONE"] = "Asia/Shanghai"
    table = {job.job_name: job for job in schedule.build(app).jobs}
    assert set(table) == {"views-flush", "picks-auto", "purge", "storage-sweep"}
    # 2030-01-15 10:00 UTC is 18:00 in Shanghai: the next 00:05 there is 16:05 UTC
    assert table["picks-auto"].next_enqueue_time == dt.datetime(2030, 1, 15, 16, 5, tzinfo=dt.UTC)
    assert table["purge"].next_enqueue_time.astimezone(ZoneInfo("Asia/Shanghai")).hour == 3
    assert table["views-flush"].interval == 60
    assert table["picks-auto"].kwargs == {"warm": True}
    assert "picks-auto: cron '5 0 * * *' (Asia/Shanghai), then cache-warm" in "\n".join(
        schedule.describe(app)
    )


@needs_test_clock_in_redis
def test_the_clock_queues_what_is_due_and_nothing_twice(app: Flask, clock: Any) -> None:
    app.config["JOBS_MODE"] = "worker"
    plan = schedule.build(app)
    assert [job.job_name for job in plan.enqueue_jobs()] == ["views-flush"]  # at once
    assert plan.enqueue_jobs() == []
    clock.shift(dt.timedelta(seconds=61))
    assert [job.job_name for job in plan.enqueue_jobs()] == ["views-flush"]
    clock.move_to(dt.datetime(2030, 1, 16, 0, 5, 1, tzinfo=dt.UTC))
    assert {job.job_name for job in plan.enqueue_jobs()} == {"views-flush", "picks-auto"}
    queued = [job.description for job in jobs.queue("default").get_jobs()]
    assert queued.count("views-flush") == 3 and queued.count("picks-auto") == 1


def test_a_switched_off_entry_is_left_out_and_an_unknown_one_refused(app: Flask) -> None:
    app.config["SCHEDULE"] = {**app.config["SCHEDULE"], "purge": None}
    assert "purge" not in schedule.entries(app)
    app.config["SCHEDULE"] = {"no-such-job": 60}
    with pytest.raises(RuntimeError, match="no-such-job"):
        schedule.entries(app)


def test_scheduled_maintenance_warms_the_caches_after_it(app: Flask) -> None:
    assert tasks.picks_auto(warm=True) == f"0 automatic picks for {today()}"
    assert runs("cache-warm")[0].status == "finished"  # the warm job ran (sync mode)


# --- the console ----------------------------------------------------------------------------


def test_operator_starts_a_job_from_the_console_and_sees_it_listed(app: Flask, client: Any) -> None:
    login_as(client, create_user("olga", roles=("operator",)))
    response = client.post(
        "/admin/operations/run/rebuild-hot",
        data={"csrf_token": csrf(client)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202
    started = response.get_json()
    assert started["name"] == "hot-rebuild" and started["status"] == "finished"
    listed = client.get("/admin/operations/jobs.json").get_json()
    assert [job["id"] for job in listed["finished"]] == [started["id"]]
    assert set(listed) == {"running", "queued", "scheduled", "failed", "finished"}
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "job.hot-rebuild")).one()
    assert entry.after["job_id"] == started["id"]
    page = client.get("/admin/operations/").get_data(as_text=True)
    assert 'id="jobs-console"' in page and "js/jobs.js" in page and 'id="crawl-form"' in page


def test_the_console_refuses_without_csrf(app: Flask, client: Any) -> None:
    login_as(client, create_user("olga", roles=("operator",)))
    assert client.post("/admin/operations/run/rebuild-hot").status_code == 400
    assert runs("hot-rebuild") == []


def test_the_console_is_closed_to_moderators(app: Flask, client: Any) -> None:
    login_as(client, create_user("mona", roles=("moderator",)))
    assert client.get("/admin/operations/").status_code == 403
    assert client.get("/admin/operations/jobs.json").status_code == 403
    refused = client.post(
        "/admin/operations/crawl", data={"csrf_token": csrf(client), "url": "http://x.test/"}
    )
    assert refused.status_code == 403


def test_cancel_a_queued_job_and_run_a_failed_one_again(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(client, create_user("olga", roles=("operator",)))
    app.config["JOBS_MODE"] = "worker"
    waiting = jobs.enqueue("cache-clear")
    answer = client.post(
        f"/admin/operations/jobs/{waiting.id}/cancel", headers={"X-CSRFToken": csrf(client)}
    )
    assert answer.get_json() == {"id": waiting.id, "outcome": "cancelled"}
    assert waiting.get_status(refresh=True) == "canceled"
    app.config["JOBS_MODE"] = "sync"
    monkeypatch.setitem(tasks.TASKS, "cache-clear", lambda: 1 / 0)
    failed = jobs.enqueue("cache-clear")
    assert failed.get_status() == "failed"
    monkeypatch.setitem(tasks.TASKS, "cache-clear", lambda: "cleared")
    again = client.post(
        f"/admin/operations/jobs/{failed.id}/rerun", headers={"X-CSRFToken": csrf(client)}
    )
    assert again.status_code == 202 and again.get_json()["status"] == "finished"
    finished = client.post(
        f"/admin/operations/jobs/{again.get_json()['id']}/rerun",
        headers={"X-CSRFToken": csrf(client), "Accept": "application/json"},
    )
    assert finished.status_code == 400 and finished.get_json()["error"] == "not_failed"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"job.cache-clear.cancel", "job.cache-clear.rerun"} <= actions


def test_bad_crawl_and_import_input_is_a_clear_400(app: Flask, client: Any) -> None:
    login_as(client, create_user("olga", roles=("operator",)))
    token = csrf(client)
    headers = {"Accept": "application/json"}
    bad_url = client.post(
        "/admin/operations/crawl", data={"csrf_token": token, "url": "ftp://x"}, headers=headers
    )
    assert bad_url.status_code == 400 and bad_url.get_json()["error"] == "bad_url"
    bad_pages = client.post(
        "/admin/operations/crawl",
        data={"csrf_token": token, "url": "http://x.test/", "max_pages": "lots"},
        headers=headers,
    )
    assert bad_pages.status_code == 400 and bad_pages.get_json()["error"] == "bad_field"
    bad_folder = client.post(
        "/admin/operations/import", data={"csrf_token": token, "folder": "../etc"}, headers=headers
    )
    assert bad_folder.status_code == 400 and bad_folder.get_json()["error"] == "bad_folder"
    assert client.get("/admin/operations/jobs/nope.json").status_code == 404


def test_import_from_the_console_stores_the_folder(app: Flask, client: Any) -> None:
    folder = Path(app.instance_path) / "import" / "batch1" / "ivy"
    folder.mkdir(parents=True)
    (folder / "one.jpg").write_bytes(samples.jpeg())
    login_as(client, create_user("olga", roles=("operator",)))
    response = client.post(
        "/admin/operations/import",
        data={"csrf_token": csrf(client), "folder": "batch1", "publish": "y"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202
    state = response.get_json()
    assert state["status"] == "finished" and state["progress"]["counts"]["stored"] == 1
    assert db.session.scalars(select(Image)).one().status == "visible"
    assert runs("import")[0].status == "finished"


# --- the embedded store ---------------------------------------------------------------------


def test_a_cli_app_beside_the_site_reaches_its_counters(tmp_path: Path, monkeypatch: Any) -> None:
    """Two apps on one instance folder (the site and a CLI command) share the embedded
    redis-server: views counted by the site are flushed by the command."""
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    config.update(REDIS_URL=None, REDIS_EMBEDDED="server", JOBS_MODE="sync")
    site = create_app(config)
    command = create_app(config)
    with site.app_context():
        db.create_all()
        sync_roles()
        image = create_image(create_user("alice"))
        image_id = image.id
        db.session.commit()
    assert site.test_client().get(f"/images/{image_id}").status_code == 200
    with site.app_context():
        assert redis_store.client.hgetall(PENDING_VIEWS_KEY)
    result = command.test_cli_runner().invoke(args=["views", "flush"])
    assert result.exit_code == 0, result.output
    assert "views flushed: 1" in result.output
    with site.app_context():
        assert db.session.get(Image, image_id).views == 1
        assert not redis_store.client.hgetall(PENDING_VIEWS_KEY)
        db.session.remove()
        db.engine.dispose()
    stop_embedded_server(site.extensions["gallery_redis"])
