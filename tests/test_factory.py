"""The app factory and the configuration order of DESIGN.md §4."""

from __future__ import annotations

import pytest

from gallery import create_app


def test_config_mapping_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GALLERY_SITE_NAME", "From env")
    assert create_app().config["SITE_NAME"] == "From env"
    assert create_app({"SITE_NAME": "From mapping"}).config["SITE_NAME"] == "From mapping"


def test_config_file_then_environment(monkeypatch, tmp_path):
    config_file = tmp_path / "site.py"
    config_file.write_text('SITE_NAME = "From file"\nPICKS_PER_DAY = 9\n')
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GALLERY_CONFIG", str(config_file))
    app = create_app()
    assert app.config["SITE_NAME"] == "From file"
    monkeypatch.setenv("GALLERY_PICKS_PER_DAY", "3")
    assert create_app().config["PICKS_PER_DAY"] == 3


def test_development_secret_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert first and len(first) > 20
    assert create_app().config["SECRET_KEY"] == first
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SECURITY_PASSWORD_SALT"])
def test_production_refuses_to_start_without_secrets(monkeypatch, tmp_path, missing):
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    config = {"ENV_NAME": "production", "SECRET_KEY": "s", "SECURITY_PASSWORD_SALT": "t"}
    config[missing] = None
    with pytest.raises(RuntimeError, match=f"GALLERY_{missing}"):
        create_app(config)


def test_app_fixture_uses_testing_config(app):
    assert app.testing
    assert app.config["MAIL_BACKEND"] == "locmem"


def test_proxy_fix_trusts_forwarded_for_only_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    headers = {"X-Forwarded-For": "203.0.113.9"}
    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = create_app({"PROXY_FIX_HOPS": hops})

        @app.get("/whoami")
        def whoami() -> str:
            from flask import request

            return request.remote_addr or ""

        answer = app.test_client().get(
            "/whoami", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
        )
        assert answer.get_data(as_text=True) == expected


def test_sqlite_connections_keep_foreign_keys_wal_and_do_not_wait_for_the_disk(app):
    from sqlalchemy import text

    from gallery.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as connection:
        pragmas = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("foreign_keys", "journal_mode", "synchronous")
        }
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 1}  # 1: NORMAL


@pytest.mark.parametrize(
    "fresh", [False, pytest.param(True, marks=pytest.mark.fresh_app)], ids=["shared", "fresh"]
)
def test_a_missing_name_fails_in_our_templates_compiled_or_loaded(app, fresh):
    """The second app loads the first one's compiled templates (tests/support/environment.py
    TEMPLATE_CODE); a name missing from one of our templates fails there all the same."""
    from flask import render_template
    from jinja2 import UndefinedError

    with app.test_request_context("/"), pytest.raises(UndefinedError):
        render_template("errors/500.html", message="boom")  # no status
