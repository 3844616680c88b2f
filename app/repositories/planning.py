"""Everything the planner reads about many applications, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, Application, Candidate, Contact, Interview, Panelist, Reply


@dataclass
class PlanningInputs:
    """One application with its candidate, people, rounds, panels, replies and stored actions."""

    application: Application
    candidate: Candidate
    contacts: list[Contact] = field(default_factory=list)
    interviews: list[Interview] = field(default_factory=list)
    panels: dict[str, list[str]] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


async def load_for_planning(
    session: AsyncSession, application_ids: Sequence[str]
) -> list[PlanningInputs]:
    """Lock the applications (in ID order, so concurrent re-plans cannot deadlock) and load
    what their plans depend on: six queries however many applications there are.

    The row lock makes two transactions that re-plan one application take turns, and the
    second then reads what the first committed, so stored actions always match the data.
    """
    ids = sorted(set(application_ids))
    if not ids:
        return []
    rows = await session.execute(
        select(Application, Candidate)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.id.in_(ids))
        .order_by(Application.id)
        .with_for_update(of=Application)
        .execution_options(populate_existing=True)
    )
    inputs = {a.id: PlanningInputs(application=a, candidate=c) for a, c in rows}
    for contact in await session.scalars(select(Contact).where(Contact.application_id.in_(ids))):
        inputs[contact.application_id].contacts.append(contact)
    interview_owner: dict[str, str] = {}
    for interview in await session.scalars(
        select(Interview).where(Interview.application_id.in_(ids))
    ):
        inputs[interview.application_id].interviews.append(interview)
        interview_owner[interview.id] = interview.application_id
    panels: dict[str, list[str]] = defaultdict(list)
    if interview_owner:
        for seat in await session.scalars(
            select(Panelist)
            .join(Interview, Interview.id == Panelist.interview_id)
            .where(Interview.application_id.in_(ids))
            .order_by(Panelist.interview_id, Panelist.position)
        ):
            panels[seat.interview_id].append(seat.contact_id)
    for interview_id, application_id in interview_owner.items():
        inputs[application_id].panels[interview_id] = panels.get(interview_id, [])
    for reply in await session.scalars(select(Reply).where(Reply.application_id.in_(ids))):
        inputs[reply.application_id].replies.append(reply)
    for action in await session.scalars(select(Action).where(Action.application_id.in_(ids))):
        inputs[action.application_id].actions.append(action)
    return [inputs[i] for i in ids if i in inputs]
