"""`make serve` / `make stop`: nginx + two gunicorn nodes + MariaDB + Redis on this machine.

    python scripts/stack.py serve     # start what is not running, migrate, seed, print the URL
    python scripts/stack.py stop      # stop, by pid, everything `serve` started
    python scripts/stack.py status    # what runs, as JSON

Everything lives in the run folder (SERVE_DIR, default instance/serve): nginx's config,
pid, temp and cache folders, the nodes' logs, the shared instance folder (media,
secrets), the mails (files), and — with SERVE_SERVICES=own — a MariaDB data folder and
a Redis of their own. The system's /etc/nginx is never read or written.

Settings (environment):
    SERVE_PORT=8080            nginx
    SERVE_NODE_PORTS=8001,8002 the gunicorn nodes (one per port)
    SERVE_WORKERS=3            gunicorn workers per node
    SERVE_SERVICES=system      system: the machine's MariaDB (3306) and Redis (6379),
                               started if not running; own: a mariadbd and a
                               redis-server of this stack on SERVE_MARIADB_PORT and
                               SERVE_REDIS_PORT (what the fault tests use)
    SERVE_MARIADB_PORT=8093, SERVE_REDIS_PORT=8094 (own services)
    SERVE_REDIS_DB=0, SERVE_DATABASE=gallery_serve
    SERVE_SEED=1               seed the demo data when the database has no image
Only the Python standard library is used: this runs before and beside the app.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
NGINX = "/usr/sbin/nginx"
CHILDREN: list[subprocess.Popen] = []  # processes started by this process (fault tests)


def settings() -> dict:
    """The stack's settings from the environment (see the module docstring)."""
    env = os.environ
    run = Path(env.get("SERVE_DIR", ROOT / "instance" / "serve")).resolve()
    services = env.get("SERVE_SERVICES", "system")
    return {
        "run": run,
        "port": int(env.get("SERVE_PORT", "8080")),
        "node_ports": [int(p) for p in env.get("SERVE_NODE_PORTS", "8001,8002").split(",")],
        "workers": int(env.get("SERVE_WORKERS", "3")),
        "services": services,
        "mariadb_port": int(env.get("SERVE_MARIADB_PORT", "8093" if services == "own" else "3306")),
        "redis_port": int(env.get("SERVE_REDIS_PORT", "8094" if services == "own" else "6379")),
        "redis_db": int(env.get("SERVE_REDIS_DB", "0")),
        "database": env.get("SERVE_DATABASE", "gallery_serve"),
        "seed": env.get("SERVE_SEED", "1") == "1",
    }


# --- small helpers --------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def port_open(port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(check, what: str, seconds: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"[stack] {what} did not come up within {seconds:.0f} s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child of ours counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def pid_file(s: dict, name: str) -> Path:
    return s["run"] / "pids" / f"{name}.pid"


def read_pid(s: dict, name: str) -> int | None:
    path = pid_file(s, name)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def spawn(s: dict, name: str, argv: list[str], env: dict | None = None) -> int:
    """Start a process in its own session, its output in logs/NAME.log; record its pid."""
    (s["run"] / "logs").mkdir(parents=True, exist_ok=True)
    (s["run"] / "pids").mkdir(parents=True, exist_ok=True)
    with open(s["run"] / "logs" / f"{name}.log", "ab") as out:  # the child keeps its own copy
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            start_new_session=True,
        )
    CHILDREN.append(process)  # kept, so no "still running" warning when it is collected
    pid_file(s, name).write_text(str(process.pid))
    return process.pid


def stop_pid(pid: int, sig: int = signal.SIGTERM, seconds: float = 15.0) -> None:
    """Signal one process we started, wait for it, SIGKILL after `seconds`."""
    try:
        os.kill(pid, sig)
    except OSError:
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        except ChildProcessError:
            pass
        if not alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


# --- the services ---------------------------------------------------------------------


def database_url(s: dict) -> str:
    port = s["mariadb_port"]
    return f"mysql+pymysql://root@127.0.0.1:{port}/{s['database']}?charset=utf8mb4"


def redis_url(s: dict) -> str:
    return f"redis://127.0.0.1:{s['redis_port']}/{s['redis_db']}"


def mysql(s: dict, sql: str) -> None:
    subprocess.run(
        ["mysql", "-uroot", "-h127.0.0.1", f"-P{s['mariadb_port']}", "-e", sql],
        check=True,
        timeout=30,
    )


