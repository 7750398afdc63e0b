"""URL safety: only local paths are ever used as redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True for '/path?query' style targets; false for anything with a host or scheme."""
    if not target or not target.startswith("/"):
        return False
    if target.startswith(("//", "/\\")) or "\\" in target:
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a local path, else `fallback`."""
    return target if is_local_path(target) else fallback
