"""Each rule lives once: the shop-link check, byte sizes, ISO timestamps, calendar days;
the views that used to copy them now agree."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from flask import Flask

from gallery.errors import BadRequest
from gallery.formats import human_size, iso_utc, parse_day
from gallery.media.importer import SidecarError, read_sidecar
from gallery.moderation import actions as moderation
from gallery.urls import clean_shop_url, is_shop_url
from tests.support.factories import create_image, create_user

BAD_SHOP_LINKS = [
    "javascript:alert(1)",
    "//evil.example/",
    "ftp://shop.example/",
    "http://",
    "https://shop.example/a b",
    "https://shop.example/\x01",
    "https://shop.example/" + "a" * 2048,
]


@pytest.mark.parametrize("link", BAD_SHOP_LINKS)
def test_a_bad_shop_link_is_refused_by_every_way_in(app: Flask, tmp_path: Path, link: str) -> None:
    assert not is_shop_url(link)
    with pytest.raises(BadRequest):
        clean_shop_url(link)  # uploads and the API (gallery.media.ingest)
    image = create_image(create_user("alice"))
    with pytest.raises(BadRequest):  # the admin's edit form and the API's PATCH
        moderation.edit_image(image, None, "admin", caption="", shop_url=link, shop_title="")
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "a.json").write_text(json.dumps({"shop_url": link}))
    with pytest.raises(SidecarError):  # the bulk importer
        read_sidecar(tmp_path / "a.jpg")


@pytest.mark.parametrize(
    "link", ["https://shop.example/mugs?id=1", "http://shop.example", "  https://x.example/  "]
)
def test_a_good_shop_link_is_kept_trimmed(link: str) -> None:
    assert clean_shop_url(link) == link.strip()


def test_an_empty_shop_link_is_none() -> None:
    assert clean_shop_url("  ") is None and clean_shop_url(None) is None


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (10240, "10 KB"),
        (60000, "58.6 KB"),
        (20 * 1024 * 1024, "20 MB"),
        (1536 * 1024 * 1024, "1.5 GB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_iso_utc() -> None:
    assert iso_utc(dt.datetime(2030, 1, 15, 10, 0, 5)) == "2030-01-15T10:00:05Z"
    assert iso_utc(None) == ""


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2030-01-15", dt.date(2030, 1, 15)),
        ("2030-1-15", None),
        ("20300115", None),  # fromisoformat alone would take this one
        ("2030-02-30", None),
        ("", None),
        ("today", None),
    ],
)
def test_parse_day(text: str, day: dt.date | None) -> None:
    assert parse_day(text) == day


def test_the_api_takes_only_a_full_day(client) -> None:
    response = client.get("/api/picks?date=20300115")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_date"


def test_each_setting_has_its_one_default_in_config_default() -> None:
    site = Path(__file__).resolve().parents[1] / "site"
    defaults = Path(__file__).resolve().parents[1] / "config" / "default.py"
    known = set(re.findall(r"^([A-Z_]+) =", defaults.read_text(), re.MULTILINE))
    known |= set(Flask.default_config)
    second_defaults, unknown = [], set()
    for path in sorted(site.rglob("*.py")):
        source = path.read_text()
        second_defaults += re.findall(r"config\.get\([^)]*\)", source)
        unknown |= set(re.findall(r'config\[\s*"([A-Z_]+)"\s*\](?!\s*=[^=])', source)) - known
    assert second_defaults == []
    assert unknown == set()


# no type checker runs (make lint is ruff and import-linter), so a type-checker pragma would
# only look like a check; the code is written to need none
TYPE_PRAGMA = re.compile(r"#\s*type:\s*" + "ignore")


def test_no_type_checker_pragmas_without_a_type_checker() -> None:
    root = Path(__file__).resolve().parents[1]
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("site", "tests", "scripts", "config")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if TYPE_PRAGMA.search(line)
    ]
    assert found == []
