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

# Cloud instance metadata (AWS, GCP, Azure, ...): refused even when private networks are
# allowed, since it hands out credentials to whoever asks from inside.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


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


def internal_reason(address: IPAddress) -> str | None:
    """Why an address is not on the public internet (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    checks = (
        (address in METADATA_ADDRESSES, "the cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        # Shared (carrier-grade NAT) space and the like: not private, not public either.
        (not address.is_global, "a non-public address"),
    )
    return next((reason for hit, reason in checks if hit), None)


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
        if allow_private_networks and address not in METADATA_ADDRESSES:
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
