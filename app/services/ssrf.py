"""The SSRF guard: webhooks go to the public internet only, checked when saved and when sent.

A URL is checked when an endpoint is created or changed (so a mistake is a 422 naming the
field) and again on every connection: ``GuardedTransport`` resolves the host itself,
refuses if any address is internal, and connects to the address it checked. A DNS name
that answered with a public address at creation and an internal one later (DNS
rebinding) therefore cannot reach inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPv4 = ipaddress.IPv4Address
IPv6 = ipaddress.IPv6Address
Net = ipaddress.ip_network

# Cloud instance metadata and credential services: refused even when private networks are
# allowed (and when wrapped in an IPv6 form), since they hand out credentials to whoever
# asks from inside.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack...
        "fd00:ec2::254",  # AWS over IPv6
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS Pod Identity
        "fd00:ec2::23",  # AWS EKS Pod Identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address, yet the host's own)
    )
)

# The IANA special-purpose registries (iana.org/assignments/iana-ipv4-special-registry and
# iana-ipv6-special-registry) with what Python's tables miss or name too vaguely. Python
# 3.11's ``is_global`` calls 192.0.0.0/24, 192.88.99.0/24, 2002::/16 and 64:ff9b::/96
# global, so it is a last check here, not the only one. Blocks marked globally reachable
# by IANA (anycast services, AS112) are left out on purpose: none is a webhook receiver,
# so they are refused too, by the whole 192.0.0.0/24 and 2001::/23 entries.
SPECIAL_PURPOSE: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (Net("0.0.0.0/8"), "a 'this network' address"),
    (Net("100.64.0.0/10"), "a non-public (shared carrier-grade NAT) address"),
    (Net("192.0.0.0/24"), "a non-public (IETF protocol assignment) address"),
    (Net("192.0.2.0/24"), "a documentation address"),
    (Net("192.88.99.0/24"), "a non-public (retired 6to4 relay anycast) address"),
    (Net("198.18.0.0/15"), "a non-public (benchmarking) address"),
    (Net("198.51.100.0/24"), "a documentation address"),
    (Net("203.0.113.0/24"), "a documentation address"),
    (Net("240.0.0.0/4"), "a reserved address"),
    (Net("64:ff9b:1::/48"), "a non-public (local-use NAT64) address"),
    (Net("100::/64"), "a non-public (discard-only) address"),
    (Net("2001::/23"), "a non-public (IETF protocol assignment, Teredo included) address"),
    (Net("2001:db8::/32"), "a documentation address"),
    (Net("3fff::/20"), "a documentation address"),
    (Net("5f00::/16"), "a non-public (segment routing) address"),
    (Net("fec0::/10"), "a site-local address"),
)

_IPV4_COMPATIBLE = Net("::/96")
_NAT64_WELL_KNOWN = Net("64:ff9b::/96")
_NAT64_LOCAL_USE = Net("64:ff9b:1::/48")
# RFC 6052 prefix lengths a local-use NAT64 prefix (inside a /48) can have.
_NAT64_LOCAL_PREFIX_LENGTHS = (48, 56, 64, 96)


class ForbiddenDestination(ValueError):
    """The URL may not be called: wrong scheme, no host, or an internal address."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (tests replace this function; no real DNS)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        # UnicodeError: an empty or over-long label, which no resolver will look up.
        raise ForbiddenDestination(f"the host {host} does not resolve", "unresolvable") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _rfc6052_ipv4(address: IPv6, prefix_length: int) -> IPv4:
    """The IPv4 address RFC 6052 embeds after a prefix of ``prefix_length`` bits."""
    value = int(address)
    # Bits 64-71 (the "u" octet) never carry address bits: squeeze them out.
    squeezed = ((value >> 64) << 56) | (value & ((1 << 56) - 1))
    start = prefix_length if prefix_length <= 64 else prefix_length - 8
    return IPv4((squeezed >> (120 - start - 32)) & 0xFFFFFFFF)


def embedded_ipv4(address: IPAddress) -> list[tuple[IPv4, str]]:
    """The IPv4 addresses an IPv6 address carries, each with the form's name.

    A packet to any of these forms can end up at the IPv4 address inside (through a
    translator, a tunnel or the host's own dual stack), so the guard judges that one.
    """
    if not isinstance(address, IPv6):
        return []
    if address.ipv4_mapped is not None:
        return [(address.ipv4_mapped, "IPv4-mapped")]
    if address.sixtofour is not None:
        return [(address.sixtofour, "6to4")]
    if address.teredo is not None:
        _server, client = address.teredo  # Python undoes the XOR of the client address
        return [(client, "Teredo")]
    if address in _NAT64_WELL_KNOWN:
        return [(IPv4(int(address) & 0xFFFFFFFF), "NAT64")]
    if address in _NAT64_LOCAL_USE:
        return [
            (_rfc6052_ipv4(address, length), "local-use NAT64")
            for length in _NAT64_LOCAL_PREFIX_LENGTHS
        ]
    # IPv4-compatible (deprecated): ::a.b.c.d. :: and ::1 are not among them.
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return [(IPv4(int(address) & 0xFFFFFFFF), "IPv4-compatible")]
    return []


