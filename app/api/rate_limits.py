"""Rate limits per API key and per tenant, and the RateLimit headers that report them.

Every authenticated request is counted once, right after its key is known: by the auth
dependency (app/api/deps.py) for routes, and by the feed's page cache (app/api/feed_pages.py)
for the pages it answers before dependencies run. Both call :meth:`RateLimiter.enforce`,
which decides here, for every route, whether the request may go on.

Each request counts against its key's limit and its tenant's; an expensive one (a draft
check or render, a sync batch, a template write) also against the lower expensive limits.
Limits are counted with the ``limits`` library's sliding window counter: two counters per
limit, in Redis when ``redis_url`` is set (shared by every process and host), else in this
process's memory. Keys are checked before tenants and expensive limits before ordinary
ones, and counting stops at the first limit that refuses: a key past its own limit does not
use up what its tenant's other keys may still do.

When Redis fails (refused, timed out, any error), requests are counted in this process's
memory instead and Redis is tried again a few seconds later: the limits still hold per
process, no request is refused or failed because of the outage, and a warning is logged.

The outcome is kept in the request's ASGI scope, and :class:`RateLimitHeadersMiddleware`
writes it on the response, whatever the response is (200, 404, 422, 429), in the form of
draft-ietf-httpapi-ratelimit-headers-10::

    RateLimit-Policy: "key";q=600;w=60, "tenant";q=3000;w=60
    RateLimit: "key";r=598;t=1, "tenant";r=2990;t=1

``q`` is the quota, ``w`` the window in seconds, ``r`` the requests left and ``t`` the
seconds (rounded up) until the count next drops. Expensive requests add the
``"key-expensive"`` and ``"tenant-expensive"`` policies.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import RateLimited
from app.observability import Metrics
from app.services.api_keys import Principal
from app.settings import Settings, parse_rate_limit

logger = logging.getLogger(__name__)

# Where a request's outcome waits in its ASGI scope for the headers middleware.
SCOPE_KEY = "followup.rate_limit"
# How long requests are counted in memory after Redis failed, before Redis is tried again.
REDIS_RETRY_SECONDS = 5.0
# The headers (also listed in CORS's exposed headers).
POLICY_HEADER = "RateLimit-Policy"
STATE_HEADER = "RateLimit"
EXPENSIVE_REQUESTS = "expensive requests (draft checks and renders, sync batches, template writes)"


class Cost(StrEnum):
    """How heavy a route is: expensive ones count against lower limits as well."""

    DEFAULT = "default"
    EXPENSIVE = "expensive"


class Counted(StrEnum):
    """Whose requests a limit counts together."""

    KEY = "key"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class Policy:
    """One limit: its name in the headers, whom it counts, and how many per window."""

    name: str
    counted: Counted
    cost: Cost
    item: RateLimitItem
    # The policy's member of the RateLimit-Policy list, built once.
    description: str

    @classmethod
    def of(cls, counted: Counted, cost: Cost, limit: str) -> Policy:
        name = counted.value if cost is Cost.DEFAULT else f"{counted.value}-{cost.value}"
        item = parse_rate_limit(limit)
        description = f'"{name}";q={item.amount};w={item.get_expiry()}'
        return cls(name, counted, cost, item, description)

    def summary(self) -> str:
        """The limit in words, e.g. "the tenant's limit of 300 expensive requests per minute"."""
        whose = "API key" if self.counted is Counted.KEY else "tenant"
        what = "requests" if self.cost is Cost.DEFAULT else EXPENSIVE_REQUESTS
        return (
            f"the {whose}'s limit (`{self.name}`) of {self.item.amount} {what} per "
            f"{_window(self.item)}"
        )

    def who(self, principal: Principal) -> str:
        return principal.key_id if self.counted is Counted.KEY else principal.tenant_id


@dataclass(frozen=True, slots=True)
class Decision:
    """What counting one request found: each policy's requests left and seconds to the
    next drop, and the policy that refused it, if one did."""

    policy_header: bytes
    usage: tuple[tuple[Policy, int, int], ...]
    refused: Policy | None

    def headers(self) -> list[tuple[bytes, bytes]]:
        state = ", ".join(f'"{p.name}";r={left};t={reset}' for p, left, reset in self.usage)
        return [(b"ratelimit-policy", self.policy_header), (b"ratelimit", state.encode())]


class RateLimiter:
    """Counts requests per key and per tenant, in Redis or in this process's memory."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.metrics = metrics
        key = Policy.of(Counted.KEY, Cost.DEFAULT, settings.rate_limit_per_key)
        tenant = Policy.of(Counted.TENANT, Cost.DEFAULT, settings.rate_limit_per_tenant)
        key_expensive = Policy.of(
            Counted.KEY, Cost.EXPENSIVE, settings.rate_limit_expensive_per_key
        )
        tenant_expensive = Policy.of(
            Counted.TENANT, Cost.EXPENSIVE, settings.rate_limit_expensive_per_tenant
        )
        # In the order they are counted (see the module's docstring).
        self.policies = {
            Cost.DEFAULT: (key, tenant),
            Cost.EXPENSIVE: (key_expensive, key, tenant_expensive, tenant),
        }
        self._policy_headers = {
            cost: ", ".join(p.description for p in policies).encode()
            for cost, policies in self.policies.items()
        }
        self._memory = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._redis_storage: Storage | None = None
        self._redis: SlidingWindowCounterRateLimiter | None = None
        if settings.redis_url:
            self._redis_storage = RedisStorage(
                "async+" + settings.redis_url,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=settings.redis_key_prefix,
                socket_timeout=settings.redis_timeout_seconds,
                socket_connect_timeout=settings.redis_timeout_seconds,
            )
            self._redis = SlidingWindowCounterRateLimiter(self._redis_storage)
        self._redis_down_until = 0.0

    @property
    def shared(self) -> bool:
        """Whether counts are kept in Redis right now (not in memory for an outage)."""
        return self._redis is not None and time.monotonic() >= self._redis_down_until

    async def enforce(self, scope: Scope, principal: Principal, cost: Cost) -> None:
        """Count the request once (later calls for the same request do nothing); raise
        :class:`RateLimited` when a limit refuses it."""
        if SCOPE_KEY in scope:
            return
        decision = await self._decide(principal, cost)
        scope[SCOPE_KEY] = decision
        refused = decision.refused
        if refused is not None:
            self.metrics.rate_limited.labels(refused.name).inc()
            retry_after = next(reset for p, _, reset in decision.usage if p is refused)
            raise RateLimited(
                f"This request is over {refused.summary()}; retry after {retry_after} s.",
                retry_after_seconds=retry_after,
            )

    async def _decide(self, principal: Principal, cost: Cost) -> Decision:
        if self.shared:
            assert self._redis is not None
            try:
                return await self._count(self._redis, principal, cost)
            except (StorageError, OSError, TimeoutError) as exc:
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                logger.warning(
                    "rate limits: Redis failed (%s: %s); counting in this process's memory "
                    "for %.0f s",
                    type(exc).__name__,
                    exc,
                    REDIS_RETRY_SECONDS,
                )
        return await self._count(self._memory, principal, cost)

    async def _count(
        self, limiter: SlidingWindowCounterRateLimiter, principal: Principal, cost: Cost
    ) -> Decision:
        policies = self.policies[cost]
        refused: Policy | None = None
        for policy in policies:  # in order, stopping at the first refusal
            if not await limiter.hit(policy.item, policy.name, policy.who(principal)):
                refused = policy
                break
        if limiter is self._redis:
            # Each read is a round trip to Redis: wait for them together, not in turn.
            windows = await asyncio.gather(
                *(limiter.get_window_stats(p.item, p.name, p.who(principal)) for p in policies)
            )
        else:
            # In memory nothing waits: a task per read would only add work.
            windows = [
                await limiter.get_window_stats(p.item, p.name, p.who(principal)) for p in policies
            ]
        now = time.time()
        usage = []
        for policy, window in zip(policies, windows, strict=True):
            reset = max(0, math.ceil(window.reset_time - now))
            if window.remaining < policy.item.amount:
                # Something is counted, so it drops later, not "now" (the library's
                # estimate can round to 0): and a Retry-After of 0 would make clients spin.
                reset = max(1, reset)
            usage.append((policy, window.remaining, reset))
        return Decision(self._policy_headers[cost], tuple(usage), refused)

    async def close(self) -> None:
        """Release the Redis connections, if any."""
        if self._redis_storage is not None:
            await self._redis_storage.bridge.storage.aclose()  # type: ignore[attr-defined]


def _window(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    for unit, length in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % length == 0:
            count = seconds // length
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


class RateLimitHeadersMiddleware:
    """Writes the RateLimit-Policy and RateLimit headers on every counted request's
    response (and nothing on requests never counted: unauthenticated, or limits off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision: Decision | None = scope.get(SCOPE_KEY)
                if decision is not None:
                    message["headers"] = [*message.get("headers", ()), *decision.headers()]
            await send(message)

        await self.app(scope, receive, send_with_limits)
