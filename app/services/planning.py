"""Re-planning: load one application, ask the domain for its plan, reconcile stored actions.

Runs inside the caller's transaction after every write that touches an application, so
the stored actions (and therefore the feed) are never stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.clock import utcnow
from app.db import models
from app.db.base import new_id
from app.domain import ContactRole
from app.domain.events import EventType
from app.repositories import records
from app.repositories.planning import load_for_planning
from app.services import events, limits
from app.services.action_views import action_status
from app.services.work import Work, WorkBudget, unlimited

# Applications reconciled between two flushes: about 300 actions, a few milliseconds of ORM
# work on the event loop.
RECONCILE_SLICE = 25


def resolution_of(action: models.Action) -> str | None:
    """Why a stored action is closed (done, dismissed, obsolete), or None while it is open.

    Asks the domain's own status function so storage and domain cannot disagree; a closed
    status does not depend on the moment, so any ``as_of`` gives the same answer.
    """
    status = action_status(action, action.available_from)
    return status.value if status in domain.CLOSED_STATUSES else None


def to_domain(
    application: models.Application,
    candidate: models.Candidate,
    contacts: list[models.Contact],
    interviews: list[models.Interview],
    panels: dict[str, list[str]],
    replies: list[models.Reply],
    actions: list[models.Action],
) -> domain.Application:
    return domain.Application(
        id=application.id,
        candidate=domain.Candidate(
            id=candidate.id,
            time_zone=candidate.time_zone,
            country=candidate.country,
            language=domain.text_language(candidate.language) or domain.DEFAULT_LANGUAGE,
        ),
        status=domain.ApplicationStatus(application.status),
        outcome_at=application.outcome_at,
        contacts=tuple(
            domain.Contact(
                id=c.id,
                name=c.name,
                title=c.title,
                organization=c.organization,
                email=c.email,
                phone=c.phone,
                profile_url=c.profile_url,
                is_recruiting_firm_rep=c.role == ContactRole.RECRUITING_FIRM_REPRESENTATIVE,
                made_first_contact=c.made_first_contact,
            )
            for c in contacts
        ),
        interviews=tuple(
            domain.Interview(
                id=i.id,
                kind=domain.InterviewKind(i.kind),
                start=i.start_at,
                end=i.end_at,
                status=domain.InterviewStatus(i.status),
                panel=tuple(panels.get(i.id, ())),
                panel_confirmed=i.panel_confirmed,
                next_step=i.next_step,
                expected_reply_date=i.expected_reply_date,
                recorded_at=i.rescheduled_at or i.created_at,
            )
            for i in interviews
        ),
        replies=tuple(
            domain.Reply(
                id=r.id,
                received_at=r.received_at,
                contact_id=r.contact_id,
                new_expected_date=r.new_expected_date,
            )
            for r in replies
        ),
        marks=tuple(
            domain.Mark(
                action_key=a.key,
                kind=domain.MarkKind(a.mark),
                at=a.marked_at or a.updated_at,
                snoozed_until=a.snoozed_until,
                reason=a.dismiss_reason,
            )
            for a in actions
            if a.mark
        ),
    )


async def load_policy(session: AsyncSession, tenant_id: str) -> domain.Policy:
    return domain.Policy(**await records.policy_values(session, tenant_id))


async def replan(
    session: AsyncSession,
    application_id: str,
    policy: domain.Policy | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Bring the stored actions of one application in line with its current plan."""
    await replan_many(session, [application_id], policy, now=now)


async def replan_many(
    session: AsyncSession,
    application_ids: Sequence[str],
    policy: domain.Policy | None = None,
    *,
    now: datetime | None = None,
    work: Work | None = None,
) -> None:
    """Re-plan several applications of one tenant, loading their data in bulk.

    With ``work``, the domain's planning (pure CPU, about 70 microseconds an application)
    runs in the CPU pool under a budget, so a large batch never holds the event loop;
    loading and reconciling stay here, with the session.
    """
    when = now or utcnow()
    loaded = await load_for_planning(session, application_ids)
    if not loaded:
        return
    for inputs in loaded:
        limits.check_application_size(
            inputs.application.id,
            contacts=len(inputs.contacts),
            interviews=len(inputs.interviews),
            replies=len(inputs.replies),
        )
    policy = policy or await load_policy(session, loaded[0].application.tenant_id)
    facts = [
        to_domain(
            inputs.application,
            inputs.candidate,
            inputs.contacts,
            inputs.interviews,
            inputs.panels,
            inputs.replies,
            inputs.actions,
        )
        for inputs in loaded
    ]
    if work is None:
        plans = plan_each(facts, policy, unlimited())
    else:
        budget = work.budget("body", "Re-planning the applications this request touches")
        plans = await work.run(plan_each, facts, policy, budget)
    for index, (inputs, planned) in enumerate(zip(loaded, plans, strict=True), start=1):
        reconcile(inputs.application, inputs.candidate, inputs.actions, planned, session, when)
        if index % RECONCILE_SLICE == 0:
            # Building and flushing rows is CPU on the event loop too: a slice at a time,
            # with the flush's round trip between slices, other requests get their turn.
            await session.flush()
    await session.flush()


