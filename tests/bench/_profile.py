"""Where a request's time goes, per page: before and after a change.

    .venv/bin/python -m tests.bench._profile            # this checkout
    GALLERY_PROFILE_CODE=/path/to/other/checkout ...    # another checkout's site/

Seeds the bench data (100 members, 300 images, 900 comments, a Redis of its own)
and, by default, profiles with cProfile on CPU time (so a busy machine does not
distort the shares) the WSGI app a gunicorn worker runs, driven by Flask's test
client in one process: the member home page, the image page (member, visitor),
the member feed JSON and a visitor cache hit, GALLERY_PROFILE_REQUESTS (40)
each. The table gives CPU ms per request and, per part, the share of CPU time
spent inside it (inclusive, so a row may contain another).

GALLERY_PROFILE_MODE=plain prints the CPU ms per request without a profiler (three
samples each). GALLERY_PROFILE_MODE=py-spy records the workers of a real gunicorn with
`py-spy record --subprocesses` (dev extra) while wrk drives each URL instead;
on a saturated machine it gets few samples. Not part of `make bench` (the
name starts with "_").
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.bench import _harness as h

SECONDS = float(os.environ.get("GALLERY_PROFILE_SECONDS", "8"))
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))

# (label, substring of a frame "function (file:line)" in py-spy's collapsed output)
PARTS = [
    ("fast path (pagecache.FastHits, whole request)", "__call__ (gallery/caching/pagecache.py"),
    ("Flask full dispatch (wsgi_app)", "wsgi_app (flask/app.py"),
    ("before_request hooks (all)", "preprocess_request (flask/app.py"),
    ("  Flask-Login/Security user load", "_load_user (flask_login/"),
    ("  Flask-Limiter", "flask_limiter/"),
    ("  locale selection (Babel)", "get_locale (flask_babel/"),
    ("  CSRF protect", "protect (flask_wtf/csrf.py"),
    ("session save", "save_session (flask/sessions.py"),
    ("template rendering (Jinja)", "render_template (flask/templating.py"),
    ("cards (gallery/feeds/cards.py)", "gallery/feeds/cards.py"),
    ("SQL (SQLAlchemy execute)", "execute (sqlalchemy/engine/base.py"),
    ("Redis calls", "redis/client.py"),
    ("cache.remember + unpickling", "remember (gallery/caching/cache.py"),
    ("view recording (record_view)", "record_view (gallery/feeds/views.py"),
    ("writing the response (gunicorn)", "write (gunicorn/http/wsgi.py"),
]
IDLE = ("wait (gunicorn/workers/sync.py", "accept (gunicorn/workers/sync.py")


def code_path(env: dict[str, str], folder: Path) -> None:
    """Point the workers at another checkout's site/ as the package `gallery`."""
    other = os.environ.get("GALLERY_PROFILE_CODE")
    if not other:
        return
    shim = folder / "shim"
    shim.mkdir()
    (shim / "gallery").symlink_to(Path(other) / "site")
    env["PYTHONPATH"] = f"{shim}:{h.ROOT}"


