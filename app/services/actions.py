"""Use cases on actions and the policy: marks (done, dismissed, snoozed), undo, re-plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.clock import utcnow
from app.db import models
from app.domain.events import EventType
from app.errors import InvalidInput, found
from app.repositories import actions as action_repo
from app.repositories import records as repo
from app.repositories.actions import ActionFilter as ActionFilter  # re-exported for routers
from app.repositories.owners import Owner
from app.repositories.pagination import PageResult
from app.services import events
from app.services.action_views import action_etag as action_etag  # for routers
from app.services.action_views import action_status as action_status  # for routers
from app.services.planning import load_policy, replan, replan_many, resolution_of
from app.services.preconditions import check_if_match
from app.services.work import Work

# Applications re-planned per bulk load when a policy changes: bounded memory, few queries.
REPLAN_CHUNK = 500


async def get_action(session: AsyncSession, owner: Owner, action_id: str) -> models.Action:
    action = await repo.get_owned(session, models.Action, owner, action_id)
    return found(action, f"No action {action_id}.")


async def mark_action(
    session: AsyncSession,
    owner: Owner,
    action_id: str,
    kind: domain.MarkKind | None,
    *,
    at: datetime | None = None,
    snoozed_until: datetime | None = None,
    reason: str | None = None,
    if_match: str | None = None,
    language: str | None = None,
) -> models.Action:
    """Put the user's mark on an action (None removes it), then re-plan its application.

    Re-planning matters: a check-in marked done schedules the next one from that time.
    ``If-Match`` names the action as shown in ``language`` (None: the stored texts').
    """
    action = await get_action(session, owner, action_id)
    check_if_match(if_match, action_etag(action, action_status(action, utcnow()), language))
    when = at or utcnow()
    if kind is domain.MarkKind.SNOOZED and snoozed_until is not None and snoozed_until <= when:
        raise InvalidInput.on_field("body.until", "must be after the time of snoozing", "invalid")
    action.mark = kind.value if kind else None
    action.marked_at = when if kind else None
    action.snoozed_until = snoozed_until if kind is domain.MarkKind.SNOOZED else None
    action.dismiss_reason = reason if kind is domain.MarkKind.DISMISSED else None
    action.resolution = resolution_of(action)
    if kind is domain.MarkKind.DONE:
        events.append_action_event(session, EventType.ACTION_COMPLETED, action)
    elif kind is domain.MarkKind.DISMISSED:
        events.append_action_event(session, EventType.ACTION_DISMISSED, action)
    await session.flush()
    await replan(session, action.application_id)
    await session.refresh(action)
    return action


async def get_policy(session: AsyncSession, tenant_id: str) -> domain.Policy:
    return await load_policy(session, tenant_id)


async def put_policy(
    session: AsyncSession,
    tenant_id: str,
    values: dict[str, Any],
    work: Work | None = None,
    *,
    if_match: str | None = None,
) -> domain.Policy:
    """Replace the tenant's policy and re-plan every application it can affect."""
    check_if_match(if_match, await policy_version(session, tenant_id))
    explicit = {name: value for name, value in values.items() if value is not None}
    try:
        policy = domain.Policy(**explicit)
    except domain.PolicyError as exc:
        raise InvalidInput.on_field(f"body.{exc.field}", exc.message, "out_of_range") from exc
    await repo.save_policy_values(session, tenant_id, explicit)
    affected = await action_repo.applications_to_replan(session, tenant_id)
    for start in range(0, len(affected), REPLAN_CHUNK):
        await replan_many(session, affected[start : start + REPLAN_CHUNK], policy, work=work)
    return policy


async def policy_version(session: AsyncSession, tenant_id: str) -> int:
    """The version of the tenant's policy (0 while it has only the defaults)."""
    return await repo.policy_version(session, tenant_id)


async def actions_by_ids(session: AsyncSession, owner: Owner, action_ids: list[str]) -> list[Any]:
    """The owner's actions with these IDs (plain rows; missing or foreign IDs are skipped)."""
    return await action_repo.by_ids(session, owner, action_ids)


async def feed(
    session: AsyncSession, owner: Owner, criteria: ActionFilter, *, cursor: str | None, limit: int
) -> PageResult[Any]:
    """A page of the owner's stored actions: an indexed query, never a re-plan.

    Items carry ``id``, ``due_by``, ``version`` and ``status`` at the filter's ``as_of``."""
    return await action_repo.feed(session, owner, criteria, cursor=cursor, limit=limit)


async def for_interview(
    session: AsyncSession,
    owner: Owner,
    application_id: str,
    interview_id: str,
    *,
    types: tuple[domain.ActionType, ...],
    limit: int,
) -> list[Any]:
    """The actions of these types planned for one interview, whatever their status, soonest
    due first, at most ``limit`` (plain rows)."""
    return await action_repo.for_interview(
        session, owner, application_id, interview_id, types=types, limit=limit
    )


async def first_per_application(
    session: AsyncSession,
    owner: Owner,
    application_ids: list[str],
    *,
    statuses: tuple[domain.ActionStatus, ...],
    as_of: datetime,
    per_application: int,
) -> dict[str, list[Any]]:
    """The first ``per_application`` actions of each application with one of ``statuses``
    at ``as_of``, in the feed's order (soonest due first), in one query; plain rows keyed
    by application ID, an application with none left out."""
    return await action_repo.first_per_application(
        session,
        owner,
        application_ids,
        statuses=statuses,
        as_of=as_of,
        per_application=per_application,
    )


async def next_status_change(
    session: AsyncSession, tenant_id: str, as_of: datetime
) -> datetime | None:
    """When the clock alone next changes a status among the tenant's actions (None: never)."""
    return await action_repo.next_status_change(session, tenant_id, as_of)
