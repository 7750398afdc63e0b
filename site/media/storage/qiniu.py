"""QiniuStorage: Qiniu Kodo through the qiniu SDK (STORAGE_BACKEND = "qiniu")."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import qiniu
from flask_babel import gettext as _
from qiniu.http.endpoint import Endpoint
from qiniu.http.region import Region, ServiceName
from qiniu.services.storage.uploaders import FormUploader
from urllib3.util.retry import Retry

from gallery.errors import StorageUnavailable
from gallery.media.imaging import VARIANT_BOUNDS
from gallery.media.storage.keys import KEY_PATTERN, VARIANTS, check_key

log = logging.getLogger(__name__)


class QiniuStorage:
    """Qiniu Kodo through the qiniu SDK, served from the bucket's CDN domain.

    A fresh upload token per put (never one made at start-up), `info.ok()`
    checked on every call, short timeouts, and a time budget: every attempt
    goes to one host only (the SDK would try each host of the region in turn
    inside one call, one read timeout each), a retry goes to the next host, and
    no attempt starts unless its worst case (connect + read timeout) still fits
    in the budget, which covers all the variants of one upload together. A
    host that failed is not asked first again. With image processing on, only
    the original is stored and the CDN makes the thumb and medium on the fly
    (imageView2 URLs).
    """

    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        bucket: str,
        domain: str,
        up_host: str | list[str] | None = None,
        rs_host: str | None = None,
        rsf_host: str | None = None,
        image_processing: bool = False,
        timeout: tuple[float, float] = (1.5, 3),
        retries: int = 1,
        budget: float = 9.0,
        token_seconds: int = 600,
    ) -> None:
        self.auth = qiniu.Auth(access_key, secret_key)
        self.bucket = bucket
        self.domain = domain.rstrip("/")
        self.image_processing = image_processing
        self.stored_variants = ("original",) if image_processing else VARIANTS
        self.timeout = tuple(timeout)
        self.retries = retries
        self.budget = budget
        self.token_seconds = token_seconds
        self.up_hosts = hosts_of(up_host)
        first = self.up_hosts[0] if self.up_hosts else None
        named = first or rs_host or ""  # the scheme of a configured host, else https
        self.scheme = named.split("://", 1)[0] if "://" in named else "https"
        self.regions = self._regions(first, rs_host, rsf_host)
        self._up_endpoints: list[Any] | None = None
        self._next_up = 0  # the upload host to ask first: not one that just failed
        # The SDK keeps these process-wide. Retry(0): requests must not retry
        # connections on its own (set_default ignores a plain 0).
        qiniu.config.set_default(
            connection_timeout=self.timeout, connection_retries=Retry(total=0, read=False)
        )
        self.manager = qiniu.BucketManager(
            self.auth, regions=self.regions, preferred_scheme=self.scheme
        )

    @classmethod
    def from_config(cls, config: Any) -> QiniuStorage:
        missing = [
            n
            for n in ("QINIU_ACCESS_KEY", "QINIU_SECRET_KEY", "QINIU_BUCKET", "QINIU_DOMAIN")
            if not config[n]
        ]
        if missing:
            raise RuntimeError("STORAGE_BACKEND='qiniu' needs " + ", ".join(missing))
        return cls(
            access_key=config["QINIU_ACCESS_KEY"],
            secret_key=config["QINIU_SECRET_KEY"],
            bucket=config["QINIU_BUCKET"],
            domain=config["QINIU_DOMAIN"],
            up_host=config["QINIU_UP_HOST"],
            rs_host=config["QINIU_RS_HOST"],
            rsf_host=config["QINIU_RSF_HOST"],
            image_processing=bool(config["QINIU_IMAGE_PROCESSING"]),
            timeout=tuple(config["QINIU_TIMEOUT"]),
            retries=int(config["QINIU_RETRIES"]),
            budget=float(config["QINIU_BUDGET_SECONDS"]),
            token_seconds=int(config["QINIU_TOKEN_SECONDS"]),
        )

    @staticmethod
    def _regions(up: str | None, rs: str | None, rsf: str | None) -> list[Any] | None:
        """Fixed hosts when configured; otherwise the SDK looks the bucket's region up."""
        if not (up or rs or rsf):
            return None
        services = {}
        wanted = ((ServiceName.UP, up), (ServiceName.RS, rs), (ServiceName.RSF, rsf or rs))
        for name, host in wanted:
            if host:
                services[name] = [Endpoint.from_host(host)]
        return [Region(services=services)]

    def up_endpoints(self) -> list[Any]:
        """The upload hosts: the configured ones, else those of the bucket's region (the
        SDK's own look-up, cached by the SDK)."""
        if self._up_endpoints is None:
            if self.up_hosts:
                endpoints = [Endpoint.from_host(host) for host in self.up_hosts]
            else:
                finder = FormUploader(self.bucket, auth=self.auth, preferred_scheme=self.scheme)
                # the SDK's region provider (protected, but the one its uploaders use)
                regions = finder._get_regions_provider(bucket_name=self.bucket)
                endpoints = [
                    endpoint
                    for region in regions
                    for endpoint in getattr(region, "services", {}).get(ServiceName.UP, [])
                ]
            self._up_endpoints = endpoints
        return self._up_endpoints

    def deadline(self) -> float:
        """The monotonic time by which one upload (all its variants) must be done; its
        first attempt always fits, even with a budget shorter than one attempt."""
        return time.monotonic() + max(self.budget, sum(self.timeout))

    def _call(
        self,
        what: str,
        operation: Any,
        ok_codes: tuple[int, ...] = (),
        deadline: float | None = None,
    ) -> Any:
        """Run one SDK call (operation(attempt) → (ret, info)); retry 5xx and network
        failures while the next attempt's worst case fits before the deadline."""
        worst_attempt = sum(self.timeout)
        fresh = deadline is None
        deadline = self.deadline() if deadline is None else deadline
        info = None
        for attempt in range(self.retries + 1):
            if time.monotonic() + worst_attempt > deadline and not (fresh and attempt == 0):
                break
            ret, info = operation(attempt)
            if info.ok() or info.status_code in ok_codes:
                return ret
            expired = info.status_code == 401 and "expired" in (info.text_body or "")
            if not (info.need_retry() or (expired and attempt == 0)):
                break
            if attempt == self.retries:  # that was the last: no pause before giving up
                break
            if not info.need_retry():
                continue  # an expired token: a fresh one at once, on the same host
            time.sleep(min(0.1 * (attempt + 1), 0.5))
        log.warning(
            "qiniu %s failed: status %s, %s",
            what,
            getattr(info, "status_code", None),
            getattr(info, "exception", None) or getattr(info, "text_body", "") or "no time left",
        )
        raise StorageUnavailable(
            _("Image storage is not answering; nothing was saved. Please try again."),
            code="storage_unavailable",
        )

    def put(self, key: str, data: bytes, content_type: str, deadline: float | None = None) -> None:
        """Store one object: each attempt on one upload host, a retry on the next one."""
        check_key(key)
        endpoints = self.up_endpoints()
        if not endpoints:
            raise StorageUnavailable(code="storage_unavailable")
        first = self._next_up

        def upload(attempt: int) -> Any:
            index = (first + attempt) % len(endpoints)
            region = Region(services={ServiceName.UP: [endpoints[index]]})
            uploader = FormUploader(
                self.bucket, auth=self.auth, regions=[region], preferred_scheme=self.scheme
            )
            # a fresh token per attempt: never one cached at start-up
            token = self.auth.upload_token(self.bucket, key, self.token_seconds)
            ret, info = uploader.upload(key, data=data, mime_type=content_type, up_token=token)
            if not info.ok() and info.need_retry():
                self._next_up = (index + 1) % len(endpoints)
            return ret, info

        self._call(f"put {key}", upload, deadline=deadline)

    def delete(self, key: str, deadline: float | None = None) -> None:
        """Delete one object; 612 (no such file) means it is already gone, which is fine."""
        check_key(key)
        self._call(
            f"delete {key}",
            lambda _attempt: self.manager.delete(self.bucket, key),
            ok_codes=(612,),
            deadline=deadline,
        )

    def exists(self, key: str) -> bool:
        check_key(key)
        ret = self._call(
            f"stat {key}", lambda _attempt: self.manager.stat(self.bucket, key), ok_codes=(612,)
        )
        return bool(ret)

    def url(self, key: str) -> str:
        return f"{self.domain}/{check_key(key)}"

    def variant_urls(self, keys: dict[str, str]) -> dict[str, str]:
        """With image processing, thumb and medium are imageView2 views of the original."""
        if not self.image_processing:
            return {variant: self.url(key) for variant, key in keys.items()}
        original = self.url(keys["original"])
        urls = {"original": original}
        for variant, bound in VARIANT_BOUNDS.items():
            urls[variant] = f"{original}?imageView2/2/w/{bound}/h/{bound}/q/85"
        return urls

    def keys(self) -> Iterator[str]:
        """Every object under images/."""
        return (key for key, _stored_at in self.entries())

    def entries(self) -> Iterator[tuple[str, float]]:
        """Every object under images/ with its put time (listed page by page)."""
        marker = None
        while True:

            def page(_attempt: int, marker: str | None = marker) -> Any:
                ret, _eof, info = self.manager.list(
                    self.bucket, prefix="images/", marker=marker, limit=1000
                )
                return ret, info

            ret = self._call("list", page) or {}
            for item in ret.get("items", []):
                if KEY_PATTERN.match(item["key"]):
                    yield item["key"], float(item.get("putTime", 0)) / 1e7  # 100 ns units
            marker = ret.get("marker")
            if not marker:
                return


def hosts_of(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Hosts from a setting: one host, several separated by commas or spaces, or a list."""
    if not value:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", value)
    return [item.strip() for item in items if item and item.strip()]
