"""Whole-response caching for visitors (no session cookie), dropped on every change."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, make_response, request, session
from werkzeug.wrappers import Request

from gallery.caching import cache
from gallery.i18n import locale_of

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "X-Gallery-Cache"


class Uncacheable(Exception):  # noqa: N818 - a signal, not an error
    """Carries a response that must not be stored (not 200, or it touched the session)."""

    def __init__(self, response: Response) -> None:
        super().__init__("uncacheable")
        self.response = response


def is_visitor() -> bool:
    """No session and no remember cookie: the response cannot depend on who asks."""
    return is_visitor_request(request, current_app.config)


def is_visitor_request(incoming: Request, config: Mapping[str, Any]) -> bool:
    names = (
        config["SESSION_COOKIE_NAME"],
        config["REMEMBER_COOKIE_NAME"],
    )
    return not any(name in incoming.cookies for name in names)


def page_key() -> str:
    """Path, every query parameter (sorted) and the UI language, under the generation."""
    return page_key_of(request, current_app.config)


def page_key_of(incoming: Request, config: Mapping[str, Any]) -> str:
    """page_key() for any request object (the fast path runs before Flask)."""
    query = "&".join(f"{k}={v}" for k, v in sorted(incoming.args.items(multi=True)))
    return cache.key("page", incoming.path, query, locale_of(incoming, config))


def dump_page(page: tuple[bytes, str]) -> bytes:
    """A cached page as stored: its mimetype, a newline, its body (bytes, no pickle)."""
    body, mimetype = page
    return mimetype.encode() + b"\n" + body


def load_page(raw: bytes) -> tuple[bytes, str]:
    mimetype, _, body = raw.partition(b"\n")
    return body, mimetype.decode()


def visitor_cached(ttl: int | None = None) -> Callable[[F], F]:
    """Serve GET requests of visitors from the cache (FEED_PAGE_CACHE_SECONDS by default).

    A response is stored only when it is a 200 that did not write to the session
    (so no CSRF token, flash or login state was put on it); members always get
    a freshly rendered page. Without Redis every request is rendered. Fresh hits
    are mostly answered by FastHits before Flask runs; this serves the rest.
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
                body, mimetype = cache.remember(page_key(), render, seconds, dump_page, load_page)
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


# Headers a replayed hit must not copy from the answer it learnt them from.
PER_RESPONSE = {"content-length", "content-type", "date", "set-cookie", HEADER.lower()}


class FastHits:
    """WSGI middleware: a visitor's GET whose cached page is fresh is answered from
    one Redis MGET before Flask runs: no session, user load, limiter or locale hooks.

    It replays the headers of the last full answer this worker gave for the same
    page key (after every after_request hook), so a hit looks exactly like a hit
    served by Flask; until it has seen one, or when the entry is stale, missing or
    Redis is unwell, the request goes to Flask as before (single flight, breaker).
    """

    MAX_KEYS = 4096

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.learnt: dict[str, list[tuple[str, str]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        config = self.app.config
        incoming = Request(environ)
        if not is_visitor_request(incoming, config):
            return self.wsgi_app(environ, start_response)
        name = page_key_of(incoming, config)
        headers = self.learnt.get(name)
        if headers is not None:
            body = self.fresh_body(name)
            if body is not None:
                payload, mimetype = body
                start_response(
                    "200 OK",
                    [
                        *headers,
                        ("Content-Type", mimetype),
                        ("Content-Length", str(len(payload))),
                        (HEADER, "hit"),
                    ],
                )
                return [payload]
        return self.wsgi_app(environ, self.learning(name, start_response))

    def fresh_body(self, name: str) -> tuple[bytes, str] | None:
        """The cached page when it is current and fresh; None sends the request to Flask."""
        state = self.app.extensions["gallery_breaker"]
        if not state.allows() or state.outage:
            return None
        try:
            _, entry = cache.read_raw(
                self.app.extensions["gallery_redis"], name, self.app.config["CACHE_KEY_PREFIX"]
            )
        except cache.REDIS_ERRORS:
            return None  # Flask's path records the failure in the breaker
        if entry is None or time.time() >= entry[1]:
            return None
        body, mimetype = load_page(entry[2])
        return body, self._content_type(mimetype)

    @staticmethod
    def _content_type(mimetype: str) -> str:
        return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype

    def learning(self, name: str, start_response: Callable[..., Any]) -> Callable[..., Any]:
        """start_response that remembers the headers of a cacheable 200 for `name`."""

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            names = {key.lower() for key, _ in headers}
            if status.startswith("200") and HEADER.lower() in names and "set-cookie" not in names:
                if len(self.learnt) >= self.MAX_KEYS:
                    self.learnt.clear()
                self.learnt[name] = [(k, v) for k, v in headers if k.lower() not in PER_RESPONSE]
            return start_response(status, headers, *rest)

        return start


def init_app(app: Flask) -> None:
    """Put the fast path for cached visitor pages in front of the whole app."""
    app.wsgi_app = FastHits(app)  # type: ignore[method-assign]


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
