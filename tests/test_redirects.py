"""Open redirects: `next` after login (and elsewhere) is honoured only for local paths."""

from __future__ import annotations

import pytest

from gallery.urls import is_local_path, safe_next
from tests.support.auth import csrf_token_from
from tests.support.factories import create_user

BAD_NEXT = [
    "//evil.com",
    "/\\evil.com",
    "https://evil.com",
    "http:evil.com",
    "\\\\evil.com",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "javascript:alert(1)",
    "///evil.com",
    "////evil.com",
    " //evil.com",
    "/\t/evil.com",
    "https:/evil.com",
    "evil.com",
    "http://localhost.evil.com/",
]
GOOD_NEXT = ["/u/alice?x=1", "/images/42", "/"]


def login_with_next(client, next_value: str):
    return client.post(
        "/login",
        query_string={"next": next_value},
        data={
            "identity": "alice",
            "password": "password-alice",
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )


@pytest.mark.parametrize("next_value", BAD_NEXT)
def test_login_ignores_a_foreign_next(client, next_value):
    create_user("alice")
    response = login_with_next(client, next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_value", GOOD_NEXT)
def test_login_follows_a_local_next(client, next_value):
    create_user("alice")
    response = login_with_next(client, next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == next_value


@pytest.mark.parametrize("next_value", BAD_NEXT)
def test_next_in_the_form_body_is_checked_too(client, next_value):
    create_user("alice")
    response = client.post(
        "/login",
        data={
            "identity": "alice",
            "password": "password-alice",
            "next": next_value,
            "csrf_token": csrf_token_from(client, "/login"),
        },
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_value", BAD_NEXT)
def test_language_switch_ignores_a_foreign_next(client, next_value):
    response = client.get("/lang/zh", query_string={"next": next_value})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_value", BAD_NEXT + ["", None, "/\x00evil"])
def test_safe_next_refuses_foreign_targets(next_value):
    assert not is_local_path(next_value)
    assert safe_next(next_value) == "/"


@pytest.mark.parametrize("next_value", GOOD_NEXT)
def test_safe_next_keeps_local_paths(next_value):
    assert is_local_path(next_value)
    assert safe_next(next_value) == next_value
