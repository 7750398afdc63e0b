"""The bulk importer: a folder per user, sidecars, idempotent re-runs, `flask import`, seeding."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_security import verify_password
from PIL import Image as PILImage
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.media.importer import import_tree
from gallery.models import PENDING, VISIBLE, Image, OperationRun, User


def image_bytes(colour: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    image = PILImage.new("RGB", (120, 90), colour)
    image.putpixel((colour[0] % 120, 5), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def tree(tmp_path: Path, make_user: Any) -> Path:
    """root/alice (an existing member) and root/newcomer (a new one), with sidecars and noise."""
    make_user("alice")
    root = tmp_path / "import"
    alice, newcomer, short = root / "alice", root / "newcomer", root / "ab"
    for folder in (alice, newcomer, short, root / ".git"):
        folder.mkdir(parents=True)
    (alice / "mug.png").write_bytes(image_bytes((200, 10, 10)))
    (alice / "mug.json").write_text(
        json.dumps(
            {
                "caption": "My favourite mug",
                "shop_title": "Buy the mug",
                "shop_url": "https://shop.example.com/mug",
                "licence": "CC BY 4.0",
                "credit": "Alice A.",
                "source_url": "https://alice.example.com/mug",
                "unknown": "ignored",
            }
        )
    )
    (alice / "plain.jpg").write_bytes(image_bytes((10, 200, 10), "JPEG"))
    (alice / "broken.png").write_bytes(image_bytes((10, 10, 200)))
    (alice / "broken.json").write_text('{"caption": "no closing brace"')
    (alice / "fake.jpg").write_text("<?php echo 'not an image'; ?>")
    (alice / "notes.txt").write_text("not an image, ignored")
    (newcomer / "first.webp").write_bytes(image_bytes((120, 120, 10), "WEBP"))
    (newcomer / "first.json").write_text(json.dumps({"caption": "Hello 👋"}))
    (short / "x.png").write_bytes(image_bytes((1, 2, 3)))
    (root / ".git" / "blob.png").write_bytes(image_bytes((4, 5, 6)))
    (root / "README.md").write_text("root-level files are ignored")
    (root / "loose.png").write_bytes(image_bytes((7, 8, 9)))
    return root


def images_by_caption() -> dict[str, Image]:
    db.session.expire_all()
    return {image.caption: image for image in db.session.scalars(select(Image))}


def test_import_stores_images_with_their_sidecars(app: Flask, tree: Path) -> None:
    lines: list[str] = []
    result = import_tree(tree, echo=lines.append, progress=False)

    assert (result.files, result.stored, result.duplicates, result.ignored) == (6, 3, 0, 1)
    assert set(result.rejected) == {"alice/broken.png", "alice/fake.jpg", "ab/x.png"}
    assert "broken.json is not valid JSON" in result.rejected["alice/broken.png"]
    assert "not a supported image" in result.rejected["alice/fake.jpg"]
    assert "cannot be a username" in result.rejected["ab/x.png"]
    assert result.users_created == ["newcomer"]

    images = images_by_caption()
    assert set(images) == {"My favourite mug", "", "Hello 👋"}
    mug = images["My favourite mug"]
    assert (mug.shop_title, mug.shop_url) == ("Buy the mug", "https://shop.example.com/mug")
    assert (mug.licence, mug.credit) == ("CC BY 4.0", "Alice A.")
    assert mug.source_url == "https://alice.example.com/mug"
    assert (mug.source, mug.status, mug.author.username) == ("import", VISIBLE, "alice")
    assert images[""].author.username == "alice"

    newcomer = images["Hello 👋"].author
    assert newcomer.username == "newcomer" and newcomer.is_confirmed
    assert [role.name for role in newcomer.roles] == ["member"]

    run = db.session.get(OperationRun, result.run_id)
    assert (run.kind, run.status) == ("import", "finished")
    assert run.counts["stored"] == 3 and run.counts["rejected"] == 3
    assert lines[-1].startswith("import finished: files 6 · stored 3 · duplicates 0 · rejected 3")


def test_import_again_adds_nothing(app: Flask, tree: Path) -> None:
    first = import_tree(tree, echo=lambda _: None, progress=False)
    again = import_tree(tree, echo=lambda _: None, progress=False)
    assert (again.stored, again.duplicates) == (0, first.stored)
    assert again.rejected == first.rejected
    assert again.users_created == []
    assert db.session.scalar(select(func.count(Image.id))) == 3
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_import_pending_and_given_password(app: Flask, tree: Path) -> None:
    import_tree(
        tree, publish=False, user_password="chosen-pass-123", echo=lambda _: None, progress=False
    )
    assert {image.status for image in images_by_caption().values()} == {PENDING}
    newcomer = db.session.scalars(select(User).where(User.username == "newcomer")).one()
    assert verify_password("chosen-pass-123", newcomer.password)


def test_import_command(app: Flask, runner: Any, tree: Path) -> None:
    result = runner.invoke(args=["import", str(tree), "--user-password", "chosen-pass-123"])
    assert result.exit_code == 0, result.output
    assert "users created (the given password): newcomer" in result.output
    assert "rejected alice/broken.png: broken.json is not valid JSON" in result.output
    assert "import finished: files 6 · stored 3" in result.output
    missing = runner.invoke(args=["import", str(tree / "nope")])
    assert missing.exit_code == 2


def test_seed_demo_goes_through_the_importer(app: Flask, runner: Any) -> None:
    first = runner.invoke(args=["seed", "demo", "--quiet"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["seed", "demo", "--quiet"])
    assert "0 new images" in again.output
    images = images_by_caption()
    assert len(images) == 12
    coffee = images["Morning coffee, the only reason I get up"]
    assert (coffee.source, coffee.author.username) == ("seed", "alice")
    assert coffee.shop_url == "https://shop.example.com/mugs/classic"
    kinds = db.session.scalars(select(OperationRun.kind)).all()
    assert kinds == ["seed", "seed"]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_redraws_in_place_on_a_terminal() -> None:
    from gallery.media.runs import Tally

    screen = FakeTerminal()
    tally = Tally(labels=("found", "stored", "duplicates", "rejected"), stream=screen)
    tally.add("found", 3)
    tally.stored("a.png", 1)
    tally.duplicate("b.png", "same content as an image already stored", 1)
    tally.rejected("c.png", "too small")
    tally.close()
    frames = screen.getvalue().split("\r\x1b[K")
    assert frames[-1] == "found 3 · stored 1 · duplicates 1 · rejected 1 (too small: 1)\n"
    assert tally.as_counts()["reasons"] == {"too small": 1}
    assert [item["outcome"] for item in tally.as_counts()["items"]] == [
        "stored",
        "duplicate",
        "rejected",
    ]
