"""A small local Qiniu Kodo emulator for the tests: the real qiniu SDK talks to it.

One threaded HTTP server plays every host: the up host (form upload, checking
the upload token's HMAC-SHA1 signature and deadline), the rs/rsf hosts
(stat, delete, list, checking the QBox or Qiniu management signature), and
the CDN domain (GET serves stored objects, with imageView2 resizing).

Switches: `clock_offset` (seconds added to the emulator's clock, so tokens
look expired), `fail_next(n, status)` (the next n uploads answer 5xx),
`fail_uploads_after(n)` (uploads after the n-th fail), `black_hole` (requests
are accepted and never answered). Deleting a missing key answers 612.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCESS_KEY = "emulator-access-key"
SECRET_KEY = "emulator-secret-key"
BUCKET = "gallery-test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def sign(secret: str, data: bytes) -> str:
    return b64(hmac.new(secret.encode(), data, hashlib.sha1).digest())


@dataclass
class Stored:
    data: bytes
    mime: str
    put_time: float


class KodoEmulator:
    """State and switches; `url` is the base of every host."""

    def __init__(
        self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, bucket: str = BUCKET
    ) -> None:
        self.access_key, self.secret_key, self.bucket = access_key, secret_key, bucket
        self.objects: dict[str, Stored] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.clock_offset = 0.0
        self.black_hole = False
        self.list_page_size = 1000
        self._fail_next: list[int] = []
        self._uploads_left: int | None = None
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- switches ------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._fail_next.extend([status] * count)

    def fail_uploads_after(self, count: int | None) -> None:
        self._uploads_left = count

    def uploads(self) -> int:
        return sum(1 for method, path, _ in self.requests if method == "POST" and path == "/")

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> KodoEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def now(self) -> float:
        return time.time() + self.clock_offset

    # --- checks --------------------------------------------------------------------------------

    def check_upload_token(self, token: str, key: str) -> str | None:
        """None when the token is valid for this key; else the error text."""
        try:
            access_key, signature, encoded = token.split(":")
            policy = json.loads(base64.urlsafe_b64decode(encoded))
        except (ValueError, json.JSONDecodeError):
            return "invalid upload token"
        if access_key != self.access_key:
            return "bad token: unknown access key"
        if not hmac.compare_digest(signature, sign(self.secret_key, encoded.encode())):
            return "bad token: signature mismatch"
        if int(policy.get("deadline", 0)) < self.now():
            return "expired token"
        scope = str(policy.get("scope", ""))
        bucket, _, scoped_key = scope.partition(":")
        if bucket != self.bucket or (scoped_key and scoped_key != key):
            return "bad token: scope does not match"
        return None

    def check_management(self, handler: BaseHTTPRequestHandler, body: bytes) -> str | None:
        """Verify a QBox or Qiniu management signature; None when it is right."""
        header = handler.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        access_key, _, signature = credentials.partition(":")
        if access_key != self.access_key:
            return "bad token: unknown access key"
        content_type = handler.headers.get("Content-Type")
        if scheme == "QBox":
            data = handler.path.encode() + b"\n"
            if content_type == "application/x-www-form-urlencoded":
                data += body
        elif scheme == "Qiniu":
            lines = [f"{handler.command} {handler.path}", f"Host: {handler.headers['Host']}"]
            if content_type:
                lines.append(f"Content-Type: {content_type}")
            qiniu_headers = sorted(
                (k.title(), v)
                for k, v in handler.headers.items()
                if k.lower().startswith("x-qiniu-") and len(k) > len("x-qiniu-")
            )
            lines += [f"{k}: {v}" for k, v in qiniu_headers]
            data = ("\n".join(lines) + "\n\n").encode()
            if content_type and content_type != "application/octet-stream" and body:
                data += body
            stamp = handler.headers.get("X-Qiniu-Date")
            if stamp:
                signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
                if abs(signed_at - self.now()) > 15 * 60:
                    return "request date out of range"
        else:
            return "bad token: no authorization"
        if not hmac.compare_digest(signature, sign(self.secret_key, data)):
            return "bad token: signature mismatch"
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(_Handler):
            kodo = emulator

        return Handler


class _Handler(BaseHTTPRequestHandler):
    kodo: KodoEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, body: Any = None, mime: str = "application/json") -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.kodo.requests.append((self.command, urlsplit(self.path).path, status))
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Reqid", uuid.uuid4().hex)
        self.end_headers()
        self.wfile.write(payload)

    def _swallowed(self) -> bool:
        """Black hole: keep the connection open without a word until the test ends."""
        if not self.kodo.black_hole:
            return False
        self.kodo.requests.append((self.command, urlsplit(self.path).path, 0))
        self.kodo._release.wait(60)
        self.close_connection = True
        return True

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if self._swallowed():
            return
        path = urlsplit(self.path).path
        if path == "/":
            self._upload(body)
        elif path.startswith(("/stat/", "/delete/")):
            self._manage(path, body)
        else:
            self._answer(404, {"error": "no such api"})

    def do_GET(self) -> None:  # noqa: N802
        if self._swallowed():
            return
        parts = urlsplit(self.path)
        if parts.path == "/list":
            self._list(parts.query)
        else:
            self._serve(parts.path.lstrip("/"), parts.query)

    def _upload(self, body: bytes) -> None:
        kodo = self.kodo
        with kodo._lock:
            failing = kodo._fail_next.pop(0) if kodo._fail_next else None
        if failing:
            return self._answer(failing, {"error": "service unavailable"})
        if kodo._uploads_left is not None:
            if kodo._uploads_left <= 0:
                return self._answer(503, {"error": "service unavailable"})
            kodo._uploads_left -= 1
        fields = parse_multipart(self.headers["Content-Type"], body)
        key = fields.get("key", (b"", ""))[0].decode()
        token = fields.get("token", (b"", ""))[0].decode()
        error = kodo.check_upload_token(token, key)
        if error:
            return self._answer(401, {"error": error})
        data, mime = fields.get("file", (b"", ""))
        if "crc32" in fields and int(fields["crc32"][0]) != zlib.crc32(data):
            return self._answer(406, {"error": "crc32 not match"})
        kodo.objects[key] = Stored(data, mime or "application/octet-stream", kodo.now())
        self._answer(200, {"hash": hashlib.sha1(data).hexdigest(), "key": key})

    def _manage(self, path: str, body: bytes) -> None:
        error = self.kodo.check_management(self, body)
        if error:
            return self._answer(401, {"error": error})
        action, encoded = path.strip("/").split("/", 1)
        bucket, _, key = base64.urlsafe_b64decode(encoded + "===").decode().partition(":")
        stored = self.kodo.objects.get(key) if bucket == self.kodo.bucket else None
        if stored is None:
            return self._answer(612, {"error": "no such file or directory"})
        if action == "delete":
            del self.kodo.objects[key]
            return self._answer(200, {})
        self._answer(
            200,
            {
                "fsize": len(stored.data),
                "hash": hashlib.sha1(stored.data).hexdigest(),
                "mimeType": stored.mime,
                "putTime": int(stored.put_time * 1e7),
            },
        )

    def _list(self, query: str) -> None:
        error = self.kodo.check_management(self, b"")
        if error:
            return self._answer(401, {"error": error})
        args = {k: v[0] for k, v in parse_qs(query).items()}
        keys = sorted(k for k in self.kodo.objects if k.startswith(args.get("prefix", "")))
        marker = args.get("marker", "")
        keys = [k for k in keys if k > marker] if marker else keys
        size = min(int(args.get("limit", 1000)), self.kodo.list_page_size)
        page, rest = keys[:size], keys[size:]
        items = [
            {
                "key": k,
                "fsize": len(self.kodo.objects[k].data),
                "mimeType": self.kodo.objects[k].mime,
                "putTime": int(self.kodo.objects[k].put_time * 1e7),
            }
            for k in page
        ]
        self._answer(200, {"items": items, "marker": page[-1] if rest else ""})

    def _serve(self, key: str, query: str) -> None:
        stored = self.kodo.objects.get(key)
        if stored is None:
            return self._answer(404, {"error": "not found"})
        data = stored.data
        if query.startswith("imageView2/"):
            data = image_view2(data, query)
        self._answer(200, data, stored.mime)


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str]]:
    """Form fields by name: (value bytes, content type of the part)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    assert isinstance(message, EmailMessage)  # the HTTP policy's message class
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_payload(decode=True) or b"", part.get_content_type())
    return fields


def image_view2(data: bytes, query: str) -> bytes:
    """imageView2/2/w/<w>/h/<h>[/q/<q>]: fit inside w×h, as Qiniu's CDN would."""
    from PIL import Image

    parts = query.split("/")
    options = dict(zip(parts[2::2], parts[3::2], strict=False))
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format
        image.thumbnail((int(options.get("w", 10_000)), int(options.get("h", 10_000))))
        out = io.BytesIO()
        image.save(out, fmt)
    return out.getvalue()


def use_qiniu(app: Any, kodo: KodoEmulator, **extra: Any) -> Any:
    """Point the app's storage at the emulator (QiniuStorage with short timeouts)."""
    app.config.update(
        {
            "STORAGE_BACKEND": "qiniu",
            "QINIU_ACCESS_KEY": ACCESS_KEY,
            "QINIU_SECRET_KEY": SECRET_KEY,
            "QINIU_BUCKET": BUCKET,
            "QINIU_DOMAIN": kodo.url,
            "QINIU_UP_HOST": kodo.url,
            "QINIU_RS_HOST": kodo.url,
            "QINIU_TIMEOUT": (1, 2),
            **extra,
        }
    )
    app.extensions.pop("gallery_storage", None)  # the next get_storage() builds it anew
    return app
