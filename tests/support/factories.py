"""Test data: users, images (rows only), comments."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask_security import hash_password

from gallery.extensions import db, security
from gallery.models import Comment, Image, User, utcnow


def create_user(
    username: str,
    *,
    roles: tuple[str, ...] | list[str] = ("member",),
    confirmed: bool = True,
    password: str | None = None,
    email: str | None = None,
    active: bool = True,
) -> User:
    """A committed user; the password defaults to 'password-<username>'."""
    user = security.datastore.create_user(
        username=username,
        email=email or f"{username}@example.com",
        password=hash_password(password or f"password-{username}"),
        confirmed_at=utcnow() if confirmed else None,
        active=active,
    )
    for role in roles:
        security.datastore.add_role_to_user(user, role)
    db.session.commit()
    return user


def create_image(author: User, **fields: Any) -> Image:
    """An image row without stored files (enough for feeds and moderation logic)."""
    key = uuid.uuid4().hex
    values: dict[str, Any] = {
        "author": author,
        "caption": f"image {key[:6]}",
        "storage_key": key,
        "format": "jpeg",
        "sha256": hashlib.sha256(key.encode()).hexdigest(),
        "width": 640,
        "height": 480,
        "created_at": utcnow(),
    }
    values.update(fields)
    image = Image(**values)
    db.session.add(image)
    db.session.commit()
    return image


def create_comment(image: Image, author: User, body: str = "nice", **fields: Any) -> Comment:
    comment = Comment(image=image, author=author, body=body, **fields)
    image.comment_count += 1
    db.session.add(comment)
    db.session.commit()
    return comment