class WrittenAction(NamedTuple):
    """A planned action with its texts as stored: written in the plan's language, the
    wording they were written from as JSON, and the fingerprint of the catalogue used."""

    planned: domain.PlannedAction
    title: str
    explanation: str
    guidance: str
    wording: str
    texts_version: str


def plan_each(
    applications: Sequence[domain.Application], policy: domain.Policy, budget: WorkBudget
) -> list[list[WrittenAction]]:
    """The domain's plan of each application with each action's texts written, counting one
    unit per application and per action it plans.

    Writing the texts is part of the pooled work: at tens of microseconds an action, a
    policy change that re-plans a whole tenant would otherwise hold the event loop."""
    plans = []
    for application in applications:
        planned = domain.plan(application, policy)
        budget.spend(1 + len(planned))
        plans.append([_written(item) for item in planned])
    return plans


def _written(item: domain.PlannedAction) -> WrittenAction:
    title, explanation, guidance = item.wording.render(item.language)
    wording = json.dumps(item.wording.to_json(), ensure_ascii=False, separators=(",", ":"))
    # Cached per language: a dictionary lookup per action once the first plan computed it.
    texts_version = domain.catalogue_fingerprint(item.language)
    return WrittenAction(item, title, explanation, guidance, wording, texts_version)


def reconcile(
    application: models.Application,
    candidate: models.Candidate,
    stored_actions: list[models.Action],
    planned: list[WrittenAction],
    session: AsyncSession,
    now: datetime,
) -> None:
    """New keys inserted, moved windows updated, vanished keys obsolete; marks survive."""
    stored = {action.key: action for action in stored_actions}
    for item in planned:
        row = stored.pop(item.planned.key, None)
        if row is None:
            row = models.Action(
                id=new_id("act"),
                tenant_id=application.tenant_id,
                application_id=application.id,
                candidate_id=candidate.id,
                key=item.planned.key,
            )
            _copy_plan(row, item)
            row.resolution = resolution_of(row)
            session.add(row)
            events.append_action_event(session, EventType.ACTION_CREATED, row, as_of=now)
            continue
        # Assigning equal values leaves the row clean, so only moved windows are updated.
        revived = row.obsolete_at is not None
        window = (row.available_from, row.due_by)
        _copy_plan(row, item)
        # A window moved into the future opens (or closes) again: re-arm the worker's event.
        if row.available_from != window[0] and row.available_from > now:
            row.due_event_at = None
        if row.due_by != window[1] and row.due_by > now:
            row.overdue_event_at = None
            if window[1] <= now:  # it had closed and is open again: it is due anew
                row.due_event_at = None
        row.obsolete_at = None
        row.resolution = resolution_of(row)
        if revived:  # a rule calls for it again (say, an interview un-cancelled)
            events.append_action_event(session, EventType.ACTION_CREATED, row, as_of=now)
    for row in stored.values():
        if row.obsolete_at is None:
            row.obsolete_at = now
            row.resolution = resolution_of(row)
            if row.resolution == domain.ActionStatus.OBSOLETE:
                events.append_action_event(session, EventType.ACTION_OBSOLETE, row, as_of=now)


def _copy_plan(row: models.Action, written: WrittenAction) -> None:
    item = written.planned
    row.rule = item.rule.value
    row.type = item.type.value
    row.interview_id = item.interview_id
    row.contact_id = item.contact_id
    row.available_from = item.available_from
    row.due_by = item.due_by
    row.channel = item.channel.value
    row.blocked_reason = item.blocked_reason.value if item.blocked_reason else None
    # Written in the candidate's language, as events and webhooks show them; any other
    # language is written from the wording when asked for (services/action_views.py).
    # Written again at every re-plan, so a catalogue's new wording reaches stored rows; the
    # worker rewrites the rows no re-plan reaches (services/worker.py:rewrite_stale_texts).
    texts = (item.language, written.title, written.explanation, written.guidance)
    if (row.language, row.title, row.explanation, row.guidance) != texts or (
        row.wording != written.wording
    ):
        row.language, row.title, row.explanation, row.guidance = texts
        row.wording = written.wording
        # Recorded only with texts that changed (or a new row): recording it alone would
        # give an unchanged action a new version and ETag; the worker records it for those.
        row.texts_version = written.texts_version
    row.satisfied = item.satisfied
