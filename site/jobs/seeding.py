"""Idempotent demo data: users for every role, images from seeds/, comments."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_security import hash_password
from sqlalchemy import func, select

from gallery.extensions import db, security
from gallery.feeds.hot import rebuild_hot
from gallery.media.importer import import_tree
from gallery.models import Comment, Image, Like, User, utcnow
from gallery.roles import sync_roles


def ensure_user(spec: dict[str, Any]) -> User:
    """Find or create one demo user with its roles."""
    datastore = security.datastore
    user = datastore.find_user(username=spec["username"])
    if user is None:
        user = datastore.create_user(
            username=spec["username"],
            email=spec["email"],
            password=hash_password(spec["password"]),
            confirmed_at=utcnow() if spec.get("confirmed", True) else None,
        )
    for role in spec["roles"]:
        datastore.add_role_to_user(user, role)
    return user


def seed_demo_data(spec: dict[str, Any], images_dir: Path, echo: Callable[[str], None]) -> str:
    """Create what is missing; return a one-line summary."""
    sync_roles()
    users = [ensure_user(u) for u in spec["users"]]
    db.session.commit()
    echo(f"users: {len(users)} ready")
    imported = import_seed_images(images_dir, echo)
    added = seed_comments(spec["comments"], users)
    liked = seed_likes(users, spec.get("featured", []))
    db.session.commit()
    ranked = rank_hot(echo)
    db.session.commit()  # the hot_score column: the ranking's fallback when Redis is empty
    return (
        f"seed done: {len(users)} users, {imported} new images, {added} new comments, "
        f"{liked} new likes, {ranked} images ranked"
    )


def rank_hot(echo: Callable[[str], None]) -> int:
    """Rebuild the hot ranking so the seeded images rank at once."""
    try:
        return rebuild_hot()
    except Exception as error:  # noqa: BLE001 - Redis away: the seed itself is done
        echo(f"hot ranking not rebuilt ({error}); run `flask hot rebuild` later")
        return 0


def import_seed_images(images_dir: Path, echo: Callable[[str], None]) -> int:
    """Import seeds/images/<username>/* through the bulk importer."""
    result = import_tree(images_dir, source="seed", publish=True, echo=echo)
    return result.stored


def seed_likes(users: list[User], featured: list[str] | None = None) -> int:
    """Each confirmed demo user likes a few seeded images, once; every one of them likes
    the `featured` images (captions starting with these words), so the most appealing
    photos lead the hot list and become the first automatic picks."""
    if db.session.scalar(select(func.count()).select_from(Like)):
        return 0
    rng = random.Random(7)
    images = db.session.scalars(select(Image).order_by(Image.id)).all()
    prefixes = tuple(featured or ())
    starred = [image for image in images if prefixes and image.caption.startswith(prefixes)]
    others = [image for image in images if image not in starred]
    added = 0
    for user in (u for u in users if u.confirmed_at is not None):
        chosen = starred + rng.sample(others, k=min(len(others), rng.randint(1, 3)))
        for image in chosen:
            db.session.add(Like(user_id=user.id, image_id=image.id))
            image.like_count += 1
            added += 1
    return added


def seed_comments(bodies: list[str], users: list[User]) -> int:
    """Give each seeded image a few comments, once."""
    if db.session.scalar(select(func.count(Comment.id))):
        return 0
    rng = random.Random(42)
    commenters = [u for u in users if u.confirmed_at is not None]
    added = 0
    for image in db.session.scalars(select(Image).order_by(Image.id)):
        for body in rng.sample(bodies, k=rng.randint(1, 3)):
            db.session.add(Comment(image=image, author=rng.choice(commenters), body=body))
            image.comment_count += 1
            added += 1
    return added
