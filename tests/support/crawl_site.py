"""A small website for the crawler tests, served on 127.0.0.1 from a thread, with a request log."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image as PILImage

MAX_IMAGE_BYTES = 60_000
MIN_SIZE = 64
SLOW_SECONDS = 30  # /slow.html answers this late (at once when the site closes)
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"


def picture(
    colour: tuple[int, int, int],
    fmt: str = "JPEG",
    size: tuple[int, int] = (160, 120),
    stripe: int = 0,
) -> bytes:
    """A small image of one colour with a stripe, so that each one has its own content."""
    image = PILImage.new("RGB", size, colour)
    for x in range(stripe * 7 % size[0], size[0], 23):
        for y in range(size[1]):
            image.putpixel((x, y), (255 - colour[0], 255 - colour[1], 255 - colour[2]))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def noise(size: int) -> bytes:
    """An incompressible PNG, far larger than MAX_IMAGE_BYTES."""
    rng = random.Random(7)
    pixels = rng.randbytes(size * size * 3)
    image = PILImage.frombytes("RGB", (size, size), pixels)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def page(title: str, body: str, head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    ).encode()


def build_site() -> dict[str, tuple[int, str, bytes]]:
    """path → (status, content type, body); redirects carry the Location as body."""
    red = picture((200, 30, 30), stripe=1)
    files: dict[str, tuple[int, str, bytes]] = {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/img/red.jpg": (200, "image/jpeg", red),
        "/img/red-small.jpg": (200, "image/jpeg", picture((200, 30, 30), size=(80, 60))),
        "/img/red-copy.jpg": (200, "image/jpeg", red),
        "/img/blue.webp": (200, "image/webp", picture((30, 30, 200), "WEBP", stripe=2)),
        "/img/blue.jpg": (200, "image/jpeg", picture((30, 30, 210), stripe=2)),
        "/img/green.png": (200, "image/png", picture((30, 180, 30), "PNG", stripe=3)),
        "/img/og.jpg": (200, "image/jpeg", picture((220, 200, 40), stripe=4)),
        "/img/dup.jpg": (200, "image/jpeg", picture((120, 40, 160), stripe=5)),
        "/img/micro.jpg": (200, "image/jpeg", picture((40, 160, 160), stripe=6)),
        "/img/lazy.jpg": (200, "image/jpeg", picture((90, 20, 60), stripe=10)),
        "/img/tiny.png": (200, "image/png", picture((90, 90, 90), "PNG", size=(16, 16))),
        "/img/huge.png": (200, "image/png", noise(300)),
        "/img/full.jpg": (200, "image/jpeg", picture((160, 100, 40), size=(240, 180), stripe=9)),
        "/img/thumb.jpg": (200, "image/jpeg", picture((160, 100, 40), size=(80, 60))),
        "/img/lan-ok.jpg": (200, "image/jpeg", picture((10, 100, 200), stripe=8)),
        "/files/notes.jpg": (200, "image/jpeg", page("notes", "<p>not an image at all</p>")),
        "/private/secret.jpg": (200, "image/jpeg", picture((1, 2, 3))),
        "/private/page.html": (200, "text/html", page("secret", "<img src='/private/p2.jpg'>")),
        "/go/metadata.jpg": (302, "", b"http://169.254.169.254/latest/meta-data/photo.jpg"),
        "/go/lan.jpg": (302, "", b"http://10.0.0.1/photo.jpg"),
    }
    files["/index.html"] = (
        200,
        "text/html",
        page(
            "Start",
            f"""
      <img src="/img/red-small.jpg" srcset="/img/red-small.jpg 80w, /img/red.jpg 160w"
           alt="A red square">
      <picture>
        <source srcset="/img/blue.webp" type="image/webp">
        <img src="/img/blue.jpg" alt="Blue stripes">
      </picture>
      <figure>
        <img src="/img/green.png" title="Green field">
        <figcaption><span class="credit">Photo: Jane Doe</span>
          <a rel="license" href="{CC_BY_SA}">CC BY-SA 4.0</a></figcaption>
      </figure>
      <img src="/img/tiny.png" alt="an icon">
      <img src="/private/secret.jpg" alt="secret">
      <a href="/files/notes.jpg">my notes</a>
      <a href="/private/page.html">private page</a>
      <a href="/page2.html" rel="next">next</a>
    """,
            head=f"""<meta property="og:image" content="/img/og.jpg">
      <meta property="og:image:alt" content="Yellow for sharing">
      <link rel="license" href="{CC_BY}">""",
        ),
    )
    files["/page2.html"] = (
        200,
        "text/html",
        page(
            "Two",
            """
      <img src="/img/dup.jpg" alt="Shared picture">
      <img src="/img/red-copy.jpg" alt="Copy of red">
      <img src="/img/huge.png" alt="Too big">
      <img src="/stream/huge.jpg" alt="Too big, streamed">
      <img src="/go/metadata.jpg" alt="Redirect to the metadata service">
      <a href="/index.html">back</a> <a href="/page3.html" rel="next">next</a>
    """,
            head=f"""<script type="application/ld+json">
      {{"@context": "https://schema.org", "@type": "ImageObject", "contentUrl": "/img/dup.jpg",
        "license": "{CC0}", "creator": {{"@type": "Person", "name": "Linked Data Person"}}}}
    </script>""",
        ),
    )
    files["/page3.html"] = (
        200,
        "text/html",
        page(
            "Three",
            f"""
      <img src="/img/dup.jpg" alt="Shared picture again">
      <div itemscope itemtype="https://schema.org/ImageObject">
        <img itemprop="contentUrl" src="/img/micro.jpg" alt="Teal microdata">
        <span itemprop="creator" itemscope itemtype="https://schema.org/Person">
          <span itemprop="name">Micro Maker</span></span>
        <link itemprop="license" href="{CC0}">
      </div>
      <a href="/img/full.jpg">
        <img src="/img/thumb.jpg" alt="Full size, linked from its thumbnail"></a>
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.jpg" alt="Lazy">
      <img src="/img/missing.jpg" alt="gone">
      <a href="/missing.html">gone</a>
      <a href="http://example.invalid/elsewhere.html">elsewhere</a>
      <a href="/page2.html">back</a>
    """,
        ),
    )
    files["/slow.html"] = (200, "text/html", page("Slow", "<img src='/img/og.jpg'>"))
    files["/lan.html"] = (
        200,
        "text/html",
        page(
            "LAN",
            """
      <img src="/img/lan-ok.jpg" alt="Fine"> <img src="/go/lan.jpg" alt="To the LAN">
    """,
        ),
    )
    return files


@dataclass
class Site:
    """The running server: its base URL and every request path it received, in order."""

    base: str
    requests: list[str] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    stream_aborted: threading.Event = field(default_factory=threading.Event)
    closing: threading.Event = field(default_factory=threading.Event)

    def requested(self, prefix: str) -> list[str]:
        return [path for path in self.requests if path.startswith(prefix)]


@contextmanager
def serve_site() -> Iterator[Site]:
    """Serve build_site() on a free port of 127.0.0.1 until the block ends."""
    files = build_site()
    site = Site(base="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802
            site.requests.append(self.path)
            site.agents.add(self.headers.get("User-Agent", ""))
            if self.path == "/stream/huge.jpg":
                return self.stream()
            if self.path == "/slow.html":  # answers late, or not at all once the site closes
                if site.closing.wait(SLOW_SECONDS):
                    return
            status, kind, body = files.get(self.path, (404, "text/html", page("404", "gone")))
            self.send_response(status)
            if status == 302:
                self.send_header("Location", body.decode())
                body = b""
            else:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def stream(self) -> None:
            """A large body without Content-Length: only the running count can stop it."""
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            try:
                for _ in range(200):  # 200 × 16 KiB = 3.2 MB, far over the limit
                    self.wfile.write(b"\xff" * 16384)
                    self.wfile.flush()
                    time.sleep(0.01)
            except OSError:
                site.stream_aborted.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.closing.set()
        server.shutdown()
        server.server_close()
