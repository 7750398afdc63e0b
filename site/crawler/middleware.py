"""Downloader middleware and DNS resolver that enforce the address rules on every request."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from gallery.crawler.safety import AddressPolicy, UnsafeURL, check_url, refusal

POLICY_SETTING = "GALLERY_ADDRESS_POLICY"
#: host name → why the resolver refused its address (one crawl per process)
REFUSED_HOSTS: dict[str, str] = {}


class UnsafeRequest(IgnoreRequest):
    """A request refused by the address rules (see gallery.crawler.safety)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SafetyMiddleware:
    """Check each request (redirects and robots.txt included) before anything is sent.

    It runs before every other downloader middleware, so a refused address is
    never contacted, not even for its robots.txt. It also shortens each
    request's timeout so that no download outlives the run's time limit
    (Scrapy's own time limit waits for the downloads in flight).
    """

    def __init__(self, policy: AddressPolicy, time_limit: float, timeout: float) -> None:
        self.policy = policy
        self.time_limit = time_limit
        self.timeout = timeout
        self.deadline: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        settings = crawler.settings
        return cls(
            settings[POLICY_SETTING],
            settings.getfloat("CLOSESPIDER_TIMEOUT"),
            settings.getfloat("DOWNLOAD_TIMEOUT"),
        )

    async def process_request(self, request: Request) -> None:
        try:
            await maybe_deferred_to_future(deferToThread(check_url, request.url, self.policy))
        except UnsafeURL as error:
            raise UnsafeRequest(error.reason) from error
        if self.time_limit:
            now = time.monotonic()
            if self.deadline is None:
                self.deadline = now + self.time_limit
            left = max(self.deadline - now, 0.0) + 1.0
            request.meta["download_timeout"] = min(self.timeout or left, left)


class SafeResolver(CachingThreadedResolver):
    """The resolver Twisted connects with: refuses an address the policy forbids.

    The middleware has already checked the host, but a name can resolve
    differently a moment later (DNS rebinding); this check is on the very
    address that is about to be connected to.
    """

    policy: AddressPolicy

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> SafeResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = crawler.settings[POLICY_SETTING]
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:  # noqa: N802
        return super().getHostByName(name, timeout).addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        why = refusal(ipaddress.ip_address(address), self.policy)
        if why:
            REFUSED_HOSTS[name] = f"refused: {name} ({address}) is {why}"
            # a DNSLookupError is what Twisted expects from a resolver (and does not log)
            raise DNSLookupError(REFUSED_HOSTS[name])
        return address
