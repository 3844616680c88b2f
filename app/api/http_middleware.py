"""The base of the app's pure ASGI middleware: which requests a layer handles, said once."""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """A layer that handles the HTTP requests ``applies_to`` accepts, in ``handle``, and
    hands everything else (the lifespan, requests the layer has no business with) straight
    to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def applies_to(self, scope: Scope) -> bool:
        return bool(scope["type"] == "http")

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: it hands back the one that does the work, so choosing
        # adds no coroutine of its own to each of the layers every request goes through.
        if self.applies_to(scope):
            return self.handle(scope, receive, send)
        return self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
