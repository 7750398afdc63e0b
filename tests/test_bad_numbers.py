"""Every integer from a path, query, form, JSON body or cursor is range-checked first:
out of range is a 404 or 400, a JSON id that is not an integer is a 400, never a 500."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.support.auth import csrf, login_as, post_json
from tests.support.factories import create_image, create_user

HUGE = str(2**63)  # one past the largest BIGINT: SQLite cannot even bind it
HUGER = "9" * 40


def cursor_of(number: str) -> str:
    return base64.urlsafe_b64encode(f"2030-01-15T09:00:00|{number}".encode()).decode()


@pytest.fixture
def mod(app: Any, client: Any) -> Any:
    """A moderator (who holds the member permissions too), logged in, and one image."""
    user = create_user("mod", roles=("moderator",))
    create_image(user)
    login_as(client, user)
    return user


PATHS = [
    ("GET", "/images/{n}", 404),
    ("GET", "/api/images/{n}", 404),
    ("GET", "/go/{n}", 404),
    ("GET", "/api/images/{n}/comments", 404),
    ("POST", "/api/images/{n}/comments", 404),
    ("POST", "/api/images/{n}/like", 404),
    ("DELETE", "/api/images/{n}/like", 404),
    ("DELETE", "/api/images/{n}", 404),
    ("POST", "/images/{n}/hide", 404),
    ("POST", "/images/{n}/restore", 404),
]


@pytest.mark.parametrize("number", [HUGE, HUGER])
@pytest.mark.parametrize(("method", "path", "status"), PATHS)
def test_huge_ids_in_paths_are_404(client, mod, method, path, status, number) -> None:
    headers = {"X-CSRFToken": csrf(client)}
    response = client.open(
        path.format(n=number), method=method, json={"body": "x"}, headers=headers
    )
    assert response.status_code == status, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("number", [HUGE, HUGER, "0", "-1"])
@pytest.mark.parametrize(
    "path", ["/api/images?cursor={c}", "/?cursor={c}", "/api/images/1/comments?cursor={c}"]
)
def test_cursors_with_huge_ids_are_400(client, mod, path, number) -> None:
    response = client.get(path.format(c=cursor_of(number)))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("value", "status"),
    [(2**63, 404), (int(HUGER), 404), (True, 400), (1.5, 400), ("1", 400), (None, 400)],
)
def test_report_ids_are_integers_in_range(client, mod, value, status) -> None:
    response = post_json(client, "/api/reports", {"target": "image", "id": value, "reason": "spam"})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "9999-12-31", "1900-02-30"])
def test_out_of_range_pick_dates(client, mod, day) -> None:
    assert client.get(f"/picks/{day}").status_code == 404
    assert client.get(f"/picks?date={day}").status_code == 404
    assert client.get(f"/api/picks?date={day}").status_code == 400


@pytest.mark.parametrize("number", [HUGE, HUGER])
def test_admin_forms_and_pages_with_huge_numbers(client, mod, number) -> None:
    token = csrf(client)
    added = client.post(
        "/admin/picks/add",
        data={"date": "2030-01-16", "image_ids": number, "csrf_token": token},
    )
    assert added.status_code == 400  # no image by that id
    moved = client.post(
        "/admin/picks/move", data={"pick_id": number, "position": "1", "csrf_token": token}
    )
    assert moved.status_code == 404
    acted = client.post(
        "/admin/image/action/",
        data={"action": "hide", "rowid": [number], "csrf_token": token},
    )
    assert acted.status_code in (302, 303)
    assert client.get(f"/admin/image/?page={number}").status_code == 404
    assert client.get("/admin/picks/?around=0001-01-01").status_code == 400
    decided = client.post(
        "/admin/reports/decide",
        data={
            "decision": "dismiss",
            "target_type": "image",
            "target_id": number,
            "csrf_token": token,
        },
    )
    assert decided.status_code == 400
