"""URL safety: only local paths are ever used as redirect targets."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def is_local_path(target: str | None) -> bool:
    """True for '/path?query' style targets; false for anything with a host or scheme.

    Percent-encoded forms are checked too ('/%5Cevil.com' is '/\\evil.com' to some
    browsers and proxies), decoding until nothing changes.
    """
    if not target:
        return False
    variants = [target]
    while len(variants) < 4 and unquote(variants[-1]) != variants[-1]:
        variants.append(unquote(variants[-1]))
    return all(_is_plain_local_path(variant) for variant in variants)


def _is_plain_local_path(target: str) -> bool:
    if not target.startswith("/"):
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
