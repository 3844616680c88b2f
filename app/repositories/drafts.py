"""What a draft reads about its action: application, candidate, person, interview, panel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, Application, Candidate, Contact, Interview, Panelist
from app.domain import InterviewStatus


@dataclass(frozen=True)
class DraftInputs:
    action: Action
    application: Application
    candidate: Candidate
    contact: Contact | None
    interview: Interview | None
    panel: list[Contact]


async def action_contact(session: AsyncSession, action: Action) -> Contact | None:
    """The person the action addresses, if it names one that still exists."""
    if action.contact_id is None:
        return None
    return await session.scalar(
        select(Contact).where(
            Contact.id == action.contact_id, Contact.application_id == action.application_id
        )
    )


async def _interview_of(session: AsyncSession, action: Action) -> Interview | None:
    """The action's interview; for an action about a person only, their latest round."""
    if action.interview_id is not None:
        return await session.scalar(
            select(Interview).where(
                Interview.id == action.interview_id,
                Interview.application_id == action.application_id,
            )
        )
    query = select(Interview).where(
        Interview.application_id == action.application_id,
        Interview.status != InterviewStatus.CANCELLED,
    )
    if action.contact_id is not None:
        with_person = await session.scalar(
            query.join(Panelist, Panelist.interview_id == Interview.id)
            .where(Panelist.contact_id == action.contact_id)
            .order_by(Interview.start_at.desc(), Interview.id)
            .limit(1)
        )
        if with_person is not None:
            return with_person
    return await session.scalar(query.order_by(Interview.start_at.desc(), Interview.id).limit(1))


async def _panel(session: AsyncSession, interview_id: str) -> list[Contact]:
    return list(
        await session.scalars(
            select(Contact)
            .join(Panelist, Panelist.contact_id == Contact.id)
            .where(Panelist.interview_id == interview_id)
            .order_by(Panelist.position)
        )
    )


async def draft_inputs(session: AsyncSession, action: Action) -> DraftInputs:
    application, candidate = (
        await session.execute(
            select(Application, Candidate)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .where(Application.id == action.application_id)
        )
    ).one()
    interview = await _interview_of(session, action)
    return DraftInputs(
        action=action,
        application=application,
        candidate=candidate,
        contact=await action_contact(session, action),
        interview=interview,
        panel=await _panel(session, interview.id) if interview else [],
    )
