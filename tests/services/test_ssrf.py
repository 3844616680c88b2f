"""The SSRF guard, with the development allowances off: internal addresses are refused when
a URL is saved and again when a connection is made (DNS answers are faked; no real DNS)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest

from app.services import ssrf

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:4700:4700::1111"

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.9", "private"),
    ("192.168.1.20", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.10.1", "link-local"),
    ("fe80::1", "link-local"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "non-public"),
]


def teredo(client: str, server: str = "65.54.227.120") -> str:
    """A Teredo address (2001::/32) for a client IPv4, stored XOR 0xffffffff as RFC 4380
    says (built here by hand, not by the code under test)."""
    inverted = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    value = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
    return str(ipaddress.IPv6Address(value | (0x8000 << 48) | (0x1234 << 32) | inverted))


# Every form that wraps an IPv4 address, around internal ones: (address, what the reason
# names). Each is refused with private networks allowed or not, unless it is only private.
WRAPPED = [
    ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:192.0.0.192", "non-public"),
    ("::7f00:1", "loopback"),  # IPv4-compatible ::127.0.0.1
    ("::a9fe:a9fe", "metadata"),
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "metadata"),  # 6to4 of 169.254.169.254
    ("2002:0a00:0001::1", "private"),  # 6to4 of 10.0.0.1
    ("2002:c000:00c0::1", "non-public"),  # 6to4 of 192.0.0.192
    ("64:ff9b::127.0.0.1", "loopback"),  # NAT64 well-known prefix
    ("64:ff9b::169.254.169.254", "metadata"),
    ("64:ff9b::100.64.0.1", "non-public"),
    ("64:ff9b:1::a9fe:a9fe", "metadata"),  # local-use NAT64, /96 position
    ("64:ff9b:1:a9fe:a9:fe00::", "metadata"),  # local-use NAT64, /48 position (RFC 6052)
    (teredo("127.0.0.1"), "loopback"),
    (teredo("169.254.169.254"), "metadata"),
    (teredo("10.0.0.1"), "private"),
]

# The IANA special-purpose blocks, one address each, and what the reason names.
SPECIAL_PURPOSE = [
    ("0.1.2.3", "this network"),
    ("100.127.255.254", "non-public"),
    ("192.0.0.192", "non-public"),
    ("192.0.0.9", "non-public"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "non-public"),
    ("198.18.0.1", "non-public"),
    ("198.19.255.1", "non-public"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("255.255.255.255", "reserved"),
    ("239.255.255.250", "multicast"),
    ("100::1", "non-public"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "non-public"),
    (teredo("8.8.8.8"), "non-public"),  # Teredo with a public client: still a tunnel
    ("::8.8.8.8", "reserved"),  # IPv4-compatible: deprecated, never routed
    ("64:ff9b:1::8.8.8.8", "non-public"),  # local-use NAT64: never global
    ("5f00::1", "non-public"),
    ("fc00::1", "private"),
    ("fec0::1", "site-local"),
    ("fe80::1", "link-local"),
    ("ff0e::1", "multicast"),
    ("168.63.129.16", "metadata"),
    ("100.100.100.200", "metadata"),
]

# IPv6 forms around a public IPv4 address reach that public address: allowed.
PUBLIC_WRAPPED = ["::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::8.8.8.8"]


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Replace the guard's resolver; returns the list of names it was asked for."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[ssrf.IPAddress]:
        asked.append(host)
        if host not in answers:
            raise ssrf.ForbiddenDestination(f"the host {host} does not resolve", "unresolvable")
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(ssrf, "resolve", resolve)
    return asked


@pytest.mark.parametrize(("address", "kind"), FORBIDDEN)
def test_internal_addresses_are_named(address: str, kind: str) -> None:
    reason = ssrf.internal_reason(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize(("address", "kind"), WRAPPED + SPECIAL_PURPOSE)
def test_wrapped_and_special_purpose_addresses_are_named(address: str, kind: str) -> None:
    reason = ssrf.internal_reason(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize(("address", "kind"), WRAPPED)
def test_wrapped_addresses_name_the_ipv4_inside(address: str, kind: str) -> None:
    reason = ssrf.internal_reason(ipaddress.ip_address(address))
    assert reason is not None and "wrapped in" in reason


def test_teredo_client_address_is_unwrapped_with_the_xor() -> None:
    address = ipaddress.IPv6Address(teredo("169.254.169.254"))
    assert not str(address).endswith("a9fe:a9fe")  # stored inverted: 5601:5601
    assert ssrf.embedded_ipv4(address) == [(ipaddress.IPv4Address("169.254.169.254"), "Teredo")]


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8", *PUBLIC_WRAPPED])
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.internal_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "kind"), [(a, k) for a, k in WRAPPED + SPECIAL_PURPOSE if k == "metadata"]
)
async def test_metadata_stays_refused_in_every_wrapping_with_private_networks_allowed(
    address: str, kind: str
) -> None:
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    refusal = await _refusal(url, allow_http=True, allow_private_networks=True)
    assert refusal.code == "forbidden_address" and kind in refusal.message


@pytest.mark.parametrize(
    "address", [a for a, k in WRAPPED if k in {"loopback", "private"}] + ["2002:808:808::1"]
)
async def test_private_allowance_reaches_wrapped_private_addresses(address: str) -> None:
    await ssrf.check_url(f"http://[{address}]/", allow_http=True, allow_private_networks=True)


async def _refusal(url: str, **allowances: bool) -> ssrf.ForbiddenDestination:
    options = {"allow_http": False, "allow_private_networks": False, **allowances}
    with pytest.raises(ssrf.ForbiddenDestination) as caught:
        await ssrf.check_url(url, **options)
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]:8443/hook",
        "https://10.0.0.8/hook",
        "https://192.168.0.1/hook",
        "https://169.254.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:127.0.0.1]/hook",
        # Accepted before the guard unwrapped 6to4 and knew the IANA registries.
        "https://[2002:7f00:1::1]/",
        "https://[2002:a9fe:a9fe::1]/",
        "https://192.0.0.192/",
        "https://[64:ff9b::7f00:1]/",
        f"https://[{teredo('127.0.0.1')}]/",
    ],
)
async def test_urls_with_internal_address_literals_are_refused(url: str) -> None:
    refusal = await _refusal(url)
    assert refusal.code == "forbidden_address"


async def test_a_name_resolving_to_an_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = fake_dns(
        monkeypatch,
        {
            "internal.example.com": ["10.20.30.40"],
            "metadata.example.com": ["169.254.169.254"],
            "mixed.example.com": [PUBLIC_V4, "127.0.0.1"],
            "hooks.example.com": [PUBLIC_V4, PUBLIC_V6],
        },
    )
    refusal = await _refusal("https://internal.example.com/hook")
    assert refusal.code == "forbidden_address" and "10.20.30.40" in refusal.message
    assert "metadata" in (await _refusal("https://metadata.example.com/")).message
    # One internal address among public ones is enough to refuse.
    assert "127.0.0.1" in (await _refusal("https://mixed.example.com/")).message
    await ssrf.check_url(
        "https://hooks.example.com/hook", allow_http=False, allow_private_networks=False
    )
    assert asked == [
        "internal.example.com",
        "metadata.example.com",
        "mixed.example.com",
        "hooks.example.com",
    ]
    assert (await _refusal("https://nowhere.example.com/")).code == "unresolvable"


async def test_only_https_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": [PUBLIC_V4]})
    assert (await _refusal("http://hooks.example.com/hook")).code == "scheme"
    assert (await _refusal("ftp://hooks.example.com/hook", allow_http=True)).code == "scheme"
    assert (await _refusal("https://user:pw@hooks.example.com/")).code == "credentials"
    await ssrf.check_url(
        "http://hooks.example.com/hook", allow_http=True, allow_private_networks=False
    )


async def test_private_allowance_never_opens_the_metadata_address() -> None:
    allow = {"allow_http": True, "allow_private_networks": True}
    await ssrf.check_url("http://127.0.0.1:9/hook", **allow)
    await ssrf.check_url("http://10.0.0.1/hook", **allow)
    assert (await _refusal("http://169.254.169.254/", **allow)).code == "forbidden_address"


@pytest.fixture
async def local_server() -> AsyncIterator[tuple[int, list[str]]]:
    """A TCP server on 127.0.0.1 that answers 204 and notes every connection it gets."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append("connection")
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, seen
    finally:
        server.close()
        await server.wait_closed()


