"""Which addresses the crawler may fetch: http(s) to public hosts, every resolved IP checked.

Refused always, whatever the flags: link-local addresses (169.254.0.0/16 and
fe80::/10, where cloud metadata services such as 169.254.169.254 live), the
other known metadata addresses, unspecified, multicast, broadcast and reserved
addresses. Refused unless allowed: loopback and private networks (127/8, ::1,
10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10). `--allow-private` allows
those; `--allow-net CIDR` allows one network only (e.g. 127.0.0.0/8 for a test
server) and is the narrower choice.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALWAYS_REFUSED: tuple[tuple[str, str], ...] = (
    ("169.254.0.0/16", "a link-local or cloud metadata address"),
    ("fe80::/10", "a link-local address"),
    ("100.100.100.200/32", "a cloud metadata address"),
    ("fd00:ec2::254/128", "a cloud metadata address"),
    ("0.0.0.0/8", "an unspecified address"),
    ("::/128", "an unspecified address"),
    ("224.0.0.0/4", "a multicast address"),
    ("ff00::/8", "a multicast address"),
    ("240.0.0.0/4", "a reserved or broadcast address"),
)
PRIVATE: tuple[tuple[str, str], ...] = (
    ("127.0.0.0/8", "a loopback address"),
    ("::1/128", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("fc00::/7", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
)
_REFUSED = [(ipaddress.ip_network(net), why) for net, why in ALWAYS_REFUSED]
_PRIVATE = [(ipaddress.ip_network(net), why) for net, why in PRIVATE]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], Iterable[str]]


class UnsafeURL(Exception):
    """A URL the crawler must not fetch; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public networks a crawl may reach (none by default)."""

    allow_private: bool = False
    allow_nets: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def build(cls, allow_private: bool = False, allow_nets: Iterable[str] = ()) -> AddressPolicy:
        """From the command-line values; a malformed network raises ValueError."""
        nets = tuple(ipaddress.ip_network(net, strict=False) for net in allow_nets)
        return cls(allow_private=allow_private, allow_nets=nets)

    @property
    def local_allowed(self) -> bool:
        return self.allow_private or bool(self.allow_nets)


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address, else the address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(ip: IPAddress, policy: AddressPolicy) -> str | None:
    """Why this address is refused under the policy, or None when it may be fetched."""
    ip = _unwrap(ip)
    for net, why in _REFUSED:
        if ip.version == net.version and ip in net:
            return why
    if any(ip.version == net.version and ip in net for net in policy.allow_nets):
        return None
    for net, why in _PRIVATE:
        if ip.version == net.version and ip in net:
            return None if policy.allow_private else why
    if not ip.is_global:
        return "a non-public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolves the host to."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def check_url(url: str, policy: AddressPolicy, resolve: Resolver = system_resolver) -> list[str]:
    """Raise UnsafeURL unless the URL is http(s) and every address of its host is allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeURL(f"malformed address ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"only http and https are fetched, not {parts.scheme or 'no scheme'}")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the address has no host")
    if parts.username or parts.password:
        raise UnsafeURL("addresses with credentials are not fetched")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError) as error:
            raise UnsafeURL(f"{host} does not resolve ({error})") from error
    if not addresses:
        raise UnsafeURL(f"{host} does not resolve")
    for address in addresses:
        why = refusal(ipaddress.ip_address(address), policy)
        if why:
            shown = host if host == address else f"{host} ({address})"
            raise UnsafeURL(f"refused: {shown} is {why}")
    return addresses
