"""Shared pieces of the server benchmarks: seeded data, gunicorn, nginx, Redis, wrk.

Any bench module may use them (`from tests.bench import _harness as h`):

- `Stack(folder, ports)` seeds an app and starts, on loopback: a Redis server of
  its own (so pausing or stopping it touches nobody else's), the gallery and a
  bare Flask hello app under the same gunicorn settings (config/gunicorn.conf.py
  with `--max-requests 0`: no worker is recycled inside a round), and nginx in
  front of the gallery when /usr/sbin/nginx exists.
- `measure(url, seconds)` drives a URL with wrk (-t1 -c16) when it is installed,
  else with a Python client and a warning; it returns req/s, p99, max and the
  errors, and names every gunicorn worker that was replaced meanwhile.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
WRK = shutil.which("wrk")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
REDIS_SERVER = shutil.which("redis-server")
THREADS, CONNECTIONS = 1, 16
# wrk: a different query string on every request, so that no cached answer fits
UNIQUE_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "n=" .. counter .. "-" .. math.random(1e9))
end
"""


def free_port(start: int, taken: set[int]) -> int:
    """The first free port from `start` (the bench keeps to its own range)."""
    for port in range(start, start + 100):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError(f"no free port from {start}")


def wait_for(port: int, path: str = "/", seconds: float = 180) -> None:
    """Wait until `path` answers (a busy machine may take long to boot the workers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}{path}")


@dataclass
class Result:
    """One measurement of one URL."""

    rps: float
    p99_ms: float
    max_ms: float
    errors: int
    requests: int
    replaced: list[str] = field(default_factory=list)


@dataclass
class Gunicorn:
    """One gunicorn server whose log tells when a worker boots (= a replacement)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def boots(self) -> int:
        return self.log.read_text(errors="replace").count("Booting worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_gunicorn(
    name: str, app: str, port: int, env: dict[str, str], folder: Path, workers: int | None
) -> Gunicorn:
    """gunicorn with config/gunicorn.conf.py, on `port`, without worker recycling."""
    log = folder / f"gunicorn-{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--max-requests",
        "0",  # a recycled worker spends ~2 s in create_app: never inside a round
        "--access-logfile",
        "/dev/null",
        "--error-logfile",
        str(log),
        "--log-level",
        "info",
    ]
    if workers:
        command += ["--workers", str(workers)]
    process = subprocess.Popen([*command, app], env=env, cwd=ROOT)
    server = Gunicorn(name, port, process, log)
    try:
        wait_for(port, "/bench/hello" if name == "hello" else "/api/hot")
    except RuntimeError:
        server.stop()
        raise
    return server


class RedisServer:
    """A Redis of the bench's own, which it may pause (SIGSTOP) or stop."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


NGINX_CONF = """
# Minimal bench config derived from config/nginx.conf: loopback, no TLS, and a
# 1 s micro-cache for requests without a session cookie (members bypass it).
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    proxy_cache_path {folder}/cache levels=1:2 keys_zone=micro:10m max_size=100m inactive=60s;
    upstream gallery_app {{
        server 127.0.0.1:{upstream} fail_timeout=0;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gallery_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host "";
            proxy_read_timeout 35s;
            proxy_connect_timeout 5s;
            proxy_cache micro;
            proxy_cache_valid 200 1s;
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503;
            proxy_cache_bypass $cookie_session $cookie_remember_token;
            proxy_no_cache $cookie_session $cookie_remember_token;
            add_header X-Micro-Cache $upstream_cache_status always;
        }}
    }}
}}
"""


class Nginx:
    """nginx from Debian's package with the bench config, run in the foreground."""

    def __init__(self, port: int, upstream: int, folder: Path) -> None:
        self.port, self.folder = port, folder / "nginx"
        self.folder.mkdir()
        # nginx's workers run as an unprivileged user when started by root: they
        # must reach the (private by default) temporary folder and write the cache
        folder.chmod(0o755)
        self.folder.chmod(0o777)
        self.conf = self.folder / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(folder=self.folder, port=port, upstream=upstream))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(NGINX), "-p", str(self.folder), "-c", str(self.conf)]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        wait_for(self.port, "/api/hot")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- the client: wrk, else Python threads ------------------------------------


