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


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.internal_reason(ipaddress.ip_address(address)) is None


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
