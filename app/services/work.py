"""Bounded CPU work: a budget per request, and a small pool that keeps it off the event loop.

Checking a draft, rendering or validating a template and planning a large sync are pure
CPU. Run on the event loop, one slow call would stall every other request of the process
(``/healthz`` included), so they run in a bounded thread pool instead, and each counts
the work it does against a :class:`WorkBudget`. A thread cannot be stopped from outside,
so the budget is how it stops itself: every loop of such code spends units, and the
first ``spend`` past the limit (in units or in seconds) raises :class:`WorkTooLarge`,
which the API answers as a 422 problem naming what was too large.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

from app.errors import AppError, FieldError

P = ParamSpec("P")
T = TypeVar("T")


class WorkTooLarge(AppError):
    """One request asked for more work than its budget allows."""

    status, slug, title = 422, "work-budget-exceeded", "Too much work"

    def __init__(self, field: str, what: str) -> None:
        message = (
            f"{what} needs more work than one request may cause; send something smaller or simpler"
        )
        super().__init__(f"{field}: {message}", errors=[FieldError(field, message, "too_costly")])
        self.field = field
        self.what = what


class WorkBudget:
    """How much CPU work one request may cause: units counted by the code doing it, and
    seconds on a monotonic clock; ``spend`` raises :class:`WorkTooLarge` past either.

    A unit is whatever the caller counts (a character scanned, a loop iteration, a
    character of output); the limit is chosen so that ordinary work uses a small fraction
    of it. ``spent`` lets tests assert how much work an input caused without timing it.
    """

    __slots__ = ("_clock", "_deadline", "field", "limit", "spent", "what")

    def __init__(
        self,
        *,
        units: int,
        seconds: float,
        field: str,
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = units
        self.spent = 0
        self.field = field
        self.what = what
        self._clock = clock
        self._deadline = clock() + seconds

    def spend(self, units: int = 1) -> None:
        self.spent += units
        if self.spent > self.limit or self._clock() > self._deadline:
            raise WorkTooLarge(self.field, self.what)


def unlimited(field: str = "body", what: str = "the work") -> WorkBudget:
    """A budget that never runs out, for callers with trusted input (built-in templates,
    the demo loader) and for tests that count work."""
    return WorkBudget(units=2**62, seconds=float(2**31), field=field, what=what)


# Records a loop of ORM work handles between two turns of the event loop: a few ms each.
TURN_EVERY = 50


async def take_turns(index: int, every: int = TURN_EVERY) -> None:
    """Let other requests run between slices of work that must stay on the event loop.

    ORM objects belong to the session, and the session to the loop, so building a sync
    batch's thousand rows cannot move to a thread; it can step aside every few dozen.
    """
    if index and index % every == 0:
        await asyncio.sleep(0)


class CpuPool:
    """At most ``threads`` CPU-heavy calls at once, each in a worker thread.

    Calls beyond that wait their turn without blocking the event loop. The limit keeps a
    burst of expensive requests from starving the loop of the interpreter lock: with two
    threads busy, the loop still gets its share and ``/healthz`` answers.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None
        self._lock = threading.Lock()

    def _capacity(self) -> anyio.CapacityLimiter:
        # Made on first use, inside the running event loop the limiter belongs to.
        with self._lock:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self.threads)
            return self._limiter

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(func, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._capacity())


class Work:
    """What a request needs to do CPU-heavy work: the pool to run it in, and a fresh
    budget per call from the configured limits."""

    def __init__(self, pool: CpuPool, *, units: int, seconds: float) -> None:
        self.pool = pool
        self.units = units
        self.seconds = seconds

    def budget(self, field: str, what: str) -> WorkBudget:
        return WorkBudget(units=self.units, seconds=self.seconds, field=field, what=what)

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.pool.run(func, *args, **kwargs)
