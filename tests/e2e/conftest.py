"""Browser tests: a live Gallery server in a thread and a headless Chromium page.

Every test under tests/e2e/ is marked `e2e`. Without /usr/bin/chromium (or the
playwright package) the tests are skipped, except in CI (GALLERY_TEST_REQUIRE_ALL=1)
where that is a failure.

Fixtures:
- `live_server`: one app per test session on a free 127.0.0.1 port, SQLite in a
  temporary instance folder, locmem mail. Use unique usernames per test.
  `live_server.url`, `.app`, `.create_user(...)`, `.outbox()`, `.db_session()`.
- `browser`: one Chromium per session; `page`: a fresh context and page per test.
- `login(page, identity, password)`: log in through the real form.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from gallery import create_app
from gallery.caching.kv import redis_store
from gallery.extensions import db
from gallery.roles import sync_roles
from tests.support.environment import (
    FROZEN_NOW,
    StrictTemplateUndefined,
    base_config,
    require_service,
)
from tests.support.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    free_port,
    live_wsgi_server,
    login_through_form,
)

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `e2e`, and keep them on one xdist worker (one live
    server and one Chromium, with `--dist loadgroup` as `make test` runs it)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("browser"))


#: the hour, after FROZEN_NOW, at which the next browser test's clock starts
_next_hour = itertools.count()


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[Any]:
    """The browser tests share one live server, so their clock never goes back: each
    starts an hour after the one before, and nothing a test cached (visitor pages live
    FEED_PAGE_CACHE_SECONDS) is still fresh for the next. Never the real date."""
    start = FROZEN_NOW + dt.timedelta(hours=next(_next_hour))
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live app on a free port for the whole session."""
    tmp_path = tmp_path_factory.mktemp("live")
    config = base_config(tmp_path)
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/live.sqlite3",
        REDIS_URL=None,
        SERVER_NAME=None,
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    try:
        app = create_app(config)
        app.jinja_env.undefined = StrictTemplateUndefined  # typos fail
    finally:
        mp.undo()
    with app.app_context():
        db.create_all()
        redis_store.client.flushdb()
        sync_roles()
        db.session.commit()
        db.session.remove()
    port = free_port()
    server = live_wsgi_server(app, port)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (skipped, or failed in CI, without one)."""
    if not CHROMIUM.exists():
        require_service(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright  # optional: the e2e extra
    except ImportError:
        require_service("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; its default timeout is 10 s."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login() -> Callable[..., None]:
    """login(page, identity, password, next_path="") through the real form."""
    return login_through_form
