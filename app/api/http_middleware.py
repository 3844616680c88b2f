"""The base of the app's pure ASGI middleware: which requests a layer handles, said once."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """A layer that handles the HTTP requests ``applies_to`` accepts, in ``handle``, and
    hands everything else (the lifespan, requests the layer has no business with) straight
    to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def applies_to(self, scope: Scope) -> bool:
        return bool(scope["type"] == "http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.applies_to(scope):
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
