"""Production-only defects, caught in-process: mailed links from SERVER_NAME only, security
headers, valid Cache-Control, edge caching, 503 while the database is down, stale values
from the app's cache, the per-file upload limit and Redis clients without retries."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gallery import create_app
from gallery.extensions import db, limiter
from gallery.models import Image
from tests.support.auth import csrf, login_as
from tests.support.environment import base_config
from tests.support.factories import create_image, create_user
from tests.support.sample_images import jpeg

RESET_LINK = re.compile(r"(https?://[^/\s]+)/reset/[\w.\-]+")


def reset_links(app: Any) -> list[str]:
    outbox = getattr(app.extensions["mailman"], "outbox", [])
    return [m for mail in outbox for m in RESET_LINK.findall(mail.body)]


def request_reset(client: Any, **headers: str) -> Any:
    # the test client keeps cookies per host, so the forged Host would lose the CSRF
    # session: these tests turn CSRF off (it is not what they are about)
    return client.post("/reset", data={"email": "alice@example.com"}, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "attacker.example"},
        {"Host": "evil.example", "X-Forwarded-Host": "attacker.example"},
    ],
)
@pytest.mark.settings(PROXY_FIX_HOPS=1, WTF_CSRF_ENABLED=False)
def test_mailed_links_use_the_configured_host(app, client, headers) -> None:
    create_user("alice", email="alice@example.com")
    response = request_reset(client, **headers)
    assert response.status_code in (200, 302)
    assert reset_links(app) == ["http://localhost"]


@pytest.mark.settings(TRUSTED_HOSTS=["localhost"])
def test_an_untrusted_host_is_refused(client) -> None:
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/").status_code == 200


def test_production_refuses_to_start_without_server_name(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    config.update(ENV_NAME="production", SERVER_NAME=None)
    with pytest.raises(RuntimeError, match="SERVER_NAME"):
        create_app(config)


@pytest.mark.parametrize(
    "path", ["/", "/hot", "/picks", "/login", "/register", "/api/images", "/api/hot", "/nope"]
)
def test_security_headers_on_pages_and_json(client, path) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # HSTS_SECONDS = 0


@pytest.mark.settings(HSTS_SECONDS=31536000)
def test_hsts_when_configured(client) -> None:
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_carry_no_inline_script_or_style(app, client) -> None:
    alice = create_user("alice")
    image = create_image(alice)
    for path in ("/", f"/images/{image.id}", "/nope", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), path
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)


def test_admin_inline_scripts_carry_the_nonce_of_the_policy(app, client) -> None:
    login_as(client, create_user("mod", roles=("moderator",)))
    response = client.get("/admin/image/")
    nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])
    html = response.get_data(as_text=True)
    assert nonce and f'nonce="{nonce.group(1)}"' in html
    assert "<style>" not in html
    assert "js/admin-actions.js" in html


@pytest.mark.parametrize("path", ["/login", "/register", "/reset", "/confirm"])
def test_account_pages_are_never_cached(client, path) -> None:
    header = client.get(path).headers["Cache-Control"]
    assert "=True" not in header
    assert {part.strip() for part in header.split(",")} >= {"private", "no-store"}


@pytest.mark.parametrize("path", ["/", "/hot", "/picks", "/api/images", "/api/hot", "/api/picks"])
def test_visitor_answers_may_be_kept_by_shared_caches(app, client, path) -> None:
    header = client.get(path).headers["Cache-Control"]
    assert "public" in header and "s-maxage=5" in header
    assert "stale-while-revalidate=30" in header and "stale-if-error=600" in header
    login_as(client, create_user("alice"))
    member = client.get(path)
    assert "private" in member.headers["Cache-Control"]
    assert "s-maxage" not in member.headers["Cache-Control"]


class DatabaseDown:
    """Every statement fails as if MariaDB were stopped."""

    def __enter__(self) -> DatabaseDown:
        event.listen(db.engine, "before_cursor_execute", self.fail)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(db.engine, "before_cursor_execute", self.fail)

    @staticmethod
    def fail(*args: Any) -> None:
        raise OperationalError("SELECT", {}, Exception("(2003) Can't connect to MySQL server"))


def test_database_down_gives_503_json_with_retry_after_and_a_friendly_page(app, client) -> None:
    alice = create_user("alice")
    image_id = create_image(alice).id
    with DatabaseDown():
        api = client.get(f"/api/images/{image_id}")
        page = client.get(f"/images/{image_id}")
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json()["error"] == "database_unavailable"
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "try again" in page.get_data(as_text=True)


@pytest.mark.settings(FEED_PAGE_CACHE_SECONDS=1)
def test_stale_values_are_served_while_the_database_is_down(app, client, fixed_clock) -> None:
    alice = create_user("alice")
    create_image(alice, caption="still served")
    assert client.get("/api/images").headers["X-Gallery-Cache"] == "miss"
    fixed_clock.shift(2)  # the entry is stale now (the run's clock only moves forward)
    with DatabaseDown():
        stale = client.get("/api/images")
        uncached = client.get("/api/hot?limit=7")
    assert stale.status_code == 200
    assert stale.get_json()["items"][0]["caption"] == "still served"
    assert uncached.status_code == 503


def noise_png(side: int = 200) -> bytes:
    """A PNG of random pixels: it hardly compresses (about 3 × side² bytes)."""
    pixels = PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    pixels.save(out, "PNG")
    return out.getvalue()


@pytest.mark.settings(MAX_CONTENT_LENGTH=200_000, UPLOAD_RATE_LIMIT="100 per hour")
def test_each_file_of_the_upload_form_gets_the_per_file_limit(app, client) -> None:
    login_as(client, create_user("alice"))
    first, second = noise_png(), noise_png()  # each under the limit, both together over it
    assert len(first) < 200_000 and len(first) + len(second) > 200_000
    response = client.post(
        "/upload",
        data={
            "csrf_token": csrf(client),
            "file": [(io.BytesIO(first), "a.png"), (io.BytesIO(second), "b.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_data(as_text=True).count("is-done") == 2


def test_redis_clients_never_retry(tmp_path, monkeypatch) -> None:
    """redis-py 6+ retries a timed-out call 10 times with back-off (about 8 s with
    0.25 s timeouts): a paused Redis froze every worker. Both clients try once."""
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path)
    config.update(REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens: never connected here
    app = create_app(config)
    clients = [app.extensions["gallery_redis"]]
    with app.app_context():
        clients.append(limiter.storage.storage)  # limits' own redis-py client
    for client in clients:
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["retry"].get_retries() == 0
        assert kwargs["socket_timeout"] <= 0.25


@pytest.mark.settings(UPLOAD_RATE_LIMIT="100 per hour")
def test_an_upload_committed_as_the_database_dies_is_reported_stored(app, client) -> None:
    """It used to answer a bare 500 (the card was read after the commit), though stored."""
    login_as(client, create_user("alice"))
    token = csrf(client)
    down = DatabaseDown()

    def database_dies(session: Any) -> None:
        down.__enter__()

    event.listen(Session, "after_commit", database_dies, once=True)
    try:
        response = client.post(
            "/api/images",
            data={"file": (io.BytesIO(jpeg()), "a.jpg"), "caption": "made it"},
            headers={"X-CSRFToken": token},
            content_type="multipart/form-data",
        )
    finally:
        down.__exit__()
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["caption"] == "made it"
    db.session.expire_all()
    stored = db.session.scalar(select(Image).where(Image.caption == "made it"))
    assert stored is not None and stored.id == response.get_json()["id"]
