"""Where a gunicorn worker's time goes: py-spy on every worker while wrk drives a URL.

    .venv/bin/python -m tests.bench._profile            # this checkout
    GALLERY_PROFILE_CODE=/path/to/other/checkout ...    # another checkout's site/ (before/after)

Seeds the bench data, starts the gallery under config/gunicorn.conf.py with a
Redis of its own, and for the member home page, the image page and a visitor
cache hit records all workers with `py-spy record --subprocesses` for
GALLERY_PROFILE_SECONDS (8) while wrk runs. The table gives, per URL, the share
of the workers' busy samples (idle waiting for a request left out) whose stack
passes through each part (inclusive, so a row may contain another).
Not part of `make bench` (its name starts with "_"); needs py-spy (dev extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def main() -> None:
    with h.temporary_folder() as name:
        folder = Path(name)
        taken: set[int] = set()
        redis = h.RedisServer(h.free_port(7790, taken), folder)
        gallery: h.Gunicorn | None = None
        try:
            redis.start()
            env = h.environment(folder, redis.url)
            code_path(env, folder)
            print("seeding…", flush=True)
            h.seed(env, 100, 300, 3)
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
    main()
