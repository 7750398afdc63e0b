"""LocalStorage: files under MEDIA_ROOT (STORAGE_BACKEND = "local")."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _

from gallery.errors import StorageUnavailable
from gallery.media.storage.keys import KEY_PATTERN, VARIANTS, check_key


class LocalStorage:
    """Files under MEDIA_ROOT, served by /media/ in development and nginx in production."""

    stored_variants = VARIANTS

    def __init__(self, root: str | Path, base_url: str = "/media/") -> None:
        self.root = Path(root)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def deadline(self) -> None:
        """Local files have no time budget."""
        return None

    def put(self, key: str, data: bytes, content_type: str, deadline: float | None = None) -> None:
        """Write atomically: a half-written file never appears under its key."""
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise StorageUnavailable(
                _("The image store could not save the file; nothing was saved."),
                code="storage_failed",
            ) from error

    def delete(self, key: str, deadline: float | None = None) -> None:
        """Remove one file; a missing one is already gone, which is fine."""
        path = self.path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise StorageUnavailable(_("The image store could not delete a file.")) from error
        for parent in path.parents:
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def url(self, key: str) -> str:
        return self.base_url + check_key(key)

    def keys(self) -> Iterator[str]:
        """Every stored key (temporary files excluded)."""
        return (key for key, _stored_at in self.entries())

    def entries(self) -> Iterator[tuple[str, float]]:
        """Every stored key with the Unix time it was written."""
        if not self.root.is_dir():
            return
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if KEY_PATTERN.match(key):
                    yield key, path.stat().st_mtime
