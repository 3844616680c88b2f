"""`followup worker`: time-driven events, webhook fan-out and delivery, in one loop.

Each pass does four things, each in its own short transaction:

1. emits `action.overdue` and `action.due` once per action whose window closed or opened
   (found through partial indexes, so the cost follows the number of new events, not the
   number of actions);
2. turns new events into deliveries, one per enabled endpoint that wants the type;
3. claims due deliveries under a lease, sends them concurrently (outside any transaction,
   through the SSRF-guarded transport), then records every attempt;
4. writes again, from their wording, the stored texts of actions written with an older
   catalogue than this release's (a batch per pass, found through an index), so stored
   texts follow a release's edited catalogues without waiting for a re-plan.

Several workers may run against PostgreSQL: every claim is ``FOR UPDATE SKIP LOCKED`` and a
claimed delivery is leased, so no two workers send the same delivery at the same time. On
SIGTERM the worker finishes the attempts in hand, records them and exits.

When the database goes away (a restart, a failover), a pass fails as a whole: each stage's
transaction rolls back, so nothing is half done and nothing due is skipped (the next pass
finds the same actions and events again). The worker logs it, waits a growing pause and
tries again. Attempts it already made are kept in memory and recorded first once the
database is back, so a delivery the receiver already has is not sent again; only if the
worker itself dies before that is it sent again once its lease runs out (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import NamedTuple, Self

import httpx
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import domain
from app.clock import utcnow
from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker
from app.db.faults import classify, first_line
from app.domain.events import EventType
from app.observability import WorkerMetrics, status_class
from app.repositories import actions as actions_repo
from app.repositories import webhooks as repo
from app.services import events, ssrf
from app.services.webhooks import delivery
from app.settings import Settings

logger = logging.getLogger(__name__)

TIME_EVENT_BATCH = 500
FAN_OUT_BATCH = 200
DELIVERY_BATCH = 20
# Written on the event loop, not in a CPU pool (the worker has none, and nothing else runs
# on its loop while a stage runs): a few dozen microseconds an action, about 10 ms a batch.
STALE_TEXTS_BATCH = 200


class TextsPass(NamedTuple):
    """What one pass of :meth:`Worker.rewrite_stale_texts` did."""

    read: int
    rewritten: int


# The longest pause between passes that keep failing (the database is down).
MAX_FAILURE_PAUSE_SECONDS = 30.0


class Worker:
    """One worker process's loop; construct, then ``async with worker: await worker.run(stop)``."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        lease: timedelta | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.metrics = metrics or WorkerMetrics()
        self._settings = settings
        self._service_key = settings.resolved_secret_key()
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not secrecy)
        timeout = settings.webhook_timeout_seconds
        # Longer than any attempt can take (the timeout bounds it) plus time to record it,
        # so a lease only runs out when its worker is gone.
        self.lease = lease or timedelta(seconds=3 * timeout + 30)
        self._client: httpx.AsyncClient | None = None
        # Attempts made but not yet written down: the database failed in between.
        self._unrecorded: list[delivery.AttemptResult] = []

    async def __aenter__(self) -> Self:
        self._client = httpx.AsyncClient(
            transport=ssrf.GuardedTransport(
                allow_private_networks=self._settings.webhook_allow_private_networks
            ),
            follow_redirects=False,
            timeout=httpx.Timeout(self._settings.webhook_timeout_seconds),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- the stages -----------------------------------------------------------------------

    async def emit_time_events(self) -> int:
        """Emit `action.overdue`, then `action.due`, for windows that closed or opened.

        Only open actions that are not snoozed at this moment count. A snoozed action is
        announced when its snooze ends, if it is still open then. An action found with its
        whole window already past (the worker was down, or it was planned that way) gets
        only `action.overdue`: `action.due` would announce a window no longer open.
        """
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            overdue = await repo.lock_newly_overdue(session, now, TIME_EVENT_BATCH)
            for action in overdue:
                events.append_action_event(session, EventType.ACTION_OVERDUE, action, as_of=now)
            await repo.mark_time_events(session, [a.id for a in overdue], now, overdue=True)
            due = await repo.lock_newly_due(session, now, TIME_EVENT_BATCH)
            for action in due:
                if action.due_by > now:
                    events.append_action_event(session, EventType.ACTION_DUE, action, as_of=now)
            await repo.mark_time_events(session, [a.id for a in due], now, overdue=False)
        self.metrics.time_events.inc(len(overdue) + len(due))
        return len(overdue) + len(due)

    async def fan_out(self) -> int:
        async with self._sessionmaker() as session, session.begin():
            return await delivery.fan_out(session, self._clock(), FAN_OUT_BATCH)

    async def deliver(self) -> int:
        """Claim a batch, send it, record it; returns how many attempts were made."""
        await self.record_unrecorded()  # an earlier pass's, if the database failed then
        async with self._sessionmaker() as session, session.begin():
            outgoing = await delivery.claim(
                session,
                self._service_key,
                self._clock(),
                lease=self.lease,
                limit=DELIVERY_BATCH,
                per_endpoint=self._settings.webhook_max_concurrent_per_endpoint,
            )
        if not outgoing:
            return 0
        self._unrecorded = list(await asyncio.gather(*(self.send(item) for item in outgoing)))
        sent = len(self._unrecorded)
        await self.record_unrecorded()
        return sent

    async def record_unrecorded(self) -> None:
        """Write down the attempts made but not recorded yet, in one transaction."""
        if not self._unrecorded:
            return
        try:
            async with self._sessionmaker() as session, session.begin():
                outcomes = [
                    await delivery.settle_attempt(
                        session,
                        result,
                        self._clock(),
                        disable_after=self._settings.webhook_disable_after_failures,
                        rng=self._rng,
                    )
                    for result in self._unrecorded
                ]
        except Exception as exc:
            if classify(exc) is None:
                # Not an outage that will pass: rather than fail every pass from now on,
                # leave these deliveries to their leases (they are sent again after).
                self._unrecorded = []
            raise
        self._unrecorded = []
        # Counted once committed, so a pass the database interrupted is not counted twice.
        for outcome in outcomes:
            if outcome is not None:
                self.metrics.deliveries.labels(outcome).inc()

    async def rewrite_stale_texts(self) -> TextsPass:
        """Write again, from its wording, the texts of each action (a batch) written with
        an older catalogue than this process's, in its language; says how many it read and
        how many it wrote again.

        An action whose texts come out different gets them with a new version (its ETag
        and cached documents change); one whose texts come out the same only has the
        fingerprint recorded, so a client's ETag and If-Match stay good. Each write is a
        compare-and-set on the version read: a row a re-plan changed meanwhile is left,
        and the next pass reads it again if it is still stale. On PostgreSQL the update
        fires the actions trigger's NOTIFY, so other processes' feed pages are dropped.
        """
        fingerprints = {code: domain.catalogue_fingerprint(code) for code in domain.languages()}
        now = self._clock()
        outcomes = {"rewritten": 0, "current": 0, "changed_meanwhile": 0, "unreadable": 0}
        async with self._sessionmaker() as session, session.begin():
            stale = await actions_repo.with_stale_texts(session, fingerprints, STALE_TEXTS_BATCH)
            # Rows whose texts stay as stored, by fingerprint and outcome: one update each.
            unchanged: dict[tuple[str, str], list[actions_repo.StoredTexts]] = {}
            for stored in stale:
                texts_version = fingerprints[stored.language]
                texts = _texts_written_again(stored)
                if texts is None or texts == (stored.title, stored.explanation, stored.guidance):
                    outcome = "unreadable" if texts is None else "current"
                    unchanged.setdefault((texts_version, outcome), []).append(stored)
                elif await actions_repo.rewrite_texts(session, stored, texts, texts_version, now):
                    outcomes["rewritten"] += 1
                else:
                    outcomes["changed_meanwhile"] += 1
            for (texts_version, outcome), rows in unchanged.items():
                confirmed = await actions_repo.confirm_texts(session, rows, texts_version)
                outcomes[outcome] += confirmed
                outcomes["changed_meanwhile"] += len(rows) - confirmed
        # Counted once committed, so a pass the database interrupted is not counted twice.
        for outcome, count in outcomes.items():
            if count:
                self.metrics.action_texts.labels(outcome).inc(count)
        if outcomes["rewritten"] or outcomes["unreadable"]:
            logger.info(
                "wrote %d actions' texts again from the current catalogues "
                "(%d were already current, %d changed meanwhile, %d could not be written)",
                outcomes["rewritten"],
                outcomes["current"],
                outcomes["changed_meanwhile"],
                outcomes["unreadable"],
            )
        return TextsPass(read=len(stale), rewritten=outcomes["rewritten"])

    async def measure(self) -> None:
        """Read the queue's depth and age and how late due events are, for the gauges."""
        now = self._clock()
        async with self._sessionmaker() as session:
            pending, oldest = await repo.pending_deliveries(session)
            due_since = await repo.oldest_unannounced_due_time(session, now)
        self.metrics.pending.set(pending)
        self.metrics.oldest_pending_age.set(_seconds_since(oldest, now))
        self.metrics.due_event_lag.set(_seconds_since(due_since, now))

    async def send(self, item: delivery.Outgoing) -> delivery.AttemptResult:
        """One HTTP attempt; every failure becomes a result, never an exception."""
        assert self._client is not None, "use the worker inside `async with`"
        started_at, started = self._clock(), time.monotonic()
        status_code: int | None = None
        error: str | None = None
        timeout = self._settings.webhook_timeout_seconds
        try:
            # The client's timeouts bound each step; this bounds the whole attempt, so a
            # receiver that trickles its answer cannot hold the worker.
            async with (
                asyncio.timeout(timeout),
                self._client.stream(
                    "POST", item.url, content=item.body, headers=item.headers
                ) as response,
            ):
                status_code = response.status_code
        except TimeoutError:
            error = f"timed out after {timeout:g} s"
        except httpx.HTTPError as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:
            # Whatever one receiver's URL does (say, a host httpx cannot encode), it is that
            # delivery's failed attempt, never a crash that loses the rest of the batch.
            error = f"{type(exc).__name__}: {exc}"
        if status_code is not None and not 200 <= status_code < 300:
            error = f"HTTP {status_code}" + (
                " (redirects are not followed)" if 300 <= status_code < 400 else ""
            )
        duration = time.monotonic() - started
        self.metrics.attempts.labels(status_class(status_code)).inc()
        if status_code is not None:
            self.metrics.attempt_duration.observe(duration)
        return delivery.AttemptResult(
            delivery_id=item.delivery_id,
            attempt=item.attempt,
            started_at=started_at,
            duration_ms=round(duration * 1000),
            status_code=status_code,
            error=error,
        )

    # --- the loop -------------------------------------------------------------------------

    async def run_once(self, stop: asyncio.Event | None = None) -> bool:
        """One pass of every stage; True when a stage filled its batch (more may wait).

        Once ``stop`` is set (SIGTERM) no new batch of deliveries is claimed: the worker
        finishes what it holds and leaves the rest to the next one.
        """
        timed = await self.emit_time_events()
        fanned = await self.fan_out()
        stopping = stop is not None and stop.is_set()
        sent = 0 if stopping else await self.deliver()
        texts = TextsPass(0, 0) if stopping else await self.rewrite_stale_texts()
        await self.measure()
        # A full batch of stale texts, rewritten or only confirmed, makes the next pass
        # start at once: the stale texts among a million confirmations still arrive in
        # minutes, not in hours of poll intervals.
        return (
            timed >= TIME_EVENT_BATCH
            or fanned >= FAN_OUT_BATCH
            or sent >= DELIVERY_BATCH
            or texts.read >= STALE_TEXTS_BATCH
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until ``stop`` is set; a pass in progress is finished first."""
        failures = 0
        while not stop.is_set():
            busy = False
            pause = self._settings.worker_poll_interval_seconds
            try:
                busy = await self.run_once(stop)
                failures = 0
            except Exception as exc:
                # The database may be restarting: log, wait, try again, never die of it.
                failures += 1
                self.metrics.failed_passes.inc()
                pause = self.failure_pause(failures)
                fault = classify(exc)
                if fault is None:
                    logger.exception("worker pass failed; retrying in %.1f s", pause)
                else:
                    logger.warning(
                        "worker pass failed (%s: %s); retrying in %.1f s",
                        fault,
                        first_line(exc),
                        pause,
                    )
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    def failure_pause(self, failures: int) -> float:
        """The pause after ``failures`` failed passes in a row: doubling from the poll
        interval up to a limit, jittered so that several workers do not retry in step."""
        base = self._settings.worker_poll_interval_seconds
        ceiling = max(base, MAX_FAILURE_PAUSE_SECONDS)
        pause: float = min(base * 2.0 ** min(failures - 1, 30), ceiling)
        return pause * (0.5 + self._rng.random() / 2)


def _texts_written_again(stored: actions_repo.StoredTexts) -> tuple[str, str, str] | None:
    """The action's title, explanation and guidance written from its wording with this
    process's catalogues, or None when they cannot be.

    None keeps the texts as stored and the row out of every later pass (its fingerprint is
    recorded as if they were current): a wording this release cannot write (say, it names
    a key a catalogue no longer has) must not fail every pass from now on.
    """
    try:
        return domain.Wording.from_json(json.loads(stored.wording)).render(stored.language)
    except Exception:
        # A bug or a catalogue that lost a key: counted (`unreadable`) and logged as an error.
        logger.error("cannot write the texts of action %s again", stored.id, exc_info=True)
        return None


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


def serve_metrics(metrics: WorkerMetrics, host: str, port: int) -> Callable[[], None]:
    """Serve the worker's `/metrics` from a thread of prometheus_client's own HTTP server;
    returns the function that stops it."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    logger.info("worker metrics on http://%s:%d/metrics", host, server.server_port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


async def run_worker(settings: Settings) -> None:
    """The `followup worker` process: SIGTERM or SIGINT finish the attempt in hand, then exit."""
    engine = create_engine(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    metrics = WorkerMetrics()
    stop_serving_metrics: Callable[[], None] | None = None
    try:
        await migrations.ensure_at_head(engine)
        if settings.worker_metrics_port:
            stop_serving_metrics = serve_metrics(
                metrics, settings.worker_metrics_host, settings.worker_metrics_port
            )
        logger.info("worker started")
        sessionmaker = create_sessionmaker(engine, for_writes=True)
        async with Worker(sessionmaker, settings, metrics=metrics) as worker:
            await worker.run(stop)
        logger.info("worker stopped")
    finally:
        if stop_serving_metrics is not None:
            stop_serving_metrics()
        await engine.dispose()