def record(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    command = [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--format", "raw"]
    command += ["--duration", f"{seconds:g}", "--rate", "200", "--nonblocking", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shares(raw: Path) -> tuple[int, dict[str, float]]:
    """Busy samples, and the share of them per part."""
    busy = 0
    hits: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        if any(marker in stack for marker in IDLE):
            continue
        samples = int(count)
        busy += samples
        for label, marker in PARTS:
            if marker in stack:
                hits[label] += samples
    return busy, {label: hits[label] / busy if busy else 0.0 for label, _ in PARTS}


# cProfile (CPU time, so a busy machine does not distort the shares), in one process
# with Flask's test client: the same WSGI app a gunicorn worker runs, minus gunicorn.
CPROFILE_PARTS = [  # (label, substring of the file, function name); inclusive CPU time
    ("fast path (FastHits.__call__, whole request)", "caching/pagecache.py", "__call__"),
    ("Flask dispatch (wsgi_app)", "flask/app.py", "wsgi_app"),
    ("before_request hooks (all)", "flask/app.py", "preprocess_request"),
    ("  user load (Flask-Login/Security)", "flask_login/login_manager.py", "_load_user"),
    ("  Flask-Limiter", "flask_limiter/", "_check_request_limit"),
    ("  CSRF protect", "flask_wtf/csrf.py", "protect"),
    ("locale selection", "/i18n.py", "select_locale"),
    ("after_request + session save", "flask/app.py", "process_response"),
    ("template rendering (Jinja)", "flask/templating.py", "render_template"),
    ("cards (feeds/cards.py)", "feeds/cards.py", "cards"),
    ("card_date filter", "public/pages.py", "card_date"),
    ("SQL (SQLAlchemy execute)", "sqlalchemy/engine/base.py", "_execute_context"),
    ("Redis calls", "redis/client.py", "execute_command"),
    ("cache.remember", "caching/cache.py", "remember"),
    ("view recording (record_view)", "feeds/views.py", "record_view"),
]
REQUESTS = int(os.environ.get("GALLERY_PROFILE_REQUESTS", "40"))
TOP = int(os.environ.get("GALLERY_PROFILE_TOP", "0"))  # also list the N costliest functions
SORT = os.environ.get("GALLERY_PROFILE_SORT", "tottime")  # or cumulative
PLAIN = os.environ.get("GALLERY_PROFILE_MODE") == "plain"  # CPU ms per request, no profiler


def cprofile_inner(folder: Path) -> None:
    """Runs in a child process with the checkout under test on PYTHONPATH."""
    from gallery import create_app  # here: the checkout under test, chosen by PYTHONPATH

    app = create_app()
    member = app.test_client()
    page = member.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    answer = member.post(
        "/login", data={"identity": "user1", "password": h.PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code in (302, 303), answer.status_code
    visitor = app.test_client()
    urls = [
        ("/ member", member, "/"),
        ("/images/150 member", member, "/images/150"),
        ("/images/150 visitor", visitor, "/images/150"),
        ("/api/images?limit=10 member", member, "/api/images?limit=10"),
        ("/api/images?limit=10 visitor hit", visitor, "/api/images?limit=10"),
    ]
    rows = []
    if PLAIN:
        urls = [entry for entry in urls for _ in range(3)]  # three samples each
    for label, client, path in urls:
        for _ in range(5):
            assert client.get(path).status_code == 200
        if PLAIN:  # no profiler: what a request really costs (cProfile inflates small calls)
            started = time.process_time()
            for _ in range(REQUESTS):
                client.get(path)
            print(f"{label}: {(time.process_time() - started) / REQUESTS * 1000:.2f} CPU ms")
            continue
        profile = cProfile.Profile(time.process_time)
        started = time.process_time()
        profile.enable()
        for _ in range(REQUESTS):
            client.get(path)
        profile.disable()
        total = time.process_time() - started
        if TOP:
            print(f"--- {label}: the {TOP} functions with the most own CPU time")
            pstats.Stats(profile).sort_stats(SORT).print_stats(TOP)
        stats = pstats.Stats(profile).stats
        parts = {}
        for part, filename, function in CPROFILE_PARTS:
            parts[part] = sum(
                entry[3]
                for (file, _, name), entry in stats.items()
                if function in name and filename in file
            )
        rows.append((label, total / REQUESTS * 1000, parts, total))
    if PLAIN:
        return
    print("| part (share of CPU time) | " + " | ".join(row[0] for row in rows) + " |")
    print("|---|" + "---|" * len(rows))
    print("| CPU ms per request | " + " | ".join(f"{row[1]:.2f}" for row in rows) + " |")
    for part, _, _ in CPROFILE_PARTS:
        cells = [f"{row[2][part] / row[3] * 100:.0f}%" for row in rows]
        print(f"| {part} | " + " | ".join(cells) + " |")


def seeded(redis: h.RedisServer, folder: Path) -> dict[str, str]:
    """Start the bench's Redis and seed the bench data; the environment for the app."""
    redis.start()
    env = h.environment(folder, redis.url)
    code_path(env, folder)
    print("seeding…", flush=True)
    h.seed(env, 100, 300, 3)
    return env


def cprofile_main() -> None:
    with h.temporary_folder() as name:
        folder = Path(name)
        redis = h.RedisServer(h.free_port(7792, set()), folder)
        try:
            env = seeded(redis, folder)
            command = [sys.executable, "-m", "tests.bench._profile", "--inner", str(folder)]
            subprocess.run(command, env=env, cwd=h.ROOT, check=True)
        finally:
            redis.stop()


def main() -> None:
    with h.temporary_folder() as name:
        folder = Path(name)
        taken: set[int] = set()
        redis = h.RedisServer(h.free_port(7790, taken), folder)
        gallery: h.Gunicorn | None = None
        try:
            env = seeded(redis, folder)
            gallery = h.start_gunicorn(
                "gallery", "gallery:create_app()", h.free_port(7760, taken), env, folder, None
            )
            cookie = h.login_cookie(gallery.port, "user1")
            base = f"http://127.0.0.1:{gallery.port}"
            urls = [
                ("/ member", "/", {"Cookie": cookie}),
                ("/images/150 member", "/images/150", {"Cookie": cookie}),
                ("/images/150 visitor", "/images/150", {}),
                ("/api/images?limit=10 visitor (cache hit)", "/api/images?limit=10", {}),
            ]
            table: dict[str, tuple[float, int, dict[str, float]]] = {}
            for label, path, headers in urls:
                h.measure(base + path, 2, [gallery], folder, headers)  # warm
                out = folder / f"profile-{len(table)}.txt"
                spy = record(gallery.process.pid, out, SECONDS)
                result = h.measure(base + path, SECONDS, [gallery], folder, headers)
                spy.wait(timeout=SECONDS + 60)
                busy, parts = shares(out)
                table[label] = (result.rps, busy, parts)
                print(f"  {label}: {table[label][0]:.0f} req/s, {busy} busy samples", flush=True)
            labels = list(table)
            print("\n| part | " + " | ".join(labels) + " |")
            print("|---|" + "---|" * len(labels))
            print("| req/s while recorded | " + " | ".join(f"{table[x][0]:.0f}" for x in labels))
            for part, _ in PARTS:
                cells = [f"{table[x][2][part] * 100:.0f}%" for x in labels]
                print(f"| {part} | " + " | ".join(cells) + " |")
        finally:
            if gallery:
                gallery.stop()
            redis.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inner"]:
        cprofile_inner(Path(sys.argv[2]))
    elif os.environ.get("GALLERY_PROFILE_MODE") == "py-spy":
        main()
    else:
        cprofile_main()
