"""Feeds benchmark: requests/second of the feeds against hello-world, under gunicorn.

gunicorn (config/gunicorn.conf.py) serves a seeded app on loopback;
requests/second of a bare hello-world endpoint against GET /api/images, /api/hot
and / for a visitor, measured side by side, with the ratios to hello-world.

Targets (issue 6): feed and hot ≥ 0.6× hello-world, visitor home ≥ 0.2×.
GALLERY_BENCH_REDIS_URL points the app at a real Redis (default: the in-process
stand-in, one per worker); GALLERY_BENCH_SECONDS sets the duration per URL and
round, GALLERY_BENCH_ROUNDS the number of interleaved rounds (median reported).
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PATHS = (
    ("hello-world", "/bench/hello", None),
    ("GET /api/images", "/api/images", 0.6),
    ("GET /api/hot", "/api/hot", 0.6),
    ("GET / (visitor)", "/", 0.2),
)
SECONDS = float(os.environ.get("GALLERY_BENCH_SECONDS", "5"))
PROCESSES, THREADS = 2, 4
ROUNDS = int(os.environ.get("GALLERY_BENCH_ROUNDS", "3"))


def bench_app() -> Any:
    """The gallery app plus a bare endpoint, built from GALLERY_* variables (gunicorn)."""
    from gallery import create_app

    app = create_app()

    @app.get("/bench/hello")
    def hello() -> str:
        return "hello"

    return app


def environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GALLERY_INSTANCE_PATH=str(folder / "instance"),
        GALLERY_SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.sqlite3",
        GALLERY_MEDIA_ROOT=str(folder / "media"),
        GALLERY_SECRET_KEY="bench-secret",
        GALLERY_SECURITY_PASSWORD_SALT="bench-salt",
        PYTHONPATH=str(ROOT),
    )
    redis_url = os.environ.get("GALLERY_BENCH_REDIS_URL")
    if redis_url:
        env["GALLERY_REDIS_URL"] = redis_url
    return env


def seed(env: dict[str, str]) -> None:
    """60 images by 8 members, 4 comments each, ranked; run in a child process."""
    code = """
import datetime as dt
from gallery import create_app
from gallery.feeds import hot
from gallery.extensions import db
from gallery.caching.kv import redis_store
from gallery.models import utcnow
from gallery.roles import sync_roles
from tests.support.factories import create_comment, create_image, create_user
app = create_app()
with app.app_context():
    db.create_all(); sync_roles(); db.session.commit()
    redis_store.client.flushdb()
    users = [create_user(f"user{n}") for n in range(8)]
    start = utcnow() - dt.timedelta(hours=10)
    for n in range(60):
        image = create_image(users[n % 8], created_at=start + dt.timedelta(minutes=n), views=n)
        for k in range(4):
            create_comment(image, users[(n + k) % 8], f"comment {k} on {n}")
    hot.rebuild_hot(); db.session.commit()
    from gallery.feeds.picks import ensure_automatic_picks
    from gallery.models import today
    ensure_automatic_picks(today()); db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        "--log-level",
        "warning",
        "tests.bench.feeds:bench_app()",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if get("127.0.0.1", port, "/bench/hello") == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def get(host: str, port: int, path: str) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def _load(port: int, path: str, seconds: float, threads: int) -> tuple[int, int]:
    """One process: `threads` keep-alive clients for `seconds`; (ok, failed) counts."""
    counts = [0, 0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        ok = failed = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    ok += 1
                else:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
        connection.close()
        with lock:
            counts[0] += ok
            counts[1] += failed

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts[0], counts[1]


def measure(port: int, path: str, seconds: float = SECONDS) -> tuple[float, int]:
    """Requests per second over `seconds` (after a short warm-up) and the failures."""
    _load(port, path, 0.5, 2)
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(_load, [(port, path, seconds, THREADS)] * PROCESSES)
    ok = sum(r[0] for r in results)
    return ok / seconds, sum(r[1] for r in results)


def run(echo: Callable[[str], Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = environment(Path(folder))
        seed(env)
        port = free_port()
        server = start_gunicorn(env, port)
        try:
            redis = env.get("GALLERY_REDIS_URL", "in-process stand-in per worker")
            echo(
                f"gunicorn config/gunicorn.conf.py on 127.0.0.1:{port}; redis: {redis}; "
                f"{PROCESSES}×{THREADS} client threads, {SECONDS:g} s per URL × {ROUNDS} rounds"
            )
            # Interleaved rounds, median per URL: a busy machine slows every URL alike.
            samples: dict[str, list[float]] = {path: [] for _, path, _ in PATHS}
            failures: dict[str, int] = dict.fromkeys(samples, 0)
            for round_number in range(ROUNDS):
                # each round starts at a different URL, so none always follows the same one
                shift = round_number % len(PATHS)
                for _, path, _ in PATHS[shift:] + PATHS[:shift]:
                    rps, failed = measure(port, path)
                    samples[path].append(rps)
                    failures[path] += failed
            base = statistics.median(samples[PATHS[0][1]])
            for label, path, target in PATHS:
                rps, failed = statistics.median(samples[path]), failures[path]
                ratio = rps / base
                verdict = (
                    ""
                    if target is None
                    else (f"  target ≥{target:.1f}× {'met' if ratio >= target else 'MISSED'}")
                )
                rounds = "/".join(f"{sample:.0f}" for sample in samples[path])
                echo(
                    f"{label:<18} {rps:8.0f} req/s  {ratio:5.2f}× hello-world  (rounds {rounds})"
                    f"{'  failed: ' + str(failed) if failed else ''}{verdict}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    run(print)