WRK_LINES = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "requests": re.compile(r"(\d+) requests in"),
    "non2xx": re.compile(r"Non-2xx or 3xx responses:\s+(\d+)"),
    "socket": re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"),
    "p99": re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M),
    "max": re.compile(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)"),
}
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: float, headers: dict[str, str], unique: bool, folder: Path) -> Result:
    command = [WRK or "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if unique:
        script = folder / "unique.lua"
        script.write_text(UNIQUE_LUA)
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    found = {name: pattern.search(out) for name, pattern in WRK_LINES.items()}
    if found["rps"] is None or found["requests"] is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    errors = int(found["non2xx"].group(1)) if found["non2xx"] else 0
    if found["socket"]:
        errors += sum(int(n) for n in found["socket"].groups())

    def ms(match: re.Match[str] | None) -> float:
        return float(match.group(1)) * UNIT[match.group(2)] if match else float("nan")

    return Result(
        rps=float(found["rps"].group(1)),
        p99_ms=ms(found["p99"]),
        max_ms=ms(found["max"]),
        errors=errors,
        requests=int(found["requests"].group(1)),
    )


def _python_client(url: str, seconds: float, headers: dict[str, str], unique: bool) -> Result:
    """The fallback: CONNECTIONS keep-alive threads (it saturates long before the server)."""
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match, url
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        mine: list[float] = []
        failed = 0
        connection = http.client.HTTPConnection(host, port, timeout=5)
        sent = 0
        while time.monotonic() < stop:
            sent += 1
            target = path
            if unique:
                target += ("&" if "?" in path else "?") + f"n={number}-{sent}"
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    count = len(latencies)
    return Result(
        rps=count / seconds,
        p99_ms=latencies[int(count * 0.99) - 1] * 1000 if count else float("nan"),
        max_ms=latencies[-1] * 1000 if count else float("nan"),
        errors=errors[0],
        requests=count,
    )


def client_name() -> str:
    if WRK:
        return f"wrk -t{THREADS} -c{CONNECTIONS} ({WRK})"
    return f"Python threads ×{CONNECTIONS} (WARNING: wrk not found; the client saturates first)"


def measure(
    url: str,
    seconds: float,
    servers: list[Gunicorn],
    folder: Path,
    headers: dict[str, str] | None = None,
    unique: bool = False,
) -> Result:
    """Drive `url` for `seconds`; names the gunicorn workers replaced meanwhile."""
    before = {server.name: server.boots() for server in servers}
    if WRK:
        result = _wrk(url, seconds, headers or {}, unique, folder)
    else:
        result = _python_client(url, seconds, headers or {}, unique)
    for server in servers:
        booted = server.boots() - before[server.name]
        if booted:
            result.replaced.append(f"{booted} {server.name} worker(s) replaced")
    return result


# --- seeded data and a member's cookie -----------------------------------------

SEED = """
import datetime as dt, hashlib, uuid
from flask_security import hash_password
from gallery import create_app
from gallery.feeds import hot
from gallery.extensions import db, security
from gallery.caching.kv import redis_store
from gallery.models import Comment, Image, utcnow
from gallery.roles import sync_roles
app = create_app()
with app.app_context():
    db.create_all(); sync_roles(); db.session.commit()
    redis_store.client.flushdb()
    password = hash_password("{password}")  # one argon2 hash for every member: seeding stays quick
    users = []
    for n in range({users}):
        user = security.datastore.create_user(
            username=f"user{{n}}", email=f"user{{n}}@example.com", password=password,
            confirmed_at=utcnow(),
        )
        security.datastore.add_role_to_user(user, "member")
        users.append(user)
    start = utcnow() - dt.timedelta(hours=30)
    for n in range({images}):
        key = uuid.uuid4().hex
        image = Image(
            author=users[n % len(users)], caption=f"image {{n}}", storage_key=key, format="jpeg",
            sha256=hashlib.sha256(key.encode()).hexdigest(), width=640, height=480,
            created_at=start + dt.timedelta(minutes=5 * n), views=n % 50,
            comment_count={comments_each},
        )
        db.session.add(image)
        for k in range({comments_each}):
            db.session.add(Comment(
                image=image, author=users[(n + k + 1) % len(users)], body=f"comment {{k}} on {{n}}",
                created_at=image.created_at + dt.timedelta(minutes=k + 1),
            ))
    db.session.commit()
    hot.rebuild_hot(); db.session.commit()
    from gallery.feeds.picks import ensure_automatic_picks, today
    ensure_automatic_picks(today()); db.session.commit()
"""
PASSWORD = "password-bench"


def environment(folder: Path, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GALLERY_INSTANCE_PATH=str(folder / "instance"),
        GALLERY_SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.sqlite3",
        GALLERY_MEDIA_ROOT=str(folder / "media"),
        GALLERY_SECRET_KEY="bench-secret",
        GALLERY_SECURITY_PASSWORD_SALT="bench-salt",
        GALLERY_REDIS_URL=redis_url,
        GALLERY_PROXY_FIX_HOPS="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def seed(env: dict[str, str], users: int, images: int, comments_each: int) -> None:
    code = SEED.format(users=users, images=images, comments_each=comments_each, password=PASSWORD)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


BOOT = """
import time
started = time.perf_counter()
from gallery import create_app
imported = time.perf_counter()
create_app()
built = time.perf_counter()
create_app()
again = time.perf_counter()
print(imported - started, built - imported, again - built)
"""


def boot_times(env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds to import gallery, to run the first create_app, and a second one."""
    out = subprocess.run(
        [sys.executable, "-c", BOOT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def login_cookie(port: int, username: str) -> str:
    """The session cookie of `username` after logging in through the real form."""
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    answer = session.post(
        f"http://127.0.0.1:{port}/login",
        data={"identity": username, "password": PASSWORD, "csrf_token": token[1]},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.status_code
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="gallery-bench-")


Echo = Callable[[str], Any]
