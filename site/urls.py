"""URL safety: local paths as redirect targets after login; shop links as absolute http(s)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask_babel import lazy_gettext as _l

from gallery.errors import BadRequest

SHOP_URL_MAX = 2048
BAD_SHOP_URL = _l("The shop link must be a full http:// or https:// address.")


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


def is_shop_url(value: str) -> bool:
    """An absolute http(s) link with a host, no spaces or control characters, at most 2048."""
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and len(value) <= SHOP_URL_MAX
        and not any(ord(ch) < 33 for ch in value)
    )


def clean_shop_url(value: str | None) -> str | None:
    """A shop link as stored: trimmed, None when empty; anything but is_shop_url is a 400."""
    value = (value or "").strip()
    if not value:
        return None
    if not is_shop_url(value):
        raise BadRequest(BAD_SHOP_URL, code="bad_shop_url")
    return value
