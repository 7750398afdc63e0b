"""Downloader middleware and DNS resolver that enforce the address rules on every request."""

from __future__ import annotations

import ipaddress
from typing import Any

from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from gallery.crawler.safety import AddressPolicy, UnsafeURL, check_url, refusal
from gallery.crawler.spider import UnsafeRequest

POLICY_SETTING = "GALLERY_ADDRESS_POLICY"
#: host name → why the resolver refused its address (one crawl per process)
REFUSED_HOSTS: dict[str, str] = {}


class SafetyMiddleware:
    """Check each request (redirects and robots.txt included) before anything is sent.

    It runs before every other downloader middleware, so a refused address is
    never contacted, not even for its robots.txt.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        return cls(crawler.settings[POLICY_SETTING])

    async def process_request(self, request: Request) -> None:
        try:
            await maybe_deferred_to_future(deferToThread(check_url, request.url, self.policy))
        except UnsafeURL as error:
            raise UnsafeRequest(error.reason) from error


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
