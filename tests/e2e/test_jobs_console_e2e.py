"""The jobs console in Chromium: an operator starts a crawl of the local fixture site from the
Operations page and watches it run and finish, on a server set up like `make run` (embedded
redis-server shared by the site's processes, jobs in a worker thread of the web process)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from gallery import create_app
from gallery.caching.kv import redis_store, stop_embedded_server
from gallery.extensions import db
from gallery.jobs.worker import stop_threads
from gallery.models import Image, OperationRun
from gallery.roles import sync_roles
from tests.support.crawl_site import MAX_IMAGE_BYTES, MIN_SIZE, serve_site
from tests.support.environment import base_config
from tests.support.factories import create_user
from tests.support.live import CHROMIUM, free_port, live_wsgi_server, login_through_form

pytest.importorskip("scrapy")


@pytest.fixture
def thread_mode_server(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Flask, str]]:
    """A live server with the embedded defaults of `make run` (not the suite's sync mode)."""
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    config.update(
        REDIS_URL=None,
        REDIS_EMBEDDED="server",
        JOBS_MODE="thread",
        SERVER_NAME=None,
        CRAWL_ADMIN_ALLOW_NETS=("127.0.0.0/8",),
        CRAWL_MIN_IMAGE_SIZE=MIN_SIZE,
        CRAWL_MAX_IMAGE_BYTES=MAX_IMAGE_BYTES,
        CRAWL_REQUEST_TIMEOUT=3,
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        redis_store.client.flushdb()
        sync_roles()
        create_user("opal", roles=("operator",))
        db.session.commit()
        db.session.remove()
    port = free_port()
    server = live_wsgi_server(app, port)
    thread = threading.Thread(target=server.serve_forever, name="jobs-live-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        stop_threads(app)
        with app.app_context():
            db.engine.dispose()
        stop_embedded_server(app.extensions["gallery_redis"])


def test_operator_starts_a_crawl_and_watches_it_finish(
    browser: Any, thread_mode_server: tuple[Flask, str]
) -> None:
    assert CHROMIUM.exists()
    app, url = thread_mode_server
    context = browser.new_context(base_url=url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login_through_form(page, "opal", "password-opal")
        with serve_site() as site:
            page.goto("/admin/operations/")
            page.fill("#crawl-url", f"{site.base}/index.html")
            page.fill("#crawl-pages", "4")
            page.fill("#crawl-delay", "0")
            page.check("#crawl-publish")
            page.click("#crawl-form [type=submit]")
            page.wait_for_selector(".alert-success")  # "Job crawl queued (…)."
            # live: the job shows up running, with its progress bar and counts
            running = page.locator('[data-list="running"] [data-job-name="crawl"]')
            finished = page.locator('[data-list="finished"] [data-job-name="crawl"]')
            running.or_(finished).first.wait_for(timeout=60_000)
            finished.wait_for(timeout=90_000)
            text = finished.inner_text()
        assert re.search(r"stored [1-9]", text), text
        assert "crawl finished" in text
        assert finished.locator(".progress-bar").count() == 1
        with app.app_context():
            run = db.session.scalars(select(OperationRun).where(OperationRun.kind == "crawl")).one()
            stored = db.session.scalars(select(Image).where(Image.source == "crawl")).all()
            assert run.status == "finished" and run.counts["stored"] == len(stored) > 0
            assert all(image.status == "visible" for image in stored)
            print(
                "crawl from the admin:",
                {k: v for k, v in run.counts.items() if k not in ("items",)},
            )
            db.session.remove()
    finally:
        context.close()