def start_mariadb(s: dict) -> None:
    """The machine's MariaDB (started when not running), or one of our own."""
    port = s["mariadb_port"]
    if port_open(port):
        log(f"MariaDB already answers on {port}")
    elif s["services"] == "own":
        data = s["run"] / "mariadb"
        if not (data / "mysql").exists():
            log("creating a MariaDB data folder (once)")
            subprocess.run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--user=root" if os.geteuid() == 0 else f"--user={os.getlogin()}",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=120,
            )
        start_own_mariadb(s)
    else:
        log("starting the machine's MariaDB")
        subprocess.run(
            [
                "start-stop-daemon",
                "--start",
                "--oknodo",
                "--background",
                "--exec",
                "/usr/sbin/mariadbd",
            ],
            check=True,
        )
    wait_for(lambda: port_open(port), f"MariaDB on {port}", 60)
    wait_for(lambda: mysql_ready(s), "MariaDB accepting queries", 30)
    mysql(
        s,
        f"CREATE DATABASE IF NOT EXISTS {s['database']} "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    )


def mysql_ready(s: dict) -> bool:
    try:
        mysql(s, "SELECT 1")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return False
    return True


def start_own_mariadb(s: dict) -> int:
    """Start (or restart) the stack's own mariadbd; also used by the fault tests."""
    data = s["run"] / "mariadb"
    argv = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        f"--datadir={data}",
        f"--port={s['mariadb_port']}",
        "--bind-address=127.0.0.1",
        f"--socket={s['run'] / 'mariadb.sock'}",
        f"--pid-file={s['run'] / 'mariadb.pid'}",
        "--innodb-buffer-pool-size=32M",
        "--skip-log-bin",
        "--max-connections=200",
    ]
    if os.geteuid() == 0:
        argv.append("--user=root")
    return spawn(s, "mariadb", argv)


def start_redis(s: dict) -> None:
    port = s["redis_port"]
    if port_open(port):
        log(f"Redis already answers on {port}")
        return
    if s["services"] == "own":
        start_own_redis(s)
    else:
        log("starting the machine's Redis")
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
    wait_for(lambda: port_open(port), f"Redis on {port}", 20)


def start_own_redis(s: dict) -> int:
    """Start (or restart) the stack's own redis-server; also used by the fault tests."""
    folder = s["run"] / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    return spawn(
        s,
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(s["redis_port"]),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
    )


# --- the app --------------------------------------------------------------------------


def app_env(s: dict) -> dict:
    """What every node, CLI call and worker of the stack gets."""
    return {
        "GALLERY_CONFIG": str(ROOT / "config" / "serve.py"),
        "GALLERY_INSTANCE_PATH": str(s["run"] / "instance"),
        "GALLERY_SQLALCHEMY_DATABASE_URI": database_url(s),
        "GALLERY_REDIS_URL": redis_url(s),
        "GALLERY_SERVER_NAME": f"127.0.0.1:{s['port']}",
        "GALLERY_MAIL_FILE_PATH": str(s["run"] / "mail"),
    }


def flask(s: dict, *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "gallery", *args],
        check=True,
        env={**os.environ, **app_env(s)},
        cwd=ROOT,
        timeout=600,
    )


def prepare_database(s: dict) -> None:
    log("migrating the database")
    flask(s, "db", "upgrade")
    flask(s, "roles", "sync")
    if s["seed"]:
        flask(s, "seed", "demo")


def start_node(s: dict, name: str, port: int, extra_env: dict | None = None) -> int:
    """One gunicorn node with config/gunicorn.conf.py on 127.0.0.1:port."""
    argv = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(s["workers"]),
        "--access-logfile",
        "-",
    ]
    pid = spawn(s, name, argv, {**app_env(s), **(extra_env or {})})
    wait_for(lambda: port_open(port), f"gunicorn node {name} on {port}", 60)
    return pid


def start_nodes(s: dict) -> None:
    for index, port in enumerate(s["node_ports"]):
        name = f"node{chr(ord('a') + index)}"
        if read_pid(s, name) and port_open(port):
            log(f"{name} already runs on {port}")
            continue
        log(f"starting {name} on 127.0.0.1:{port}")
        start_node(s, name, port)


def start_workers(s: dict) -> None:
    """One RQ job worker that also runs the schedule (`flask worker --schedule`);
    `stop` ends it with SIGTERM (a warm shutdown: the running job finishes first)."""
    if read_pid(s, "worker"):
        log("worker already runs")
        return
    log("starting the job worker (with the schedule)")
    argv = [str(VENV_BIN / "flask"), "--app", "gallery", "worker", "--schedule"]
    spawn(s, "worker", argv, app_env(s))


# --- nginx ----------------------------------------------------------------------------


