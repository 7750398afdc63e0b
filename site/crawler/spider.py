"""The Scrapy spider: follow a site's pages, collect its images, count what happens to each."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import scrapy
from PIL import Image as PILImage
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    StopDownload,
)
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from gallery.crawler.extract import FoundImage, extract_page
from gallery.crawler.middleware import REFUSED_HOSTS, UnsafeRequest
from gallery.crawler.safety import AddressPolicy, UnsafeURL
from gallery.formats import human_size
from gallery.media.runs import Tally

CRAWL_LABELS = ("pages", "found", "stored", "duplicates", "rejected", "skipped")


@dataclass
class CrawlOptions:
    """Everything one crawl is allowed to do (the command's options, completed from config)."""

    start_url: str
    username: str = "crawler"
    publish: bool = False
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    max_pages: int = 50
    max_images: int = 200
    delay: float = 2.0
    concurrency: int = 1
    max_page_bytes: int = 2 * 1024 * 1024
    max_image_bytes: int = 15 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    time_limit: int = 900
    request_timeout: int = 20
    min_size: int = 200
    user_agent: str = "GalleryBot/1.0"
    robots_agent: str = "GalleryBot"
    verbose: bool = False

    def as_args(self) -> dict[str, Any]:
        """The options as JSON for OperationRun.args."""
        args = asdict(self)
        args["policy"] = {
            "allow_private": self.policy.allow_private,
            "allow_nets": [str(net) for net in self.policy.allow_nets],
        }
        return args


def probe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header, without decoding; None when unreadable."""
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001 - the upload pipeline gives the real reason
        return None


class GallerySpider(scrapy.Spider):
    """Start at one URL, follow same-site links breadth first, hand images to the pipeline."""

    name = "gallery"

    def __init__(
        self,
        *,
        options: CrawlOptions,
        tally: Tally,
        is_known: Callable[[str], int | None],
        store: Callable[[FoundImage, bytes], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.tally = tally
        self.is_known = is_known
        self.store = store
        self.site_hosts = {urlsplit(options.start_url).netloc}
        self.seen_pages = {options.start_url}
        self.seen_images: set[str] = set()
        self.pages_scheduled = 0
        self.images_scheduled = 0
        self.bytes_total = 0
        self.over_budget = False
        self.limits_hit: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GallerySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_bytes, signal=signals.bytes_received)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        yield self.page_request(self.options.start_url)

    def page_request(self, url: str) -> Request:
        self.pages_scheduled += 1
        return Request(url, callback=self.parse_page, errback=self.failed, meta={"kind": "page"})

    # callbacks ----------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Request]:
        self.check_budget()
        if not isinstance(response, HtmlResponse):
            self.tally.skipped(response.url, "not an HTML page")
            return
        if response.meta.get("depth", 0) == 0:  # the start page may have redirected
            self.site_hosts.add(urlsplit(response.url).netloc)
        if urlsplit(response.url).netloc not in self.site_hosts:
            self.tally.skipped(response.url, "redirected to another site")
            return
        self.tally.add("pages")
        findings = extract_page(response.url, response.text, self.site_hosts)
        for found in findings.images:
            yield from self.image_request(found)
        for link in findings.links:
            if link in self.seen_pages:
                continue
            if self.pages_scheduled >= self.options.max_pages:
                self.note_limit("page limit reached")
                break
            if self.images_scheduled >= self.options.max_images:
                break
            self.seen_pages.add(link)
            yield self.page_request(link)

    def image_request(self, found: FoundImage) -> Iterator[Request]:
        if found.url in self.seen_images:
            return
        if self.images_scheduled >= self.options.max_images:
            self.note_limit("image limit reached")
            return
        self.seen_images.add(found.url)
        self.tally.add("found")
        known = self.is_known(found.url)
        if known is not None:
            self.tally.duplicate(found.url, "already stored (same address)", known)
            return
        self.images_scheduled += 1
        limit = self.options.max_image_bytes
        yield Request(
            found.url,
            callback=self.parse_image,
            errback=self.failed,
            priority=10,
            meta={
                "kind": "image",
                "found": found,
                "download_maxsize": limit,
                "download_warnsize": limit // 2,
            },
        )

    def parse_image(self, response: Response) -> Iterator[dict[str, Any]]:
        self.check_budget()
        found: FoundImage = response.meta["found"]
        size = probe_size(response.body)
        least = self.options.min_size
        if size is not None and min(size) < least:
            self.tally.rejected(found.url, f"smaller than {least}×{least} px")
            return
        yield {"found": found, "data": response.body}

    def failed(self, failure: Failure) -> None:
        request: Request = failure.request
        reason = self.failure_reason(failure, request)
        if request.meta.get("kind") == "image":
            self.tally.rejected(request.meta["found"].url, reason)
        else:
            self.tally.skipped(request.meta.get("redirect_urls", [request.url])[0], reason)
        self.check_budget()

    def failure_reason(self, failure: Failure, request: Request) -> str:
        """A short reason for a person (and the summary's counts)."""
        error = failure.value
        if self.over_budget:
            return "byte limit of the run reached"
        if isinstance(error, UnsafeURL | UnsafeRequest):
            return error.reason
        if isinstance(error, HttpError):
            return f"HTTP {error.response.status}"
        if isinstance(error, IgnoreRequest):
            return str(error).lower() or "ignored"
        maxsize = request.meta.get("download_maxsize", self.options.max_page_bytes)
        if isinstance(error, DownloadCancelledError | CancelledError):
            return f"larger than {human_size(maxsize)}"
        if isinstance(error, TimeoutError | DownloadTimeoutError):
            return "timed out"
        if isinstance(error, DNSLookupError | CannotResolveHostError):
            return REFUSED_HOSTS.get(urlsplit(request.url).hostname or "", "host does not resolve")
        if isinstance(error, ConnectError | DownloadConnectionRefusedError):
            return "could not connect"
        return f"download failed ({type(error).__name__})"

    # limits -------------------------------------------------------------------

    def on_bytes(self, data: bytes, request: Request, spider: Any = None) -> None:
        """Count every byte received; past the run's budget, stop downloading."""
        self.bytes_total += len(data)
        if self.bytes_total > self.options.max_total_bytes:
            self.over_budget = True
            raise StopDownload(fail=True)

    def check_budget(self) -> None:
        if self.over_budget:
            self.tally.finish_reason = "stopped: byte limit reached"
            raise CloseSpider("byte_limit")

    def note_limit(self, what: str) -> None:
        self.limits_hit.add(what)

    def closed(self, reason: str) -> None:
        if reason == "closespider_timeout":
            self.tally.finish_reason = "stopped: time limit reached"
        elif reason == "finished" and self.limits_hit:
            self.tally.finish_reason = "finished (" + ", ".join(sorted(self.limits_hit)) + ")"
        elif reason not in ("finished", "byte_limit"):
            self.tally.finish_reason = f"stopped: {reason}"
