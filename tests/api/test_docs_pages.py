"""The Swagger UI and Redoc pages load nothing from outside this server: their HTML names
only local assets, and their Content-Security-Policy lets the browser fetch from nowhere
else (Redoc's bundle still asks a CDN for its footer logo)."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

PAGES = ("/docs", "/redoc")
# Sources that name no other host.
LOCAL_SOURCES = {"'self'", "'none'", "'unsafe-eval'", "'unsafe-inline'", "data:", "blob:"}


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["content-security-policy"].split(";")]
    return {name: sources for name, *sources in directives}


def _allows(sources: list[str], url: str) -> bool:
    """Whether a CSP source list lets the browser fetch `url` from a page on another host."""
    scheme = url.split(":", 1)[0] + ":"
    return any(
        source in {"*", scheme}
        or (source.startswith(("http://", "https://")) and url.startswith(source))
        for source in sources
    )


async def test_docs_pages_name_no_external_url(anonymous: httpx.AsyncClient) -> None:
    for page in PAGES:
        response = await anonymous.get(page)
        assert response.status_code == 200
        assert re.findall(r"https?://[^\s\"'<>]+", response.text) == [], page


async def test_docs_pages_let_the_browser_fetch_only_from_this_server(
    anonymous: httpx.AsyncClient,
) -> None:
    for page in PAGES:
        policy = _policy(await anonymous.get(page))
        assert policy["default-src"] == ["'self'"]
        for name, sources in policy.items():
            if name == "connect-src":
                continue  # "Try it out" may call the configured public address; see below
            remote = [s for s in sources if s not in LOCAL_SOURCES and not s.startswith("'sha256-")]
            assert remote == [], f"{page} {name} allows {remote}"
        # The conftest settings configure https://followup.example.com as the public address.
        assert policy["connect-src"] == ["'self'", "https://followup.example.com"]


async def test_redoc_bundle_remote_images_are_blocked(anonymous: httpx.AsyncClient) -> None:
    page = await anonymous.get("/redoc")
    bundle_path = re.findall(r'src="(/docs-assets/redoc[^"]+)"', page.text)[0]
    bundle = (await anonymous.get(bundle_path)).text
    image_sources = _policy(page)["img-src"]
    for url in re.findall(r'src:"(https?://[^"]+)"', bundle):
        assert not _allows(image_sources, url), url


async def test_swagger_setup_script_is_the_one_inline_script_allowed(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/docs")
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    script_sources = _policy(response)["script-src"]
    assert f"'sha256-{digest}'" in script_sources
    assert "'unsafe-inline'" not in script_sources
    # No validator badge fetched from the online validator.
    assert '"validatorUrl": null' in inline[0]