def is_metadata(address: IPAddress) -> bool:
    """Whether ``address`` is, or wraps, a cloud metadata address."""
    return address in METADATA_ADDRESSES or any(
        inner in METADATA_ADDRESSES for inner, _form in embedded_ipv4(address)
    )


def _own_reason(address: IPAddress) -> str | None:
    """Why an address, taken as it is, is not on the public internet."""
    checks = (
        (address in METADATA_ADDRESSES, "the cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "an unspecified address"),
    )
    found = next((reason for hit, reason in checks if hit), None)
    if found is not None:
        return found
    found = next((reason for network, reason in SPECIAL_PURPOSE if address in network), None)
    if found is not None:
        return found
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-public address"
    return None


# Forms whose outer address means nothing by itself: the IPv4 inside decides. The others
# (Teredo, local-use NAT64, IPv4-compatible) are refused whatever they carry.
_TRANSPARENT_FORMS = frozenset({"IPv4-mapped", "6to4", "NAT64"})


def internal_reason(address: IPAddress) -> str | None:
    """Why an address is not on the public internet (None when it is).

    IPv6 forms that carry an IPv4 address are judged by that address first, so
    ``2002:7f00:1::1`` is refused as the loopback address it wraps.
    """
    inner = embedded_ipv4(address)
    for ipv4, form in inner:  # never allowed, so always the reason to give
        if ipv4 in METADATA_ADDRESSES:
            return f"the cloud metadata address: {ipv4} wrapped in {form} form"
    # A local-use NAT64 address has several readings; only one-address forms are judged by
    # what they carry.
    if len(inner) == 1:
        ipv4, form = inner[0]
        reason = _own_reason(ipv4)
        if reason is not None:
            return f"{reason}: {ipv4} wrapped in {form} form"
        if form in _TRANSPARENT_FORMS:
            return None
    return _own_reason(address)


def check_addresses(
    host: str, addresses: Iterable[IPAddress], *, allow_private_networks: bool
) -> list[IPAddress]:
    """The addresses, if every one may be called; else ForbiddenDestination.

    One internal address among public ones refuses them all: a DNS answer that mixes them
    is the shape of an attack, not of a real webhook receiver.
    """
    checked = list(addresses)
    if not checked:
        raise ForbiddenDestination(f"the host {host} has no address", "unresolvable")
    for address in checked:
        reason = internal_reason(address)
        if reason is None:
            continue
        if allow_private_networks and not is_metadata(address):
            continue
        raise ForbiddenDestination(
            f"the host {host} resolves to {address}, {reason}", "forbidden_address"
        )
    return checked


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def addresses_for(host: str, port: int, *, allow_private_networks: bool) -> list[IPAddress]:
    """Resolve ``host`` (unless it is an IP literal) and check every address."""
    literal = _literal_address(host)
    found = [literal] if literal is not None else await resolve(host, port)
    return check_addresses(host, found, allow_private_networks=allow_private_networks)


async def check_url(url: str, *, allow_http: bool, allow_private_networks: bool) -> None:
    """Raise ForbiddenDestination unless ``url`` may receive webhooks."""
    try:
        # The client that will send must be able to encode it too: httpx parses the URL,
        # and an "xn--" label must decode to a valid internationalised name.
        host_name = httpx.URL(url).host
        if host_name and _literal_address(host_name) is None:
            idna.decode(host_name)
    except (httpx.InvalidURL, idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ForbiddenDestination("is not a URL the worker can send to", "host") from exc
    parts = urlsplit(url)
    allowed = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in allowed:
        raise ForbiddenDestination(
            "must be an https:// URL" if not allow_http else "must be an http(s) URL", "scheme"
        )
    if parts.username is not None or parts.password is not None:
        raise ForbiddenDestination("must not carry a user name or password", "credentials")
    host = parts.hostname
    if not host:
        raise ForbiddenDestination("must name a host", "host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ForbiddenDestination("has an invalid port", "port") from exc
    await addresses_for(host, port, allow_private_networks=allow_private_networks)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses it has resolved and checked itself.

    httpcore then starts TLS on the stream with the URL's host name, so certificates are
    still verified against the name, not the address.
    """

    def __init__(self, *, allow_private_networks: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private_networks = allow_private_networks

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await addresses_for(
                host, port, allow_private_networks=self._allow_private_networks
            )
        except ForbiddenDestination as exc:
            raise httpcore.ConnectError(f"refused: {exc.message}") from exc
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: webhooks never use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection passes the SSRF guard; no proxies."""

    def __init__(self, *, allow_private_networks: bool) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend of its own; its pool does, so swap the pool for
        # one built the same way (TLS context, HTTP/1.1) around the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(allow_private_networks=allow_private_networks),
        )
