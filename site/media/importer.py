"""Bulk import of a folder tree (one sub-folder per user) through the upload pipeline."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_security import hash_password

from gallery.errors import GalleryError
from gallery.extensions import db, security
from gallery.media.runs import Tally, ingest_counted, progress_stream, recorded_run, summary
from gallery.models import PENDING, VISIBLE, User, utcnow
from gallery.urls import is_shop_url

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
SIDECAR_FIELDS = ("caption", "shop_title", "shop_url", "licence", "credit", "source_url")
IMPORT_LABELS = ("files", "stored", "duplicates", "rejected", "ignored")


@dataclass
class ImportResult:
    """What one import did; `rejected` maps a relative path to the reason."""

    files: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)
    run_id: int | None = None


class SidecarError(ValueError):
    """A sidecar JSON file that cannot be used."""


def ensure_account(username: str, password: str | None = None) -> tuple[User, bool]:
    """Find a user by name, or create a confirmed member with a random (or given) password."""
    datastore = security.datastore
    user = datastore.find_user(case_insensitive=True, username=username)
    if user is not None:
        return user, False
    problem, normalized = security.username_util.validate(username)
    if problem or not normalized:
        raise GalleryError(
            _(
                "'%(username)s' cannot be a username: %(problem)s",
                username=username,
                problem=problem or _("empty"),
            )
        )
    domain = current_app.config["IMPORT_USER_EMAIL_DOMAIN"]
    user = datastore.create_user(
        username=normalized,
        email=f"{normalized.lower()}@{domain}",
        password=hash_password(password or secrets.token_urlsafe(24)),
        confirmed_at=utcnow(),
    )
    datastore.add_role_to_user(user, "member")
    db.session.flush()
    return user, True


def read_sidecar(image_path: Path) -> dict[str, Any]:
    """The known fields of <stem>.json next to the image ({} when there is none)."""
    sidecar = image_path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SidecarError(f"{sidecar.name} is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise SidecarError(f"{sidecar.name} must hold a JSON object")
    fields = {}
    for name in SIDECAR_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise SidecarError(f"{sidecar.name}: '{name}' must be a string")
        fields[name] = value.strip()
    shop_url = fields.get("shop_url")
    if shop_url and not is_shop_url(shop_url):
        raise SidecarError(f"{sidecar.name}: shop_url must be an http(s) address")
    return fields


def walk_tree(root: Path) -> Iterator[tuple[str, list[Path], int]]:
    """(username, image files, ignored file count) per sub-folder, in name order."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images: list[Path] = []
        ignored = 0
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if hidden or not path.is_file():
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES:
                images.append(path)
            elif path.suffix.lower() != ".json" or not any(
                path.with_suffix(s).is_file() for s in IMAGE_SUFFIXES
            ):
                ignored += 1
        yield folder.name, images, ignored


def import_tree(
    root: Path,
    *,
    source: str = "import",
    publish: bool = True,
    echo: Callable[[str], None] = print,
    user_password: str | None = None,
    progress: bool = True,
    listener: Callable[[Tally], None] | None = None,
) -> ImportResult:
    """Import root/<username>/<image> (+ <stem>.json sidecars); known content is skipped."""
    root = Path(root)
    if not root.is_dir():
        raise GalleryError(_("%(root)s is not a folder", root=root))
    tally = Tally(
        labels=IMPORT_LABELS, stream=progress_stream() if progress else None, listener=listener
    )
    result = ImportResult()
    args = {"root": str(root), "source": source, "publish": publish}
    with recorded_run(source if source in ("seed", "import") else "import", args, tally) as run:
        result.run_id = run.id
        for username, images, ignored in walk_tree(root):
            tally.add("ignored", ignored)
            tally.add("files", len(images))
            try:
                user, created = ensure_account(username, user_password)
                db.session.commit()
            except GalleryError as error:
                db.session.rollback()
                for path in images:
                    tally.rejected(_relative(path, root), error.message)
                continue
            if created:
                result.users_created.append(user.username)
            for path in images:
                import_file(user, path, root, tally, source=source, publish=publish)
        tally.close()
    result.files = tally.counts["files"]
    result.stored = tally.counts["stored"]
    result.duplicates = tally.counts["duplicates"]
    result.ignored = tally.counts["ignored"]
    result.rejected = {i["what"]: i["reason"] for i in tally.items if i["outcome"] == "rejected"}
    if result.users_created:
        how = "the given password" if user_password else "random passwords"
        echo(f"users created ({how}): {', '.join(result.users_created)}")
    for what, reason in result.rejected.items():
        echo(f"  rejected {what}: {reason}")
    echo(summary(source, tally))
    return result


def import_file(
    user: User, path: Path, root: Path, tally: Tally, *, source: str, publish: bool
) -> None:
    """Ingest one file with its sidecar and commit it, or record why not."""
    name = _relative(path, root)
    try:
        fields = read_sidecar(path)
        data = path.read_bytes()
    except (SidecarError, OSError) as error:
        tally.rejected(name, str(error))
        return
    ingest_counted(
        tally,
        name,
        user,
        data,
        caption=fields.get("caption", ""),
        shop_url=fields.get("shop_url"),
        shop_title=fields.get("shop_title"),
        licence=fields.get("licence"),
        credit=fields.get("credit"),
        source_url=fields.get("source_url"),
        source=source,
        status=VISIBLE if publish else PENDING,
        dedupe_scope="user",
    )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
