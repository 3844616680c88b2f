"""Interactive API docs served from assets bundled in the package: no CDN, works offline.

The HTML names only this server's own assets, and each page carries a
Content-Security-Policy that lets the browser fetch from nowhere else: Redoc's bundle
still asks a CDN for the logo in its footer, and Swagger UI can ask an online validator
for a badge. Blocked, Redoc drops its logo (its image's error handler hides it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.settings import Settings

ASSETS_PATH = "/docs-assets"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: bytes) -> list[str]:
    """CSP sources allowing exactly the page's own inline scripts (Swagger UI's setup)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html.decode())
    ]


def content_security_policy(html: bytes, settings: Settings) -> str:
    """Same origin only (plus the configured public address, where "Try it out" sends
    requests). Both bundles inject styles, and Redoc compiles schema validators with
    `new Function` and runs its search in a blob: worker, so those stay allowed."""
    api_origins = ["'self'"]
    if settings.public_base_url:
        parts = urlsplit(settings.public_base_url)
        api_origins.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-eval'", *_script_hashes(html)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": api_origins,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _serve(page: HTMLResponse, settings: Settings) -> Callable[[], Awaitable[HTMLResponse]]:
    """A route answering ``page``, built once, with the policy its own scripts need."""
    body = bytes(page.body)
    headers = {"Content-Security-Policy": content_security_policy(body, settings)}

    async def docs_page() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)

    return docs_page


def install_docs(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")
    title = f"{app.title} – API reference"
    pages = {
        "swagger_ui": (
            "/docs",
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=title,
                swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
                # No badge fetched from the online validator.
                swagger_ui_parameters={"validatorUrl": None},
            ),
        ),
        "redoc": (
            "/redoc",
            get_redoc_html(
                openapi_url="/openapi.json",
                title=title,
                redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            ),
        ),
    }
    router = APIRouter(include_in_schema=False)
    for name, (path, page) in pages.items():
        endpoint = _serve(page, app.state.settings)
        router.add_api_route(path, endpoint, methods=["GET"], name=name)
    app.include_router(router)
