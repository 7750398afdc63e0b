"""Whole-response caching for visitors (no session cookie), dropped on every change."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, make_response, request, session

from gallery.caching import cache
from gallery.i18n import select_locale

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "X-Gallery-Cache"


class Uncacheable(Exception):  # noqa: N818 - a signal, not an error
    """Carries a response that must not be stored (not 200, or it touched the session)."""

    def __init__(self, response: Response) -> None:
        super().__init__("uncacheable")
        self.response = response


def is_visitor() -> bool:
    """No session and no remember cookie: the response cannot depend on who asks."""
    config = current_app.config
    names = (
        config["SESSION_COOKIE_NAME"],
        config["REMEMBER_COOKIE_NAME"],
    )
    return not any(name in request.cookies for name in names)


def page_key() -> str:
    """Path, every query parameter (sorted) and the UI language, under the generation."""
    query = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    return cache.key("page", request.path, query, select_locale() or "")


def visitor_cached(ttl: int | None = None) -> Callable[[F], F]:
    """Serve GET requests of visitors from the cache (FEED_PAGE_CACHE_SECONDS by default).

    A response is stored only when it is a 200 that did not write to the session
    (so no CSRF token, flash or login state was put on it); members always get
    a freshly rendered page. Without Redis every request is rendered.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method != "GET" or not is_visitor():
                return member_response(view(*args, **kwargs))
            if not cache.redis_available():
                return edge_cacheable(make_response(view(*args, **kwargs)))
            seconds = ttl or int(current_app.config["FEED_PAGE_CACHE_SECONDS"])
            rendered: list[Response] = []

            def render() -> tuple[bytes, str]:
                response = make_response(view(*args, **kwargs))
                rendered.append(response)
                if response.status_code != 200 or session.modified or response.direct_passthrough:
                    raise Uncacheable(response)
                return response.get_data(), response.mimetype

            try:
                body, mimetype = cache.remember(page_key(), render, seconds)
            except Uncacheable as skipped:
                return skipped.response
            response = rendered[0] if rendered else Response(body, mimetype=mimetype)
            response.headers[HEADER] = "miss" if rendered else "hit"
            return edge_cacheable(response)

        return wrapped

    return decorator


def edge_cacheable(response: Response) -> Response:
    """A visitor's 200 may be kept by nginx or a CDN for EDGE_MAX_AGE seconds (the bound
    within which a hide reaches every visitor), and served stale while the app fails."""
    response.vary.update(("Cookie", "Accept-Language"))
    if response.status_code != 200 or session.modified:
        return response
    config = current_app.config
    control = response.cache_control
    control.public = True
    control.max_age = 0  # browsers ask again; shared caches use s-maxage
    control.s_maxage = int(config["EDGE_MAX_AGE"])
    response.headers["Cache-Control"] = (
        f"{response.headers['Cache-Control']}, "
        f"stale-while-revalidate={int(config['EDGE_STALE_WHILE_REVALIDATE'])}, "
        f"stale-if-error={int(config['EDGE_STALE_IF_ERROR'])}"
    )
    return response


def member_response(result: Any) -> Response:
    """A member's answer depends on who asks: browsers may keep it, shared caches never."""
    response = make_response(result)
    response.vary.update(("Cookie", "Accept-Language"))
    if "Cache-Control" not in response.headers:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response


WARM_PATHS = ("/api/hot", "/api/picks", "/api/images", "/", "/hot", "/picks")


def warm_caches(paths: tuple[str, ...] = WARM_PATHS) -> list[str]:
    """Request the busiest visitor URLs once so their caches are filled (flask cache warm).

    Choose today's automatic picks before (`flask picks auto`): choosing them drops the caches.
    """
    client = current_app.test_client()
    lines = []
    for path in paths:
        if current_app.url_map.bind("localhost").test(path, "GET"):
            response = client.get(path)
            lines.append(f"{path}: {response.status_code} {response.headers.get(HEADER, '-')}")
    return lines
