"""Tags: parsing #tags (Chinese and Latin, case-folded) on create and edit, tag pages
and their API (keyset, constant statements, 400 on bad cursors), safe caption links,
trending (decay, cache, moderators hide a tag), autocomplete."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.feeds.tags import compute_trending
from gallery.media.captions import caption_parts, index_terms, parse_tags, query_terms
from gallery.models import ImageTag, Tag, utcnow
from gallery.moderation.actions import edit_image, hide_image
from tests.support.discovery import indexed_image
from tests.support.factories import create_user
from tests.support.feeds import count_statements, ids


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Sunset #Beach #beach #BEACH", ["beach"]),
        ("我的 #猫咪 很可爱 #Cat", ["猫咪", "cat"]),
        ("#café au lait #Straße", ["café", "strasse"]),
        ("no tags here, a#b, &#123; #123 #", []),
        ("#one,#two.#three", ["one", "two", "three"]),
        ("#under_score ok", ["under_score"]),
    ],
)
def test_parse_tags(caption: str, expected: list[str]) -> None:
    assert parse_tags(caption) == expected


def test_index_terms_cover_chinese_bigrams_and_words() -> None:
    terms = index_terms("Cute 小猫咪 photo")
    assert {"cute", "photo", "小猫", "猫咪", "小", "猫", "咪"} <= terms
    assert query_terms("猫咪") == ["猫咪"]
    assert query_terms("小猫咪 Photo") == ["小猫", "猫咪", "photo"]


def test_caption_parts_split_tags_from_text() -> None:
    assert caption_parts("Hi #Cat <b>!") == [("Hi ", None), ("#Cat", "cat"), (" <b>!", None)]


def test_upload_stores_tags_from_the_caption(app: Any, client: Any) -> None:
    """The real upload path (media.ingest) stores the tags."""
    from tests.support.auth import Member
    from tests.support.sample_images import jpeg

    member = Member(client, "uploader")
    response = member.client.post(
        "/api/images",
        data={"file": (io.BytesIO(jpeg()), "a.jpg"), "caption": "Street food #夜市 #NightMarket"},
        headers={"X-CSRFToken": member.token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    image_id = response.get_json()["id"]
    names = set(
        db.session.scalars(select(Tag.name).join(ImageTag).where(ImageTag.image_id == image_id))
    )
    assert names == {"夜市", "nightmarket"}
    assert ids(client.get("/api/tags/NightMarket/images")) == [image_id]


def test_editing_the_caption_replaces_the_tags(app: Any, alice: Any, client: Any) -> None:
    image = indexed_image(alice, "#old tag")
    assert ids(client.get("/api/tags/old/images")) == [image.id]
    edit_image(image, alice, "page", caption="now #New and #新的", shop_url=None, shop_title=None)
    db.session.commit()
    assert client.get("/api/tags/old/images").get_json()["items"] == []
    assert ids(client.get("/api/tags/new/images")) == [image.id]
    assert ids(client.get("/api/tags/新的/images")) == [image.id]


def test_tag_page_and_api_page_with_keyset_and_constant_statements(
    app: Any, alice: Any, client: Any
) -> None:
    start = utcnow() - dt.timedelta(hours=2)
    images = [
        indexed_image(alice, f"#sea {i}", created_at=start + dt.timedelta(minutes=i))
        for i in range(25)
    ]
    indexed_image(alice, "#other")
    newest_first = [image.id for image in reversed(images)]
    statement_counts = []
    seen: list[int] = []
    cursor = ""
    for limit in (10, 10, 10):
        db.session.expire_all()
        with count_statements() as statements:
            response = client.get(f"/api/tags/sea/images?limit={limit}&cursor={cursor}")
        statement_counts.append(len(statements))
        data = response.get_json()
        seen += [item["id"] for item in data["items"]]
        cursor = data["next_cursor"] or ""
    assert seen == newest_first
    assert cursor == ""
    assert len(set(statement_counts)) == 1, statement_counts
    page = client.get("/t/SEA")
    assert page.status_code == 200
    assert "#sea" in page.get_data(as_text=True)


@pytest.mark.parametrize("cursor", ["%%%", "bm9wZQ", "MjAzMC0wMS0xNXww"])
def test_tag_api_malformed_cursor_is_400(app: Any, alice: Any, client: Any, cursor: str) -> None:
    indexed_image(alice, "#sea")
    response = client.get(f"/api/tags/sea/images?cursor={cursor}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_cursor"
    assert client.get(f"/t/sea?cursor={cursor}").status_code == 400


def test_unknown_tag_is_404(client: Any) -> None:
    assert client.get("/t/nothing").status_code == 404
    assert client.get("/api/tags/nothing/images").get_json()["error"] == "not_found"


def test_hidden_images_leave_the_tag_page_and_its_cache(app: Any, alice: Any, client: Any) -> None:
    mod = create_user("mod", roles=("moderator",))
    image = indexed_image(alice, "#sea")
    assert ids(client.get("/api/tags/sea/images")) == [image.id]
    assert client.get("/api/tags/sea/images").headers.get("X-Gallery-Cache") == "hit"
    hide_image(image, mod, "admin", reason="spam")
    db.session.commit()
    assert client.get("/api/tags/sea/images").get_json()["items"] == []


def test_caption_tags_are_links_and_user_text_stays_text(app: Any, alice: Any, client: Any) -> None:
    image = indexed_image(alice, '<script>alert(1)</script> #Cat" onmouseover="x')
    page = client.get(f"/images/{image.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a class="g-tag" href="/t/cat">#Cat</a>' in page
    home = client.get("/").get_data(as_text=True)
    assert '<a class="g-tag" href="/t/cat">#Cat</a>' in home


def test_trending_decays_with_age_and_moderators_can_hide_a_tag(
    app: Any, alice: Any, client: Any, auth: Any
) -> None:
    now = utcnow()
    for hours in (48, 49, 50):  # three old uses
        indexed_image(alice, "#old", created_at=now - dt.timedelta(hours=hours))
    indexed_image(alice, "#fresh", created_at=now - dt.timedelta(minutes=5))
    trending = compute_trending(now)
    names = [item["name"] for item in trending]
    # 3 uses two days (4 half-lives) old weigh 3/16; one new use weighs ~1
    assert names == ["fresh", "old"]
    assert "#fresh" in client.get("/hot").get_data(as_text=True)
    create_user("mod", roles=("moderator",))
    auth.login("mod", "password-mod")
    token = auth.csrf_token()
    response = client.post("/t/fresh/trending", data={"hidden": "1", "csrf_token": token})
    assert response.status_code == 302
    assert [item["name"] for item in client.get("/api/tags/trending").get_json()["items"]] == [
        "old"
    ]
    assert client.get("/t/fresh").status_code == 200  # the tag page stays


def test_members_cannot_hide_tags(app: Any, alice: Any, client: Any, auth: Any) -> None:
    indexed_image(alice, "#fresh")
    auth.login("alice", "password-alice")
    token = auth.csrf_token()
    response = client.post("/t/fresh/trending", data={"hidden": "1", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(Tag.hidden_from_trending).where(Tag.name == "fresh")) is False


def test_tag_autocomplete(app: Any, alice: Any, client: Any) -> None:
    indexed_image(alice, "#cat #catnip")
    indexed_image(alice, "#catnip #dog #猫咪")
    items = client.get("/api/tags?prefix=%23Cat").get_json()["items"]
    assert items == [{"name": "catnip", "count": 2}, {"name": "cat", "count": 1}]
    assert client.get("/api/tags?prefix=猫").get_json()["items"] == [{"name": "猫咪", "count": 1}]
    assert client.get("/api/tags?prefix=%25").get_json()["items"] == []
