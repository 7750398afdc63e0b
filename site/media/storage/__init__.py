"""Where image files live: the Storage interface and the backend STORAGE_BACKEND names.

- keys.py: the key pattern and the keys of an image's variants
- local.py: LocalStorage, files under MEDIA_ROOT
- qiniu.py: QiniuStorage, Qiniu Kodo through the qiniu SDK

get_storage() builds the configured backend once per app; variant_urls() gives an image's
URLs on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from flask import Flask, current_app

from gallery.media.storage.keys import (
    KEY_PATTERN,
    VARIANTS,
    check_key,
    variant_key,
    variant_keys,
)
from gallery.media.storage.local import LocalStorage
from gallery.media.storage.qiniu import QiniuStorage, hosts_of

__all__ = [
    "KEY_PATTERN",
    "VARIANTS",
    "LocalStorage",
    "QiniuStorage",
    "Storage",
    "build_storage",
    "check_key",
    "get_storage",
    "hosts_of",
    "variant_key",
    "variant_keys",
    "variant_urls",
]


class Storage(Protocol):
    """What the upload pipeline needs from a place to keep files."""

    def put(
        self, key: str, data: bytes, content_type: str, deadline: float | None = None
    ) -> None: ...

    def deadline(self) -> float | None: ...

    def delete(self, key: str, deadline: float | None = None) -> None: ...

    def url(self, key: str) -> str: ...

    def keys(self) -> Iterator[str]: ...


def build_storage(app: Flask) -> Any:
    """The backend named by STORAGE_BACKEND."""
    backend = app.config["STORAGE_BACKEND"]
    if backend == "local":
        return LocalStorage(app.config["MEDIA_ROOT"], app.config["MEDIA_URL"])
    if backend == "qiniu":
        return QiniuStorage.from_config(app.config)
    raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r} (use 'local' or 'qiniu')")


def get_storage() -> Any:
    """The current app's storage backend, built on first use."""
    app = current_app._get_current_object()
    storage = app.extensions.get("gallery_storage")
    if storage is None:
        storage = app.extensions["gallery_storage"] = build_storage(app)
    return storage


def variant_urls(image: Any) -> dict[str, str]:
    """{"thumb", "medium", "original"} URLs of one image on the configured backend."""
    storage = get_storage()
    keys = variant_keys(image)
    if hasattr(storage, "variant_urls"):
        return storage.variant_urls(keys)
    return {variant: storage.url(key) for variant, key in keys.items()}
