"""The feed's SQL tells each action's status exactly as the domain's ``status_of`` does.

The feed computes statuses in the database (to filter on them and to answer without
loading whole rows), so every combination the domain distinguishes is stored here and
read back through the feed, unfiltered and filtered by each status.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Action
from app.domain import ActionStatus, ActionType, MarkKind
from app.repositories.actions import (
    ActionFilter,
    feed,
    first_per_application,
    for_interview,
    next_status_change,
)
from app.repositories.owners import Owner
from app.services.actions import action_status
from app.services.planning import resolution_of
from app.settings import Settings
from tests.api.builders import new_application
from tests.conftest import Tenant, make_tenant

AS_OF = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOWS = {
    "upcoming": (AS_OF + HOUR, AS_OF + 5 * HOUR),
    "due": (AS_OF - HOUR, AS_OF + HOUR),
    "overdue": (AS_OF - 5 * HOUR, AS_OF - HOUR),
    "closes exactly now": (AS_OF - HOUR, AS_OF),
    "opens exactly now": (AS_OF, AS_OF + HOUR),
}
MARKS: dict[str, tuple[MarkKind | None, datetime | None]] = {
    "none": (None, None),
    "done": (MarkKind.DONE, None),
    "dismissed": (MarkKind.DISMISSED, None),
    "snoozed, still": (MarkKind.SNOOZED, AS_OF + 2 * HOUR),
    "snoozed until exactly now": (MarkKind.SNOOZED, AS_OF),
    "snoozed, over": (MarkKind.SNOOZED, AS_OF - 2 * HOUR),
}


def stored_action(tenant_id: str, application: dict[str, Any], name: str, **fields: Any) -> Action:
    """An action of the application, closed or open as its fields say, ready to add."""
    row = Action(
        id=f"act_{name}",
        tenant_id=tenant_id,
        application_id=application["id"],
        candidate_id=application["candidate_id"],
        key=f"E1:{name}",
        rule="E1",
        type="confirm_interviewers",
        channel="email",
        title="t",
        explanation="e",
        guidance="g",
        **fields,
    )
    row.resolution = resolution_of(row)
    return row


async def test_feed_status_matches_the_domain_for_every_combination(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    application = await new_application(client)
    expected: dict[str, ActionStatus] = {}
    rows: list[Action] = []
    async with sessionmaker() as session, session.begin():
        combinations = itertools.product(
            WINDOWS.items(), MARKS.items(), [False, True], [False, True]
        )
        for number, ((_, window), (_, mark), satisfied, obsolete) in enumerate(combinations):
            row = stored_action(
                tenant.id,
                application,
                f"status_{number:03d}",
                available_from=window[0],
                due_by=window[1],
                satisfied=satisfied,
                obsolete_at=AS_OF - 3 * HOUR if obsolete else None,
                mark=mark[0].value if mark[0] else None,
                marked_at=AS_OF - 4 * HOUR if mark[0] else None,
                snoozed_until=mark[1],
            )
            session.add(row)
            rows.append(row)
            expected[row.id] = action_status(row, AS_OF)

    async with sessionmaker() as session:
        page = await feed(
            session, Owner(tenant.id), ActionFilter(as_of=AS_OF), cursor=None, limit=len(expected)
        )
        assert {item.id: ActionStatus(item.status) for item in page.items} == expected
        # Every status occurs, so each filter below is tested against a real subset.
        assert set(expected.values()) == set(ActionStatus)
        for status in ActionStatus:
            filtered = await feed(
                session,
                Owner(tenant.id),
                ActionFilter(as_of=AS_OF, statuses=[status]),
                cursor=None,
                limit=len(expected),
            )
            assert {item.id for item in filtered.items} == {
                action_id for action_id, found in expected.items() if found is status
            }

        # No status changes before the next status change, and some change at it: what a
        # cached feed page relies on.
        moment = await next_status_change(session, tenant.id, AS_OF)
    assert moment is not None and moment > AS_OF
    just_before = moment - timedelta(microseconds=1)
    assert [action_status(row, just_before) for row in rows] == list(expected.values())
    assert [action_status(row, moment) for row in rows] != list(expected.values())


async def test_next_status_change_is_the_first_window_edge_or_snooze_end_after_as_of(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    application = await new_application(client)

    def action(number: int, **fields: Any) -> Action:
        return stored_action(tenant.id, application, f"moment_{number}", **fields)

    async def next_change(tenant_id: str = tenant.id) -> datetime | None:
        async with sessionmaker() as session:
            return await next_status_change(session, tenant_id, AS_OF)

    async def add(row: Action) -> None:
        async with sessionmaker() as session, session.begin():
            session.add(row)

    assert await next_change() is None  # an application alone plans nothing
    # Edges at or before as_of are behind it, so they do not count.
    await add(action(1, available_from=AS_OF - 5 * HOUR, due_by=AS_OF))
    assert await next_change() is None
    await add(action(2, available_from=AS_OF - HOUR, due_by=AS_OF + 9 * HOUR))
    assert await next_change() == AS_OF + 9 * HOUR
    await add(action(3, available_from=AS_OF + 8 * HOUR, due_by=AS_OF + 20 * HOUR))
    assert await next_change() == AS_OF + 8 * HOUR
    snoozed = action(
        4,
        available_from=AS_OF - 2 * HOUR,
        due_by=AS_OF - HOUR,
        mark=MarkKind.SNOOZED.value,
        marked_at=AS_OF - HOUR,
        snoozed_until=AS_OF + 7 * HOUR,
    )
    await add(snoozed)
    assert await next_change() == AS_OF + 7 * HOUR
    # Closed actions keep their status whatever the time: their edges do not count.
    closings: list[dict[str, Any]] = [
        {"mark": MarkKind.DONE.value, "marked_at": AS_OF - HOUR},
        {"mark": MarkKind.DISMISSED.value, "marked_at": AS_OF - HOUR},
        {"obsolete_at": AS_OF - HOUR},
        {"satisfied": True},
    ]
    for number, fields in enumerate(closings, start=5):
        await add(action(number, available_from=AS_OF + HOUR, due_by=AS_OF + 2 * HOUR, **fields))
    assert await next_change() == AS_OF + 7 * HOUR
    # Nor do another tenant's.
    assert await next_change("ten_someone_else") is None


async def test_the_assistant_s_queries_read_the_owner_s_actions_alone(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    settings: Settings,
) -> None:
    application = await new_application(client)
    due = WINDOWS["due"]
    async with sessionmaker() as session, session.begin():
        for number in range(3):
            session.add(
                stored_action(
                    tenant.id,
                    application,
                    f"owned_{number}",
                    interview_id="int_x",
                    available_from=due[0],
                    due_by=due[1] + number * HOUR,
                )
            )
    stranger = await make_tenant(sessionmaker, settings, name="Stranger Careers")
    owners = {
        "the tenant": Owner(tenant.id),
        "its candidate": Owner(tenant.id, candidate_id=application["candidate_id"]),
        "another tenant": Owner(stranger.id),
        "another candidate": Owner(tenant.id, candidate_id="cand_someone_else"),
    }
    expected = ["act_owned_0", "act_owned_1"]
    async with sessionmaker() as session:
        for who, owner in owners.items():
            mine = who in {"the tenant", "its candidate"}
            first = await first_per_application(
                session,
                owner,
                [application["id"]],
                statuses=[ActionStatus.DUE],
                as_of=AS_OF,
                per_application=2,
            )
            assert set(first) == ({application["id"]} if mine else set()), who
            assert [row.id for row in first.get(application["id"], [])] == (
                expected if mine else []
            ), who
            notes = await for_interview(
                session,
                owner,
                application["id"],
                "int_x",
                types=[ActionType.CONFIRM_INTERVIEWERS],
                limit=2,
            )
            assert [row.id for row in notes] == (expected if mine else []), who
