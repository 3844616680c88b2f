"""Rate limits per credential and per tenant, and the RateLimit headers that report them.

Every authenticated request is counted once, right after its key is known: by the auth
dependency (app/api/deps.py) for routes, and by the feed's page cache (app/api/feed_pages.py)
for the pages it answers before dependencies run. Both call :meth:`RateLimiter.enforce`,
which decides here, for every route, whether the request may go on.

Each request counts against its key's limit and its tenant's (a candidate token counts as
a key of its own: its limit is the key's, and its requests count towards its tenant's);
an expensive one (a draft check or render, a sync batch, a template write) also against
the lower expensive limits.
Limits are counted with the ``limits`` library's sliding window counter: two counters per
limit, in Redis when ``redis_url`` is set (shared by every process and host), else in this
process's memory. Keys are checked before tenants and expensive limits before ordinary
ones, and counting stops at the first limit that refuses: a key past its own limit does not
use up what its tenant's other keys may still do.

When Redis fails (refused, timed out, any error), requests are counted in this process's
memory instead and Redis is tried again a few seconds later: the limits still hold per
process, no request is refused or failed because of the outage, and a warning is logged.

The outcome is kept in the request's ASGI scope, and the request-context middleware
(app/api/middleware.py) writes it on the response, whatever the response is (200, 404,
422, 429), in the form of
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
from dataclasses import dataclass, field
from enum import StrEnum

from limits import RateLimitItem, WindowStats
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.types import Scope

from app.errors import RateLimited
from app.observability import Metrics
from app.services.credentials import Principal
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
    # The most requests one lease may count ahead (see Lease).
    max_lease: int

    @classmethod
    def of(cls, counted: Counted, cost: Cost, limit: str) -> Policy:
        name = counted.value if cost is Cost.DEFAULT else f"{counted.value}-{cost.value}"
        item = parse_rate_limit(limit)
        description = f'"{name}";q={item.amount};w={item.get_expiry()}'
        max_lease = max(1, min(item.amount // 100, MAX_LEASE_SIZE))
        return cls(name, counted, cost, item, description, max_lease)

    def summary(self, principal: Principal) -> str:
        """The limit in words, e.g. "the tenant's limit of 300 expensive requests per minute"."""
        if self.counted is Counted.TENANT:
            whose = "tenant's"
        elif principal.candidate_id is not None:
            whose = "candidate token's"
        else:
            whose = "API key's"
        what = "requests" if self.cost is Cost.DEFAULT else EXPENSIVE_REQUESTS
        return (
            f"the {whose} limit (`{self.name}`) of {self.item.amount} {what} per "
            f"{_window(self.item)}"
        )

    def who(self, principal: Principal) -> str:
        """Whose count a request adds to: its credential's (an API key's or a candidate
        token's own ID) or its tenant's."""
        return principal.key_id if self.counted is Counted.KEY else principal.tenant_id


@dataclass(slots=True)
class Decision:
    """What counting one request found: each policy's requests left and seconds to the
    next drop, and the policy that refused it, if one did."""

    policy_header: bytes
    usage: tuple[tuple[Policy, int, int], ...]
    refused: Policy | None

    def headers(self) -> list[tuple[bytes, bytes]]:
        state = ", ".join(f'"{p.name}";r={left};t={reset}' for p, left, reset in self.usage)
        return [(b"ratelimit-policy", self.policy_header), (b"ratelimit", state.encode())]


class LeasedDecision:
    """A request handed out by leases already held (the fast path): the same headers as a
    :class:`Decision`, formatted from numbers taken when it was counted."""

    __slots__ = ("policy_header", "state", "state_format")
    refused = None

    def __init__(self, policy_header: bytes, state_format: bytes, state: tuple[int, ...]) -> None:
        self.policy_header = policy_header
        self.state_format = state_format  # e.g. b'"key";r=%d;t=%d, "tenant";r=%d;t=%d'
        self.state = state  # requests left and seconds to reset, policy after policy

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-policy", self.policy_header),
            (b"ratelimit", self.state_format % self.state),
        ]


# What the headers middleware finds in a request's scope.
Outcome = Decision | LeasedDecision

# How long a lease of counted requests lasts; what it did not use by then stays counted.
LEASE_SECONDS = 1.0
# The largest lease: a hundredth of the limit, and never more than this many requests
# (a busy caller of a high limit then refills about ten times a second, not eighty).
MAX_LEASE_SIZE = 512
# Leases kept per store before spent ones are dropped.
MAX_LEASES = 10_000


@dataclass(slots=True)
class Lease:
    """Requests of one limit counted in the store ahead of time, handed out one by one.

    Counting every request in the store (two calls of the ``limits`` library per limit,
    or two round trips to Redis) costs more than a cached feed page does to serve. So a
    busy caller's requests are counted a lease at a time: a lease used up within
    ``LEASE_SECONDS`` doubles the next one (up to a hundredth of the limit), one that
    expires half used halves it. A lease of one is the plain count, so a quiet caller,
    and every caller near its limit, is counted request by request. What a lease counted
    but did not hand out stays counted until the window forgets it: at most a hundredth
    of the limit per process, always against the caller, never in its favour.
    """

    granted: int
    remaining: int  # the limit's remaining count in the store once this lease was counted
    reset_at: float  # wall-clock time the store's count next drops
    size: int
    used: int = 1  # the request that asked for the lease
    expires: float = field(default_factory=lambda: time.monotonic() + LEASE_SECONDS)

    def take(self) -> bool:
        if self.used >= self.granted or time.monotonic() >= self.expires:
            return False
        self.used += 1
        return True

    def left(self) -> int:
        """Requests the caller may still make: the store's count, plus what this lease
        counted but has not handed out yet."""
        return self.remaining + self.granted - self.used

    def reset_in(self) -> int:
        return self.reset_in_from(time.time())

    def reset_in_from(self, wall_clock: float) -> int:
        return max(1, math.ceil(self.reset_at - wall_clock))

    @staticmethod
    def next_size(previous: Lease | None, largest: int) -> int:
        if previous is None or largest <= 1:
            return 1
        if previous.used >= previous.granted and time.monotonic() < previous.expires:
            return min(previous.size * 2, largest)  # used up early: a busy caller
        if previous.used * 2 <= previous.granted:
            return max(1, previous.size // 2)  # mostly unused: a quieter one
        return previous.size


def _reset_in(policy: Policy, window: WindowStats) -> int:
    reset = max(0, math.ceil(window.reset_time - time.time()))
    if window.remaining < policy.item.amount:
        # Something is counted, so it drops later, not "now" (the library's estimate can
        # round to 0): and a Retry-After of 0 would make clients spin.
        reset = max(1, reset)
    return reset


def _forget_spent(leases: dict[tuple[str, str], Lease]) -> None:
    now = time.monotonic()
    for key in [key for key, lease in leases.items() if lease.expires <= now]:
        del leases[key]


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
        self._state_formats = {
            cost: ", ".join(f'"{p.name}";r=%d;t=%d' for p in policies).encode()
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
        # Leases by (policy, key or tenant ID), one table per store: memory, then Redis.
        self._leases: dict[bool, dict[tuple[str, str], Lease]] = {False: {}, True: {}}
        # The leases each key last held for each cost, by (Redis or memory, cost, key ID):
        # the fast path checks these objects without looking each one up.
        self._held: dict[tuple[bool, Cost, str], tuple[Lease, ...]] = {}
        # Reservations in flight, by (policy, key or tenant ID): see _lease.
        self._reserving: dict[tuple[str, str], asyncio.Future[None]] = {}

    @property
    def shared(self) -> bool:
        """Whether counts are kept in Redis right now (not in memory for an outage)."""
        return self._redis is not None and time.monotonic() >= self._redis_down_until

    async def enforce(self, scope: Scope, principal: Principal, cost: Cost) -> None:
        """Count the request once (later calls for the same request do nothing); raise
        :class:`RateLimited` when a limit refuses it."""
        if SCOPE_KEY in scope:
            return
        leased = self._from_leases(principal, cost)
        if leased is not None:
            scope[SCOPE_KEY] = leased
            return
        decision = await self._decide(principal, cost)
        scope[SCOPE_KEY] = decision
        refused = decision.refused
        if refused is not None:
            self.metrics.rate_limited.labels(refused.name).inc()
            retry_after = next(reset for p, _, reset in decision.usage if p is refused)
            raise RateLimited(
                f"This request is over {refused.summary(principal)}; retry after {retry_after} s.",
                retry_after_seconds=retry_after,
            )

    def _from_leases(self, principal: Principal, cost: Cost) -> LeasedDecision | None:
        """The request handed out by the leases it already holds, with no store call and
        nothing awaited: the common case of a busy caller. None when any lease is spent.

        This runs on every request of a busy caller, so it does as little as it can: the
        leases come from one lookup of what the key last held, and the headers' numbers
        are taken as integers, to be formatted once the response is written.
        """
        held = self._held.get((self.shared, cost, principal.key_id))
        if held is None:
            return None
        now = time.monotonic()
        for lease in held:
            if lease.used >= lease.granted or now >= lease.expires:
                return None
        wall_clock = time.time()
        state: list[int] = []
        for lease in held:
            lease.used += 1
            # Lease.left() and Lease.reset_in(), inlined: this runs on every request.
            reset_in = math.ceil(lease.reset_at - wall_clock)
            state += (lease.remaining + lease.granted - lease.used, reset_in if reset_in > 1 else 1)
        return LeasedDecision(self._policy_headers[cost], self._state_formats[cost], tuple(state))

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
        leases = self._leases[limiter is self._redis]
        usage = []
        held = []
        refused: Policy | None = None
        for policy in policies:  # in order, stopping at the first refusal
            lease = await self._lease(limiter, leases, policy, policy.who(principal))
            if lease is None:
                refused = policy
                break
            held.append(lease)
            usage.append((policy, lease.left(), lease.reset_in()))
        if refused is None:
            self._held[(limiter is self._redis, cost, principal.key_id)] = tuple(held)
        if refused is not None:
            # Every policy is reported, the refusing one (and those after it, uncounted)
            # read afresh.
            for policy in policies[len(usage) :]:
                window = await limiter.get_window_stats(
                    policy.item, policy.name, policy.who(principal)
                )
                usage.append((policy, window.remaining, _reset_in(policy, window)))
        if len(leases) > MAX_LEASES:
            _forget_spent(leases)
            if len(leases) > MAX_LEASES:
                # All still live: drop them rather than scan again on every request. A
                # lease is an advance on counts already kept in the store, so dropping one
                # costs its holder at most what it had counted ahead.
                leases.clear()
        if len(self._held) > MAX_LEASES:
            # Held leases are only a shortcut to leases: dropping them costs a lookup.
            self._held.clear()
        return Decision(self._policy_headers[cost], tuple(usage), refused)

    async def _lease(
        self,
        limiter: SlidingWindowCounterRateLimiter,
        leases: dict[tuple[str, str], Lease],
        policy: Policy,
        who: str,
    ) -> Lease | None:
        """A lease that handed this request out, or None when the limit refuses it.

        One reservation per caller and limit is in flight at a time: requests that find
        the lease spent while another reserves wait for that one, rather than each
        reserving (and each paying a round trip to Redis) at once.
        """
        key = (policy.name, who)
        while True:
            lease = leases.get(key)
            if lease is not None and lease.take():
                return lease
            pending = self._reserving.get(key)
            if pending is None:
                break
            await asyncio.shield(pending)
        reserving: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reserving[key] = reserving
        try:
            lease = await self._reserve(limiter, policy, who, lease)
            if lease is not None:
                leases[key] = lease
            return lease
        finally:
            del self._reserving[key]
            reserving.set_result(None)

    async def _reserve(
        self,
        limiter: SlidingWindowCounterRateLimiter,
        policy: Policy,
        who: str,
        previous: Lease | None,
    ) -> Lease | None:
        """Count a new lease of requests for ``policy`` and ``who`` (this one among them),
        or None when the limit refuses even one."""
        size = Lease.next_size(previous, policy.max_lease)
        granted = size
        if not await limiter.hit(policy.item, policy.name, who, cost=size):
            # Near the limit a lease shrinks to the request itself: counting stays exact
            # where it decides.
            granted = 1
            if size == 1 or not await limiter.hit(policy.item, policy.name, who):
                return None
        window = await limiter.get_window_stats(policy.item, policy.name, who)
        return Lease(
            granted=granted,
            remaining=window.remaining,
            reset_at=time.time() + _reset_in(policy, window),
            size=granted,
        )

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
