"""Issue 11, API tokens: made on the account page (secret shown once, hash stored),
`Authorization: Bearer` on the JSON API without CSRF, same permissions, limits
counted per token, expiry, revocation, last use; the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import io
import re

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import ApiToken, Comment, Image
from tests.support.accounts import page_text
from tests.support.auth import csrf_token_from
from tests.support.factories import create_image, create_user
from tests.support.sample_images import jpeg

SECRET_ON_PAGE = re.compile(r'id="token-secret"[^>]*value="([^"]+)"')


def make_token(client, auth, username="bob", name="script", expires="90") -> str:
    """Log in, create a token on the account page, log out: the secret."""
    auth.login(username, f"password-{username}")
    response = client.post(
        "/account/tokens",
        data={
            "name": name,
            "expires_in_days": expires,
            "csrf_token": csrf_token_from(client, "/account/tokens"),
        },
    )
    assert response.status_code == 201, page_text(response)
    secret = SECRET_ON_PAGE.search(page_text(response)).group(1)
    auth.logout()
    client.delete_cookie("session", domain="localhost")
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def image(app):
    return create_image(create_user("alice"))


def test_secret_is_shown_once_and_only_its_hash_is_stored(client, auth):
    create_user("bob")
    secret = make_token(client, auth)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.token_hash, token.prefix)
    auth.login("bob", "password-bob")
    listing = page_text(client.get("/account/tokens"))
    assert "script" in listing and token.prefix in listing
    assert secret not in listing


def test_a_token_comments_likes_reports_and_uploads_without_csrf(app, client, auth, image):
    create_user("bob")
    secret = make_token(client, auth)
    script = app.test_client()  # no cookies at all
    response = script.post(
        f"/api/images/{image.id}/comments", json={"body": "by script"}, headers=bearer(secret)
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"]["username"] == "bob"
    assert "Set-Cookie" not in response.headers
    like = script.post(f"/api/images/{image.id}/like", headers=bearer(secret))
    assert like.get_json() == {"liked": True, "like_count": 1}
    report = script.post(
        "/api/reports",
        json={"target": "image", "id": image.id, "reason": "spam"},
        headers=bearer(secret),
    )
    assert report.status_code == 201
    upload = script.post(
        "/api/images",
        data={"file": (io.BytesIO(jpeg()), "a.jpg"), "caption": "scripted"},
        headers=bearer(secret),
    )
    assert upload.status_code == 201, upload.get_json()
    assert db.session.get(Image, upload.get_json()["id"]).author.username == "bob"
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None
    auth.login("bob", "password-bob")
    assert "never" not in page_text(client.get("/account/tokens")).split("last-used")[1][:60]


def test_a_cookie_session_still_needs_its_csrf_token(client, auth, image):
    create_user("bob")
    auth.login("bob", "password-bob")
    assert client.post(f"/api/images/{image.id}/like").status_code == 400
    token = csrf_token_from(client, "/")
    response = client.post(f"/api/images/{image.id}/like", headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_a_token_has_its_owners_permissions_only(app, client, auth, image):
    create_user("newbie", confirmed=False)
    secret = make_token(client, auth, "newbie")
    response = app.test_client().post(f"/api/images/{image.id}/like", headers=bearer(secret))
    assert response.status_code == 403
    assert response.get_json()["error"] == "not_confirmed"
    delete = app.test_client().delete(f"/api/images/{image.id}", headers=bearer(secret))
    assert delete.status_code == 403


@pytest.mark.parametrize(
    "header", ["Bearer gal_not-a-real-token", "Bearer ", "bearer nope", "Bearer a b"]
)
def test_unknown_tokens_are_401_json(app, image, header):
    response = app.test_client().post(
        f"/api/images/{image.id}/like", headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "bad_token"


def test_revoked_and_expired_tokens_stop_working(app, client, auth, image, fixed_clock):
    create_user("bob")
    week = make_token(client, auth, expires="7")
    revoked = make_token(client, auth, name="old")
    script = app.test_client()
    assert script.post(f"/api/images/{image.id}/like", headers=bearer(revoked)).status_code == 200

    auth.login("bob", "password-bob")
    old = db.session.scalar(select(ApiToken).where(ApiToken.name == "old"))
    response = client.post(
        f"/account/tokens/{old.id}/revoke",
        data={"csrf_token": csrf_token_from(client, "/account/tokens")},
    )
    assert response.status_code == 302
    assert script.post(f"/api/images/{image.id}/like", headers=bearer(revoked)).status_code == 401

    assert script.delete(f"/api/images/{image.id}/like", headers=bearer(week)).status_code == 200
    fixed_clock.shift(dt.timedelta(days=8))
    assert script.post(f"/api/images/{image.id}/like", headers=bearer(week)).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, auth):
    create_user("bob")
    create_user("eve")
    make_token(client, auth)
    auth.login("eve", "password-eve")
    token = db.session.scalar(select(ApiToken))
    response = client.post(
        f"/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token_from(client, "/account/tokens")},
    )
    assert response.status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


@pytest.mark.parametrize("name, expires", [("", "90"), ("x" * 65, "90"), ("ok", "3"), ("ok", "x")])
def test_bad_token_forms_say_why(client, auth, name, expires):
    create_user("bob")
    auth.login("bob", "password-bob")
    response = client.post(
        "/account/tokens",
        data={
            "name": name,
            "expires_in_days": expires,
            "csrf_token": csrf_token_from(client, "/account/tokens"),
        },
    )
    assert response.status_code == 400
    assert "alert-danger" in page_text(response)
    assert db.session.scalar(select(ApiToken)) is None


@pytest.mark.settings(COMMENT_RATE_LIMIT="2 per minute")
def test_rate_limits_count_per_token(app, client, auth, image):
    create_user("bob")
    first, second = make_token(client, auth), make_token(client, auth, name="two")
    script = app.test_client()

    def comment(secret):
        return script.post(
            f"/api/images/{image.id}/comments", json={"body": "hi"}, headers=bearer(secret)
        ).status_code

    assert [comment(first), comment(first), comment(first)] == [201, 201, 429]
    assert comment(second) == 201
    assert db.session.query(Comment).count() == 3


def test_the_token_pages_need_a_login(client):
    assert client.get("/account/tokens").status_code == 302
    assert client.post("/account/tokens", data={}).status_code == 400  # CSRF first


# -- OpenAPI ----------------------------------------------------------------------


def test_every_api_route_is_in_the_openapi_document(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes <= documented
    like = spec["paths"]["/api/images/{image_id}/like"]["post"]
    assert {"bearerToken": []} in like["security"]
    assert like["parameters"][0] == {
        "name": "image_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    assert "bearerToken" in spec["components"]["securitySchemes"]


def test_the_query_parameters_and_bodies_a_view_reads_are_documented(app, client):
    """Issue 11 review: query parameters and request bodies were only in docstrings."""
    spec = client.get("/api/openapi.json").get_json()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        source = inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        read = set(re.findall(r'request\.args\.get\("(\w+)"', source))
        reads_body = bool(re.search(r"get_json|json_body\(\)|request\.(files|form)", source))
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = spec["paths"][path][method.lower()]
            query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert read <= query, (path, method, read - query)
            if reads_body and method != "GET":
                assert op["requestBody"]["content"], (path, method)
                checked += 1
    assert checked >= 8
    search = spec["paths"]["/api/search"]["get"]
    assert {"q", "type", "cursor", "limit"} <= {p["name"] for p in search["parameters"]}
    upload = spec["paths"]["/api/images"]["post"]["requestBody"]["content"]
    assert "file" in upload["multipart/form-data"]["schema"]["properties"]
    report = spec["paths"]["/api/reports"]["post"]["requestBody"]["content"]["application/json"]
    assert "violence" in report["schema"]["properties"]["reason"]["description"]


def test_the_docs_page_lists_the_operations_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    text = page_text(response)
    assert "/api/images/{image_id}/comments" in text
    assert "Authorization: Bearer" in text
    # what an upload sends
    assert re.search(r"Body \(multipart/form-data\):</span>\s*<code[^>]*>file</code>", text)
    assert not re.search(r'(src|href)="(https?:)?//', text)