def _client(allow_private_networks: bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=ssrf.GuardedTransport(allow_private_networks=allow_private_networks),
        timeout=2,
    )


async def test_connect_time_check_stops_dns_rebinding(
    monkeypatch: pytest.MonkeyPatch, local_server: tuple[int, list[str]]
) -> None:
    port, seen = local_server
    answers = {"rebind.example.com": [PUBLIC_V4]}
    fake_dns(monkeypatch, answers)
    url = f"http://rebind.example.com:{port}/hook"
    await ssrf.check_url(url, allow_http=True, allow_private_networks=False)  # saved: public
    answers["rebind.example.com"] = ["127.0.0.1"]  # ...then the name points inside
    async with _client(allow_private_networks=False) as client:
        with pytest.raises(httpx.ConnectError, match=r"refused: .*127\.0\.0\.1.*loopback"):
            await client.post(url, content=b"{}")
        with pytest.raises(httpx.ConnectError, match="refused"):
            await client.post(f"http://127.0.0.1:{port}/hook", content=b"{}")
    assert seen == []


async def test_connect_time_check_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, local_server: tuple[int, list[str]]
) -> None:
    # `hooks.test` exists only in the fake DNS: the request can only arrive if the transport
    # connected to the address the guard resolved and allowed.
    port, seen = local_server
    asked = fake_dns(monkeypatch, {"hooks.test": ["127.0.0.1"]})
    async with _client(allow_private_networks=True) as client:
        response = await client.post(f"http://hooks.test:{port}/hook", content=b"{}")
    assert response.status_code == 204
    assert seen == ["connection"] and asked == ["hooks.test"]


async def test_connect_time_check_refuses_metadata_even_when_private_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, {"meta.test": ["169.254.169.254"]})
    async with _client(allow_private_networks=True) as client:
        with pytest.raises(httpx.ConnectError, match="metadata"):
            await client.get("http://meta.test/latest/meta-data/")


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--n3h.net/hook",  # an "xn--" label that is no valid name: httpx cannot send
        "https://" + "a" * 64 + ".example.com/hook",  # a label over 63 characters
        "https://foo..example.com/hook",  # an empty label
    ],
)
async def test_hosts_no_client_could_reach_are_refused_not_crashed_on(url: str) -> None:
    # No fake resolver: each is refused before any DNS lookup could be made.
    refusal = await _refusal(url)
    assert refusal.code in {"host", "unresolvable"}
