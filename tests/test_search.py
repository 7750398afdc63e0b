"""Search: captions, tags and usernames in Chinese and English, on the backend the
suite runs on (SQLite, or MariaDB with GALLERY_TEST_DATABASE_URL): a 2-character
Chinese word finds its image, results are ranked, paged with a keyset, highlighted
safely, hidden images are never found, bad input is a 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gallery.extensions import db
from gallery.models import utcnow
from gallery.moderation.actions import hide_image
from tests.support.discovery import indexed_image
from tests.support.factories import create_user
from tests.support.feeds import count_statements, ids


def test_two_character_chinese_word_finds_its_image(app: Any, alice: Any, client: Any) -> None:
    """FTS5's trigram tokenizer needs 3 characters; our bigram terms do not."""
    cat = indexed_image(alice, "我家的猫咪在睡觉")
    indexed_image(alice, "一只小狗")
    assert ids(client.get("/api/search?q=猫咪")) == [cat.id]
    assert ids(client.get("/api/search?q=猫")) == [cat.id]  # one character too
    assert ids(client.get("/api/search?q=睡觉")) == [cat.id]
    assert ids(client.get("/api/search?q=猫睡")) == []  # not a substring of the caption


def test_english_words_are_case_folded_and_all_required(app: Any, alice: Any, client: Any) -> None:
    both = indexed_image(alice, "A Red Bicycle by the canal")
    indexed_image(alice, "red wine")
    assert ids(client.get("/api/search?q=BICYCLE")) == [both.id]
    assert ids(client.get("/api/search?q=red bicycle")) == [both.id]
    assert len(ids(client.get("/api/search?q=red"))) == 2


def test_tag_matches_rank_above_caption_text_then_newest(app: Any, alice: Any, client: Any) -> None:
    now = utcnow()
    in_text = indexed_image(alice, "sunset over the sea", created_at=now)
    tagged_old = indexed_image(alice, "#sunset", created_at=now - dt.timedelta(days=2))
    tagged_new = indexed_image(alice, "evening #Sunset", created_at=now - dt.timedelta(days=1))
    assert ids(client.get("/api/search?q=sunset")) == [tagged_new.id, tagged_old.id, in_text.id]


def test_search_pages_with_a_keyset_and_constant_statements(
    app: Any, alice: Any, client: Any
) -> None:
    made = [indexed_image(alice, f"海边 #beach {i}") for i in range(7)]
    made += [indexed_image(alice, f"海边 {i}") for i in range(5)]
    seen: list[int] = []
    counts = []
    cursor = ""
    while True:
        db.session.expire_all()
        with count_statements() as statements:
            data = client.get(f"/api/search?q=海边&limit=5&cursor={cursor}").get_json()
        counts.append(len(statements))
        seen += [item["id"] for item in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(image.id for image in made)
    assert len(seen) == len(set(seen))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 3, counts  # matches, images with authors, latest comments


def test_hidden_images_are_never_found(app: Any, alice: Any, client: Any) -> None:
    mod = create_user("mod", roles=("moderator",))
    image = indexed_image(alice, "秘密 secret #hush")
    assert ids(client.get("/api/search?q=secret")) == [image.id]
    hide_image(image, mod, "admin", reason="spam")
    db.session.commit()
    for q in ("secret", "秘密", "hush"):
        assert client.get(f"/api/search?q={q}").get_json()["items"] == []
    page = client.get("/search?q=secret").get_data(as_text=True)
    assert f'data-id="{image.id}"' not in page.split('<template id="card-template">')[0]


def test_search_tags_and_members(app: Any, alice: Any, client: Any) -> None:
    create_user("alicia")
    create_user("bob")
    indexed_image(alice, "#夜市 #nightlife #night")
    users = client.get("/api/search?q=ali&type=users").get_json()
    assert [u["username"] for u in users["items"]] == ["alice", "alicia"]
    exact_first = client.get("/api/search?q=alicia&type=users").get_json()
    assert [u["username"] for u in exact_first["items"]] == ["alicia"]
    tags = client.get("/api/search?q=%23Night&type=tags").get_json()
    assert [t["name"] for t in tags["items"]] == ["night", "nightlife"]
    assert [t["name"] for t in client.get("/api/search?q=夜&type=tags").get_json()["items"]] == [
        "夜市"
    ]
    paged = client.get("/api/search?q=ali&type=users&limit=1").get_json()
    second = client.get(f"/api/search?q=ali&type=users&limit=1&cursor={paged['next_cursor']}")
    assert [u["username"] for u in second.get_json()["items"]] == ["alicia"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("q=", "bad_query"),
        ("q=%20%20", "bad_query"),
        ("q=!!!", "bad_query"),
        ("q=cat&type=photos", "bad_type"),
        ("q=cat&cursor=%%%", "bad_cursor"),
        ("q=cat&cursor=MjAzMC0wMS0xNXww", "bad_cursor"),
        ("q=cat&limit=abc", "bad_limit"),
    ],
)
def test_bad_search_input_is_a_400(app: Any, client: Any, query: str, code: str) -> None:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == code


def test_search_page_highlights_matches_safely(app: Any, alice: Any, client: Any) -> None:
    indexed_image(alice, "<b>Cat</b> 猫咪 on a mat")
    page = client.get("/search?q=cat 猫咪").get_data(as_text=True)
    assert "&lt;b&gt;<mark>Cat</mark>&lt;/b&gt; <mark>猫咪</mark> on a mat" in page
    assert "<script>x" not in client.get("/search?q=<script>x").get_data(as_text=True)
    assert client.get("/search?q=!!!").status_code == 400
    assert client.get("/search").status_code == 200
    assert 'name="q"' in client.get("/").get_data(as_text=True)  # the navbar box


def test_navbar_search_box_keeps_the_query(app: Any, client: Any) -> None:
    page = client.get("/search?q=%22onload%3D").get_data(as_text=True)
    assert 'value="&#34;onload="' in page
