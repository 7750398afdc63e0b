"""Fault tests against the `make serve` stack (nginx, two gunicorn nodes, MariaDB, Redis).

They run only with `-m faults` (`make faults`, the faults stage of .ci/run), never in
`make test`. A stack already running on the test ports (SERVE_* variables, defaults
below) is used as it is; otherwise one is started with its own mariadbd and
redis-server (SERVE_SERVICES=own), since the tests stop and pause them, and stopped
again at the end. Every wait is bounded; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
import redis
import requests

from tests.support.environment import require_service

ROOT = Path(__file__).resolve().parents[2]
TEST_DEFAULTS = {
    "SERVE_DIR": str(ROOT / "instance" / "serve-faults"),
    "SERVE_PORT": "8060",
    "SERVE_NODE_PORTS": "8061,8062",
    "SERVE_MARIADB_PORT": "8063",
    "SERVE_REDIS_PORT": "8064",
    "SERVE_SERVICES": "own",
    "SERVE_WORKERS": "2",
    "SERVE_DATABASE": "gallery_faults",
}


@functools.cache
def load_stack() -> Any:
    """scripts/stack.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("gallery_stack", ROOT / "scripts" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything here `faults`; leave it out unless `-m` asks for faults."""
    here = Path(__file__).parent
    selected = "faults" in (config.getoption("markexpr") or "")
    keep, drop = [], []
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.faults)
            # the first test also waits for `make serve` (install-db, migrations, seed)
            item.add_marker(pytest.mark.timeout(420))
            (keep if selected else drop).append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    # The Redis outage last: members cannot log in for a while after it (their sessions
    # live in Redis), and the other fault tests log in.
    items.sort(key=lambda item: "redis" in item.name)


@dataclass
class Stack:
    """The running stack: its URLs, run folder, the services' control, and mails."""

    module: Any
    settings: dict[str, Any]
    url: str
    nodes: list[str]
    run: Path
    started_here: bool = False
    notes: list[str] = field(default_factory=list)

    # --- mails (the nodes use Flask-Mailman's file backend) ---
    def mails(self) -> list[str]:
        folder = self.run / "mail"
        return [p.read_text(errors="replace") for p in sorted(folder.glob("*"))]

    def clear_mails(self) -> None:
        for path in (self.run / "mail").glob("*"):
            path.unlink()

    # --- services ---
    def pid(self, name: str) -> int:
        pid = self.module.read_pid(self.settings, name)
        assert pid, f"{name} is not running"
        return pid

    def pause_redis(self) -> None:
        os.kill(self.pid("redis"), signal.SIGSTOP)

    def resume_redis(self) -> None:
        os.kill(self.pid("redis"), signal.SIGCONT)

    def kill_redis(self) -> None:
        pid = self.pid("redis")
        os.kill(pid, signal.SIGKILL)
        self.module.stop_pid(pid, signal.SIGKILL, 5)

    def start_redis(self) -> None:
        self.module.start_own_redis(self.settings)
        self.module.wait_for(
            lambda: self.module.port_open(self.settings["redis_port"]), "Redis", 10
        )

    def drop_app_caches(self) -> None:
        """A new cache generation in the stack's Redis (what `flask cache clear` does):
        the app's cached lists and pages are no longer served, nginx's copies stay."""
        client = redis.Redis(
            port=self.settings["redis_port"], db=self.settings["redis_db"], socket_timeout=2
        )
        try:
            client.incr("gallery:cache:generation")
        finally:
            client.close()

    def stop_mariadb(self) -> None:
        self.module.stop_pid(self.pid("mariadb"), signal.SIGTERM, 30)

    def start_mariadb(self) -> float:
        """Start the stack's mariadbd again; returns the moment its port answered."""
        self.module.start_own_mariadb(self.settings)
        port = self.settings["mariadb_port"]
        self.module.wait_for(lambda: self.module.port_open(port, 0.2), "MariaDB", 60)
        return time.monotonic()


@pytest.fixture(scope="session", autouse=True)
def fixed_clock() -> Iterator[None]:
    """The real clock here: tests/conftest.py's fixed clock (2030) stays out.

    These tests talk to real processes that run on the machine's clock. Under the
    fixed clock requests' cookie jar took every cookie of the stack (the session
    expires in PERMANENT_SESSION_LIFETIME, 14 days of real time) as long expired
    and dropped it at once: no session went back, so each login was a CSRF 400 and
    each "member" a visitor that nginx's micro-cache answered.
    """
    yield None


def stack_running(module: Any, settings: dict[str, Any]) -> bool:
    return all(
        module.read_pid(settings, name) for name in ("nginx", "nodea", "nodeb", "mariadb", "redis")
    ) and module.port_open(settings["port"])


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    for name, value in TEST_DEFAULTS.items():
        os.environ.setdefault(name, value)
    for binary in ("/usr/sbin/mariadbd", "mariadb-install-db", "redis-server"):
        if not shutil.which(binary):
            require_service(f"{binary} is not installed")
    module = load_stack()
    settings = module.settings()
    if settings["services"] != "own":
        require_service("the fault tests stop MariaDB and Redis: use SERVE_SERVICES=own")
    started = False
    if not stack_running(module, settings):
        os.environ.setdefault("SERVE_SEED", "1")
        module.serve(settings)
        started = True
    info = module.state(settings)
    stack = Stack(
        module,
        settings,
        info["url"].rstrip("/"),
        [node.rstrip("/") for node in info["nodes"]],
        Path(info["run"]),
        started,
    )
    try:
        yield stack
    finally:
        if started:
            module.stop(settings)


# --- HTTP helpers ---------------------------------------------------------------------

TIMEOUT = 10  # seconds: no request of these tests may take longer
CSRF = re.compile(
    r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
)


def demo_totp_keys() -> dict[str, str]:
    """Username and e-mail -> the fixed two-factor key `flask seed demo` gives staff."""
    users = json.loads((ROOT / "seeds" / "demo.json").read_text())["users"]
    keys = {}
    for user in users:
        if user.get("totp_key"):
            keys[user["username"]] = keys[user["email"]] = user["totp_key"]
    return keys


DEMO_TOTP_KEYS = demo_totp_keys()


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class Browser:
    """A requests session against one base URL (nginx or a node), with the CSRF token."""

    def __init__(self, base: str, address: str | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        if address:  # straight to a node, the address its ProxyFix will believe
            self.http.headers["X-Forwarded-For"] = address

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=TIMEOUT, allow_redirects=False, **kw)

    def token(self, path: str = "/no-such-page") -> str:
        return csrf_of(self.get(path).text)

    def post(self, path: str, data: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, timeout=TIMEOUT, allow_redirects=False, **kw
        )

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        headers = {"X-CSRFToken": self.token()}
        return self.http.request(
            method, self.base + path, json=body, headers=headers, timeout=TIMEOUT
        )

    def login(self, identity: str, password: str) -> requests.Response:
        """Password, then (staff of the demo seed) the two-factor code from its fixed key."""
        token = self.token("/login")
        response = self.post(
            "/login", {"identity": identity, "password": password, "csrf_token": token}
        )
        key = DEMO_TOTP_KEYS.get(identity)
        if key and "/tf-validate" in response.headers.get("Location", ""):
            code = pyotp.TOTP(key).now()
            response = self.post(
                "/tf-validate", {"code": code, "csrf_token": self.token("/tf-validate")}
            )
        return response

    def on(self, base: str) -> Browser:
        """The same cookies, against another base URL (another node)."""
        other = Browser(base)
        other.http = self.http
        return other


def image_ids(response: requests.Response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


class Load:
    """Bounded background load: `threads` loops of GET requests until stopped."""

    def __init__(self, urls: list[str], threads: int = 4) -> None:
        self.urls = urls
        self.stop_at = threading.Event()
        self.samples: list[tuple[float, float, int, str]] = []  # start, seconds, status, url
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def _run(self, index: int) -> None:
        http = requests.Session()
        n = index
        while not self.stop_at.is_set() and n < 100_000:
            url = self.urls[n % len(self.urls)].replace("{n}", str(n % 50 + 1))
            n += len(self.threads)
            started = time.monotonic()
            try:
                status = http.get(url, timeout=TIMEOUT).status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.samples.append((started, time.monotonic() - started, status, url))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_at.set()
        for thread in self.threads:
            thread.join(TIMEOUT + 2)

    def report(self) -> dict[str, Any]:
        times = sorted(s[1] for s in self.samples)
        return {
            "requests": len(times),
            "errors": [s for s in self.samples if s[2] == 0 or s[2] >= 500],
            "max": times[-1] if times else 0.0,
            "p50": times[len(times) // 2] if times else 0.0,
            "slowest": sorted(self.samples, key=lambda s: -s[1])[:6],
        }


def dump(label: str, value: Any) -> None:
    print(f"\n[faults] {label}: {json.dumps(value, default=str)}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A mariadbd or redis-server a test restarted belongs to the stack now (`make stop`
    ends it by its pid file): it is not this process's to wait for."""
    for process in load_stack().CHILDREN:
        if process.poll() is None:
            process.returncode = 0  # handed over; Popen would warn "still running" otherwise
