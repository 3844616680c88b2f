"""Benchmark: the worker's due-event scan among 1,000,000 actions on PostgreSQL.

Run with ``python -m tests.perf.bench_due_scan [--database-url URL] [--actions N]
[--runs N] [--batch N] [--ahead-hours H]``. It creates a fresh database beside the admin
URL's, seeds one tenant with N actions (tests/perf/_seed.py: 16% open, the rest history),
and marks every window that had opened or closed by the seeding moment as announced, as a
worker that has been running would have left it. Then, ``--ahead-hours`` later, it times
the worker's own queries finding and marking one batch of newly due actions (lock them
``FOR UPDATE SKIP LOCKED``, add their `action.due` events, mark them) and the same for
newly overdue ones, each run in a transaction rolled back afterwards so every run sees the
same work. It prints the medians and the EXPLAIN of both scans, which must read the
partial indexes rather than the table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import create_engine, create_sessionmaker
from app.db.models import Action
from app.domain.events import EventType
from app.repositories import webhooks as repo
from app.services import events
from app.settings import Settings
from tests.perf import _seed

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"

Scan = Callable[[AsyncSession, datetime, int], Awaitable[list[Action]]]


async def settle(database: _seed.BenchDatabase, now: datetime) -> dict[str, int]:
    """Mark what a running worker would already have announced; count what is left."""
    connection = await asyncpg.connect(database.url)
    try:
        await connection.execute(
            "UPDATE actions SET due_event_at = available_from WHERE available_from <= $1", now
        )
        await connection.execute(
            "UPDATE actions SET overdue_event_at = due_by WHERE due_by <= $1", now
        )
        await connection.execute("VACUUM ANALYZE actions")
        return {
            "actions": await connection.fetchval("SELECT count(*) FROM actions"),
            "open": await connection.fetchval(
                "SELECT count(*) FROM actions WHERE resolution IS NULL"
            ),
            "due_pending": await connection.fetchval(
                "SELECT count(*) FROM actions WHERE resolution IS NULL AND due_event_at IS NULL"
            ),
            "overdue_pending": await connection.fetchval(
                "SELECT count(*) FROM actions WHERE resolution IS NULL AND overdue_event_at IS NULL"
            ),
        }
    finally:
        await connection.close()


def scan_statement(overdue: bool, at: datetime, batch: int) -> Select[Any]:
    """The statement the repository runs, rebuilt here to EXPLAIN it (same conditions)."""
    from sqlalchemy import or_, select

    not_snoozed = or_(Action.snoozed_until.is_(None), Action.snoozed_until <= at)
    if overdue:
        conditions = [
            Action.resolution.is_(None),
            Action.overdue_event_at.is_(None),
            Action.due_by <= at,
        ]
        order = Action.due_by
    else:
        conditions = [
            Action.resolution.is_(None),
            Action.due_event_at.is_(None),
            Action.available_from <= at,
        ]
        order = Action.available_from
    return (
        select(Action.id)
        .where(*conditions, not_snoozed)
        .order_by(order)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


async def explain(database: _seed.BenchDatabase, statement: Select[Any]) -> str:
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    connection = await asyncpg.connect(database.url)
    try:
        async with connection.transaction():
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", *parameters)
            raise _Rollback
    except _Rollback:
        return "\n".join(row[0] for row in rows)
    finally:
        await connection.close()


class _Rollback(Exception):
    pass


async def time_scan(
    settings: Settings,
    scan: Scan,
    event_type: EventType,
    at: datetime,
    batch: int,
    runs: int,
) -> tuple[list[float], int]:
    """Seconds per run of find + record events + mark, rolled back each time; rows found."""
    engine = create_engine(settings)
    factory = create_sessionmaker(engine)
    durations: list[float] = []
    found = 0
    try:
        for _ in range(runs + 1):  # the first run warms caches and is not counted
            async with factory() as session:
                transaction = await session.begin()
                started = time.perf_counter()
                actions = await scan(session, at, batch)
                for action in actions:
                    events.append_action_event(session, event_type, action)
                await repo.mark_time_events(
                    session,
                    [a.id for a in actions],
                    at,
                    overdue=event_type is EventType.ACTION_OVERDUE,
                )
                await session.flush()
                durations.append(time.perf_counter() - started)
                found = len(actions)
                await transaction.rollback()
    finally:
        await engine.dispose()
    return durations[1:], found


async def main(args: argparse.Namespace) -> None:
    database = await _seed.create_database(args.database_url)
    try:
        [(tenant_id, key)] = await _seed.migrate_and_create_tenants(
            database, "bench-secret", ["Bench firm"]
        )
        seeded_at = datetime.now(UTC)
        seconds = await _seed.seed(
            database, [_seed.BenchTenant(id=tenant_id, key=key, actions=args.actions)], seeded_at
        )
        print(f"seeded {args.actions:,} actions in {seconds:.1f} s")
        counts = await settle(database, seeded_at)
        print(
            f"after settling: {counts['actions']:,} actions, {counts['open']:,} open; "
            f"due event pending on {counts['due_pending']:,}, "
            f"overdue event pending on {counts['overdue_pending']:,}"
        )
        at = seeded_at + timedelta(hours=args.ahead_hours)
        settings = Settings(database_url=database.url, secret_key="bench-secret")
        for label, scan, event_type, overdue in (
            ("due", repo.lock_newly_due, EventType.ACTION_DUE, False),
            ("overdue", repo.lock_newly_overdue, EventType.ACTION_OVERDUE, True),
        ):
            durations, found = await time_scan(
                settings, scan, event_type, at, args.batch, args.runs
            )
            median_ms = statistics.median(durations) * 1000
            spread = f"{min(durations) * 1000:.1f}-{max(durations) * 1000:.1f}"
            print(
                f"\n{label}: {found} newly {label} actions found, evented and marked "
                f"{args.ahead_hours:g} h after seeding; median {median_ms:.1f} ms over "
                f"{len(durations)} runs (range {spread} ms)"
            )
            print(await explain(database, scan_statement(overdue, at, args.batch)))
    finally:
        if not args.keep_database:
            await _seed.drop_database(database)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_ADMIN_URL, help="admin URL of the server")
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500, help="the worker's batch size")
    parser.add_argument(
        "--ahead-hours", type=float, default=6.0, help="how long after seeding the scan runs"
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
