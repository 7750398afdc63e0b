"""Security headers on every response, and Cache-Control that a shared cache can act on.

The policy lives here once: a Content-Security-Policy without 'unsafe-inline' (inline
scripts of the admin panel carry a per-request nonce; styles come from files or are
set through the CSSOM by site/static/js/layout.js), framing refused, no sniffing, a
strict referrer, no powerful browser features, and HSTS when HSTS_SECONDS is set.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def csp_nonce() -> str:
    """This request's script nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    """The policy for pages and JSON: our own files, images from the media host too."""
    images = ["'self'", "data:", "blob:"]
    media_domain = current_app.config["QINIU_DOMAIN"] or ""
    if current_app.config["STORAGE_BACKEND"] == "qiniu" and media_domain:
        parts = urlsplit(media_domain)
        images.append(f"{parts.scheme}://{parts.netloc}" if parts.netloc else media_domain)
    scripts = ["'self'"]
    if "csp_nonce" in g:  # a template used it (the admin panel's inline scripts)
        scripts.append(f"'nonce-{g.csp_nonce}'")
    return "; ".join(
        (
            "default-src 'self'",
            f"img-src {' '.join(images)}",
            f"script-src {' '.join(scripts)}",
            "style-src 'self'",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def add_security_headers(response: Response) -> Response:
    """Set every header a route has not set itself (/media and /go keep their own)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    seconds = int(current_app.config["HSTS_SECONDS"] or 0)
    if seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return response


def account_cache_control(response: Response) -> Response:
    """Account pages (login, register, reset…) are never stored by any cache.

    Flask-Security's own hook wrote `private=True, no-store=True`, which no cache
    understands; config/default.py turns it off (SECURITY_CACHE_CONTROL = {}).
    """
    if request.blueprint == "security":
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    """Register the after-request hooks and the template global `csp_nonce`."""
    app.after_request(account_cache_control)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