def render_nginx(s: dict) -> Path:
    """config/nginx.conf with the stack's nodes, port and paths, inside a main config."""
    folder = s["run"] / "nginx"
    for sub in ("cache", "client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    site = (ROOT / "config" / "nginx.conf").read_text()
    nodes = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in s["node_ports"]
    )
    site = re.sub(
        r"# nodes:begin.*?# nodes:end",
        "upstream gallery_app {\n" + nodes + "\n    keepalive 16;\n}",
        site,
        flags=re.S,
    )
    site = re.sub(
        r"# tls:begin.*?# tls:end",
        f"server {{\n    listen 127.0.0.1:{s['port']};\n    server_name 127.0.0.1 localhost;",
        site,
        flags=re.S,
    )
    instance = s["run"] / "instance"
    site = site.replace("/srv/gallery/instance/", f"{instance}/")
    site = site.replace("/srv/gallery/", f"{ROOT}/")
    site = site.replace("/var/cache/nginx/gallery", str(folder / "cache"))
    site = site.replace("/etc/nginx/gallery_proxy.conf", str(ROOT / "config" / "nginx-proxy.conf"))
    (folder / "gallery.conf").write_text(site)
    temp = "\n".join(
        f"    {name}_temp_path {folder / sub};"
        for name, sub in (
            ("client_body", "client_body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        )
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = f"""# generated by scripts/stack.py from config/nginx.conf; do not edit
{user}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "logs" / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "logs" / "access.log"};
    sendfile on;
    keepalive_timeout 30;
{temp}
    include {folder / "gallery.conf"};
}}
"""
    conf = folder / "nginx.conf"
    conf.write_text(main)
    return conf


def ensure_nginx() -> None:
    if os.path.exists(NGINX):
        return
    log("installing nginx from Debian's package")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True)


def start_nginx(s: dict) -> None:
    ensure_nginx()
    conf = render_nginx(s)
    folder = s["run"] / "nginx"
    base = [NGINX, "-p", str(folder), "-e", str(folder / "logs" / "error.log"), "-c", str(conf)]
    subprocess.run([*base, "-t", "-q"], check=True)
    pid = read_pid(s, "nginx")
    if pid:
        log("reloading nginx")
        os.kill(pid, signal.SIGHUP)
        return
    log(f"starting nginx on 127.0.0.1:{s['port']}")
    spawn(s, "nginx", [*base, "-g", "daemon off;"])
    wait_for(lambda: port_open(s["port"]), f"nginx on {s['port']}", 20)


# --- commands -------------------------------------------------------------------------


def state(s: dict) -> dict:
    names = ["nginx", *[f"node{chr(ord('a') + i)}" for i in range(len(s["node_ports"]))]]
    names += ["worker", "mariadb", "redis"]
    return {
        "url": f"http://127.0.0.1:{s['port']}/",
        "nodes": [f"http://127.0.0.1:{port}/" for port in s["node_ports"]],
        "run": str(s["run"]),
        "mail": str(s["run"] / "mail"),
        "database_url": database_url(s),
        "redis_url": redis_url(s),
        "services": s["services"],
        "pids": {name: read_pid(s, name) for name in names},
    }


def serve(s: dict) -> None:
    s["run"].mkdir(parents=True, exist_ok=True)
    (s["run"] / "mail").mkdir(exist_ok=True)
    start_mariadb(s)
    start_redis(s)
    prepare_database(s)
    start_nodes(s)
    start_workers(s)
    start_nginx(s)
    info = state(s)
    (s["run"] / "stack.json").write_text(json.dumps(info, indent=2))
    log(f"nodes: {', '.join(info['nodes'])}; mails: {info['mail']}")
    print(f"Gallery is served on {info['url']}  (make stop ends it)", flush=True)


def stop(s: dict) -> None:
    """Stop, by the pids recorded in the run folder, what `serve` started."""
    order = ["nginx", "worker"]
    order += [f"node{chr(ord('a') + i)}" for i in range(len(s["node_ports"]) + 4)]
    order += ["mariadb", "redis"]
    for name in order:
        pid = read_pid(s, name)
        if pid:
            log(f"stopping {name} (pid {pid})")
            stop_pid(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        pid_file(s, name).unlink(missing_ok=True)
    (s["run"] / "stack.json").unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "serve"
    s = settings()
    if command == "serve":
        serve(s)
    elif command == "stop":
        stop(s)
    elif command == "status":
        print(json.dumps(state(s), indent=2))
    elif command == "reset":  # stop and forget every file of the run folder
        stop(s)
        shutil.rmtree(s["run"], ignore_errors=True)
    else:
        raise SystemExit(f"usage: {argv[0]} serve|stop|status|reset")


if __name__ == "__main__":
    main(sys.argv)
