"""Error pages: HTML in the site's look with a way on, JSON under /api."""

from __future__ import annotations

import pytest

from gallery.errors import NotConfirmed, StorageUnavailable
from tests.support.factories import create_user


def html(response) -> str:
    return response.get_data(as_text=True)


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = html(response)
    assert "We could not find that page" in page
    assert 'class="navbar' in page and 'href="/"' in page


def test_404_json_under_api(client):
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "There is nothing here."}


@pytest.mark.fresh_app  # adds a route
def test_403_not_confirmed_page_offers_a_new_mail(app, client, auth):
    @app.get("/test/needs-confirmation")
    def needs_confirmation() -> None:
        raise NotConfirmed()

    create_user("newbie", confirmed=False)
    auth.login("newbie", "password-newbie")
    response = client.get("/test/needs-confirmation")
    assert response.status_code == 403
    page = html(response)
    assert "Please confirm your e-mail address" in page
    assert 'href="/confirm"' in page


@pytest.mark.fresh_app  # adds a route
def test_401_page_offers_login_with_next(app, client):
    from gallery.errors import NotLoggedIn

    @app.get("/test/needs-login")
    def needs_login() -> None:
        raise NotLoggedIn()

    response = client.get("/test/needs-login?x=1")
    assert response.status_code == 401
    assert 'href="/login?next=/test/needs-login?x%3D1"' in html(response)


@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize(
    ("error", "status", "said", "not_said"),
    [
        (RuntimeError("boom"), 500, ["Something broke on our side"], ["boom"]),  # no internals
        (
            StorageUnavailable(),
            503,
            ["We will be right back", "Image storage is not answering"],
            ["Please try again in a moment."],  # that line is the 500 page's
        ),
    ],
)
def test_500_and_503_pages_stand_alone(app, client, error, status, said, not_said):
    @app.get("/test/broken")
    def broken() -> None:
        raise error

    response = client.get("/test/broken")
    assert response.status_code == status
    assert ("Retry-After" in response.headers) == (status == 503)
    page = html(response)
    assert [text for text in said if text not in page] == []
    assert [text for text in not_said if text in page] == []
    assert 'class="navbar' not in page and 'href="/"' in page


@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_500_json_under_api(app, client):
    @app.get("/api/test/broken")
    def broken_api() -> None:
        raise RuntimeError("boom")

    response = client.get("/api/test/broken")
    assert response.status_code == 500
    assert response.get_json()["error"] == "server_error"
    assert "boom" not in response.get_data(as_text=True)
