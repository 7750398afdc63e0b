"""Gallery: a public image-sharing site run like a small CMS."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gallery import admin, cli, db_events, errors, headers, numbers, public, templating
from gallery.accounts import security as accounts
from gallery.caching import cache as value_cache
from gallery.caching import pagecache
from gallery.caching.kv import client_options, redis_store
from gallery.extensions import babel, bootstrap, cache, csrf, db, limiter, mail, migrate
from gallery.feeds import latest as feeds
from gallery.i18n import install_gettext, select_locale
from gallery.jobs import queue as jobs_queue
from gallery.jobs import worker as jobs_worker
from gallery.media import ingest
from gallery.paths import ROOT
from gallery.social import notifications

__all__ = ["ROOT", "create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Every init_app of the project is called from here, in order."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("GALLERY_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
    )
    numbers.init_app(app)  # range-checked <int:…> in every route
    load_config(app, config)
    register_proxy_fix(app)
    register_extensions(app)
    db_events.init_app(app)  # SQLite pragmas on the engine
    value_cache.init_app(app)  # the Redis circuit breaker
    feeds.init_app(app)  # cache invalidation on image and picks changes
    ingest.init_app(app)  # stored files follow the transaction
    notifications.init_app(app)  # unread counts follow commits and hides
    jobs_queue.init_app(app)  # JOBS_MODE: worker, thread or sync
    jobs_worker.init_app(app)  # the embedded default's worker thread
    accounts.init_app(app)  # Flask-Security-Too (its mails are jobs)
    public.init_app(app)  # pages, JSON API, media route
    admin.init_app(app)  # Flask-Admin
    errors.init_app(app)  # domain and HTTP errors → page or JSON
    headers.init_app(app)  # CSP, framing, nosniff, HSTS; account pages never cached
    templating.init_app(app)  # Jinja globals and filters
    cli.init_app(app)  # flask seed, roles, crawl, import, hot, picks, cache, purge, storage
    pagecache.init_app(app)  # outermost WSGI layer: fresh visitor cache hits skip Flask
    return app


def load_config(app: Flask, config: dict[str, Any] | None) -> None:
    """default.py, then GALLERY_CONFIG, then GALLERY_* variables, then `config`."""
    app.config.from_pyfile(str(ROOT / "config" / "default.py"))
    if os.environ.get("GALLERY_CONFIG"):
        app.config.from_pyfile(os.environ["GALLERY_CONFIG"])
    app.config.from_prefixed_env("GALLERY")
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secrets(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = Path(app.instance_path) / "gallery.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config["MEDIA_ROOT"]:
        app.config["MEDIA_ROOT"] = str(Path(app.instance_path) / "media")


def _ensure_secrets(app: Flask) -> None:
    """Production needs real secrets; development generates them once."""
    names = ("SECRET_KEY", "SECURITY_PASSWORD_SALT")
    missing = [name for name in names if not app.config[name]]
    if app.config["ENV_NAME"] == "production" and not app.config["SERVER_NAME"]:
        raise RuntimeError("Refusing to start in production without SERVER_NAME (mailed links).")
    if not missing:
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError(
            "Refusing to start in production without "
            + " and ".join(f"GALLERY_{name}" for name in missing)
            + " set in the environment."
        )
    secret_file = Path(app.instance_path) / "dev-secrets.json"
    stored = json.loads(secret_file.read_text()) if secret_file.exists() else {}
    for name in missing:
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
        app.config[name] = stored[name]
    secret_file.write_text(json.dumps(stored))
    secret_file.chmod(0o600)


def register_proxy_fix(app: Flask) -> None:
    """Behind nginx, trust its X-Forwarded-For and -Proto (PROXY_FIX_HOPS proxies deep).

    Never X-Forwarded-Host: the public host is SERVER_NAME, whatever a client sends.
    """
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects of gallery.extensions and the Redis client."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    redis_store.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_gettext(app)
    if app.config["CACHE_TYPE"] == "RedisCache":  # Flask-Caching on the same client
        with app.app_context():
            app.config["CACHE_REDIS_HOST"] = redis_store.client
    cache.init_app(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:  # Redis when there is one, else memory
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):  # no retries, short timeouts
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            **client_options(app.config),
            **app.config["RATELIMIT_STORAGE_OPTIONS"],
            "retry": client_options(app.config)["retry"],
        }
    limiter.init_app(app)
