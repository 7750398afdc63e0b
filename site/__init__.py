"""Gallery: a public image-sharing site run like a small CMS."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; each step below is a short function of its own."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("GALLERY_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
    )
    load_config(app, config)
    register_proxy_fix(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_admin(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
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
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "gallery.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("MEDIA_ROOT"):
        app.config["MEDIA_ROOT"] = str(Path(app.instance_path) / "media")


def _ensure_secrets(app: Flask) -> None:
    """Production needs real secrets; development generates them once."""
    names = ("SECRET_KEY", "SECURITY_PASSWORD_SALT")
    missing = [name for name in names if not app.config.get(name)]
    if not missing:
        return
    if app.config.get("ENV_NAME") == "production":
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
    """Behind nginx, trust its X-Forwarded-* headers (PROXY_FIX_HOPS proxies deep)."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects of gallery.extensions."""
    from gallery import extensions as ext
    from gallery.i18n import select_locale

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(ROOT / "migrations"), render_as_batch=True)
    ext.redis_store.init_app(app)
    ext.mail.init_app(app)
    ext.csrf.init_app(app)
    ext.bootstrap.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale)
    _configure_cache(app)
    _configure_limiter(app)
    from gallery import db_events

    db_events.init_app(app)


def _configure_cache(app: Flask) -> None:
    """Flask-Caching on the same Redis client (real or stand-in)."""
    from gallery.extensions import cache, redis_store

    app.config.setdefault("CACHE_TYPE", "RedisCache")
    if app.config["CACHE_TYPE"] == "RedisCache":
        with app.app_context():
            app.config["CACHE_REDIS_HOST"] = redis_store.client
    cache.init_app(app)


def _configure_limiter(app: Flask) -> None:
    """Rate limits live in Redis when there is one, in memory otherwise."""
    from gallery.extensions import limiter

    if app.config.get("REDIS_URL"):
        app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "gallery-limits")
    limiter.init_app(app)


def register_security(app: Flask) -> None:
    """Flask-Security-Too with the SQLAlchemy datastore and our forms."""
    from gallery.accounts import init_app as init_accounts

    init_accounts(app)


def register_blueprints(app: Flask) -> None:
    """Public pages, the JSON API and the media route."""
    from gallery import public

    public.init_app(app)


def register_admin(app: Flask) -> None:
    """Flask-Admin, created per app inside the admin package."""
    from gallery import admin

    admin.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """One handler maps domain and HTTP errors to an HTML page or a JSON body."""
    from gallery import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja globals and filters used by every template."""
    from gallery import templating

    templating.init_app(app)


def register_commands(app: Flask) -> None:
    """flask seed, roles, crawl, import, hot, picks, cache, purge, storage."""
    from gallery import cli

    cli.init_app(app)
