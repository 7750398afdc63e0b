"""Whole-response caching for visitors (no session cookie), dropped on every change."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial, wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, make_response, render_template, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Request

from gallery.caching import cache
from gallery.i18n import locale_of

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "X-Gallery-Cache"
#: on a cached answer that is the same for members (visitor_cached(shared=True))
SCOPE_HEADER = "X-Gallery-Cache-Scope"


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


def visitor_cached(ttl: int | None = None, shared: bool = False) -> Callable[[F], F]:
    """Serve GET requests of visitors from the cache (FEED_PAGE_CACHE_SECONDS by default).

    A response is stored only when it is a 200 that did not write to the session
    (so no CSRF token, flash or login state was put on it); members get a freshly
    rendered page, unless the view is `shared`: its answer is the same for every
    viewer (a JSON feed), so members read the visitors' entry too, with private
    caching headers. Without Redis every request is rendered. Fresh hits are
    mostly answered by FastHits before Flask runs; this serves the rest.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            visitor = is_visitor()
            if request.method != "GET" or not (visitor or shared):
                return member_response(view(*args, **kwargs))
            answer = edge_cacheable if visitor else member_response
            if not cache.redis_available():
                return answer(make_response(view(*args, **kwargs)))
            rendered: list[Response] = []
            render = partial(rendered_page, view, args, kwargs, rendered if visitor else None)
            try:
                body, mimetype = cache.remember(
                    page_key(), render, page_seconds(ttl), dump_page, load_page
                )
            except Uncacheable as skipped:
                return skipped.response if visitor else member_response(skipped.response)
            response = rendered[0] if rendered else Response(body, mimetype=mimetype)
            if not visitor:
                return member_response(response)
            response.headers[HEADER] = "miss" if rendered else "hit"
            if shared:
                response.headers[SCOPE_HEADER] = "shared"
            return edge_cacheable(response)

        return wrapped

    return decorator


def page_seconds(ttl: int | None = None) -> int:
    """How long a cached page or block stays fresh: `ttl`, else FEED_PAGE_CACHE_SECONDS."""
    return ttl or int(current_app.config["FEED_PAGE_CACHE_SECONDS"])


def remembered_text(name: str, render: Callable[[], str]) -> str:
    """Rendered text kept under `name`, rendered once per cache generation."""
    return cache.remember(name, render, page_seconds(), str.encode, bytes.decode)


def rendered_page(
    view: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    rendered: list[Response] | None = None,
) -> tuple[bytes, str]:
    """The body and mimetype of a view's answer, to be cached; Uncacheable when it is not
    a 200 or wrote to the session (a CSRF token, a flash, a login)."""
    response = make_response(view(*args, **kwargs))
    if rendered is not None:
        rendered.append(response)
    if response.status_code != 200 or session.modified or response.direct_passthrough:
        raise Uncacheable(response)
    return response.get_data(), response.mimetype


def cached_page(render: Callable[[], str]) -> str:
    """A visitor's rendered page under this request's page key (rendered by `render`
    once per cache generation); the caller fills in what differs per request."""
    if not cache.redis_available():
        return render()

    def checked() -> str:
        page = render()
        if session.modified:  # it holds something of this browser's (a CSRF token)
            raise Uncacheable(make_response(page))
        return page

    try:
        return remembered_text(page_key(), checked)
    except Uncacheable as skipped:
        return skipped.response.get_data(as_text=True)


#: where a member page's shell takes the shared block and the CSRF token (shared_content)
BLOCK_MARK = "\x00block\x00"
TOKEN_MARK = "\x00csrf\x00"


class Shells:
    """The rest of a member's page around its shared block (layout, navbar), rendered
    once per worker for each `viewer` key and kept in memory: the key holds everything
    that part shows (who, their roles, unread count, language, URL), so an entry never
    goes stale, and a full table is simply emptied."""

    MAX = 2048

    def __init__(self) -> None:
        self.pages: dict[tuple[Any, ...], str] = {}

    def get(self, key: tuple[Any, ...], render: Callable[[], str]) -> str:
        shell = self.pages.get(key)
        if shell is None:
            if len(self.pages) >= self.MAX:
                self.pages.clear()
            shell = self.pages[key] = render()
        return shell


def shared_content(
    template: str,
    block: str,
    context: Callable[[], dict[str, Any]],
    viewer: tuple[Any, ...] | None = None,
) -> Any:
    """A member's page whose `block` is the same for every member (the home page's feed):
    that block is rendered once per page key and cache generation and kept in the
    cache; the rest of the page (navbar, CSRF token) is rendered for this member, or,
    given `viewer` (a key of everything that rest shows, see Shells), taken from this
    worker's memory with the member's CSRF token put in.
    The layout shows `shared_html` instead of the block when it is given."""
    if not cache.redis_available():
        return render_template(template, **context())
    environment = current_app.jinja_env

    def render_block() -> str:
        page = environment.get_template(template)
        values = context()
        current_app.update_template_context(values)
        return "".join(page.blocks[block](page.new_context(values)))

    html = remembered_text(cache.key("block", block, page_key()), render_block)
    if viewer is None:
        return render_template(template, shared_html=Markup(html))
    token = generate_csrf()

    def render_shell() -> str:
        page = render_template(template, shared_html=Markup(BLOCK_MARK))
        return page.replace(token, TOKEN_MARK)

    shells: Shells = current_app.extensions["gallery_shells"]
    shell = shells.get((template, block, *viewer), render_shell)
    before, _, after = shell.partition(BLOCK_MARK)
    return before.replace(TOKEN_MARK, token) + html + after.replace(TOKEN_MARK, token)


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
    A member's GET is answered the same way when the answer is shared (the same for
    everyone, visitor_cached(shared=True)), with private caching headers.

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
        #: page keys whose answer is the same for members (learnt from SCOPE_HEADER)
        self.shared: set[str] = set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        config = self.app.config
        incoming = Request(environ)
        visitor = is_visitor_request(incoming, config)
        name = page_key_of(incoming, config)
        if not visitor and name not in self.shared:
            return self.wsgi_app(environ, start_response)
        headers = self.learnt.get(name)
        if headers is not None:
            body = self.fresh_body(name)
            if body is not None:
                if not visitor:  # a shared answer: the same body, for this browser only
                    headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
                    headers.append(("Cache-Control", "private, no-cache"))
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
                    self.shared.clear()
                self.learnt[name] = [(k, v) for k, v in headers if k.lower() not in PER_RESPONSE]
                if SCOPE_HEADER.lower() in names:
                    self.shared.add(name)
            return start_response(status, headers, *rest)

        return start


def init_app(app: Flask) -> None:
    """Put the fast path for cached visitor pages in front of the whole app."""
    app.wsgi_app = FastHits(app)
    app.extensions["gallery_shells"] = Shells()


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
