"""A realistic sample workspace, so a newcomer sees due actions the moment they look.

Times are relative to ``now``: interviews yesterday, today and next week, replies and
outcomes in the recent past, so every kind of action is upcoming, due or overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import ActionStatus, ActionType, MarkKind
from app.repositories.actions import ActionFilter, feed
from app.repositories.owners import Owner
from app.repositories.pagination import MAX_PAGE_SIZE
from app.schemas import resources as schemas
from app.services import records
from app.services.actions import mark_action


def _at(now: datetime, days: float, hour_shift: float = 0) -> datetime:
    return (now + timedelta(days=days, hours=hour_shift)).replace(microsecond=0)


async def load_demo(session: AsyncSession, tenant_id: str, now: datetime) -> dict[str, int]:
    """Create candidates in four countries with applications at every stage."""
    counts = {"candidates": 0, "applications": 0, "interviews": 0}
    owner = Owner(tenant_id)

    async def candidate(name: str, zone: str, country: str, email: str) -> str:
        body = schemas.CandidateCreate(name=name, email=email, time_zone=zone, country=country)
        counts["candidates"] += 1
        return (await records.create_candidate(session, owner, body)).id

    async def application(candidate_id: str, company: str, role: str, **extra: object) -> str:
        body = schemas.ApplicationCreate(
            candidate_id=candidate_id,
            company=company,
            role=role,
            **extra,
        )
        counts["applications"] += 1
        return (await records.create_application(session, owner, body)).id

    async def contact(application_id: str, **fields: object) -> str:
        body = schemas.ContactCreate(**fields)
        return (await records.create_contact(session, owner, application_id, body)).id

    async def interview(
        application_id: str,
        kind: str,
        start: datetime,
        hours: float,
        panel: list[str],
        **extra: object,
    ) -> str:
        body = schemas.InterviewCreate(
            kind=kind,
            start=start,
            end=start + timedelta(hours=hours),
            panel=panel,
            **extra,
        )
        counts["interviews"] += 1
        return (await records.create_interview(session, owner, application_id, body)).id

    # Ada in Berlin: a video interview that ended an hour ago -> thank-yous due now.
    ada = await candidate("Ada Lovelace", "Europe/Berlin", "DE", "ada@example.com")
    globex = await application(
        ada, "Globex", "Staff Engineer", job_url="https://globex.example/jobs/42"
    )
    grace = await contact(
        globex,
        name="Grace Hopper",
        title="VP Engineering",
        organization="Globex",
        email="grace@globex.example",
        profile_url="https://www.linkedin.com/in/grace-hopper-example",
    )
    alan = await contact(
        globex, name="Alan Turing", title="Principal Engineer", organization="Globex"
    )
    await contact(
        globex,
        role="recruiter",
        made_first_contact=True,
        name="Rosalind Franklin",
        title="Talent Partner",
        email="rosalind@globex.example",
    )
    await interview(
        globex,
        "video",
        _at(now, 0, -2),
        1,
        [grace, alan],
        panel_confirmed=True,
        next_step="A system design onsite",
        expected_reply_date=(now + timedelta(days=7)).date(),
    )

    # Ada again: an onsite next week with an unconfirmed panel -> confirm the interviewers.
    initech = await application(ada, "Initech", "Engineering Manager")
    bill = await contact(initech, name="Bill Lumbergh", organization="Initech")
    await interview(initech, "onsite", _at(now, 6), 3, [bill])

    # Kenji in Tokyo via a recruiting firm: phone screen ten days ago, promised date passed
    # -> a check-in is due or overdue.
    kenji = await candidate("Kenji Watanabe", "Asia/Tokyo", "JP", "kenji@example.com")
    umbrella = await application(
        kenji,
        "Umbrella",
        "Data Scientist",
        source="recruiting_firm",
        recruiting_firm="Hooli Talent",
    )
    firm_rep = await contact(
        umbrella,
        role="recruiting_firm_representative",
        made_first_contact=True,
        name="Mei Tanaka",
        title="Senior Recruiter",
        organization="Hooli Talent",
        email="mei@hooli-talent.example",
    )
    await interview(
        umbrella,
        "phone",
        _at(now, -10),
        0.5,
        [firm_rep],
        status="completed",
        panel_confirmed=True,
        next_step="Technical interview",
        expected_reply_date=(now - timedelta(days=4)).date(),
    )

    # Maya in New York: rejected yesterday after two rounds -> connect on the network.
    maya = await candidate("Maya Angelou", "America/New_York", "US", "maya@example.com")
    hooli = await application(maya, "Hooli", "Product Designer")
    gavin = await contact(
        hooli,
        name="Gavin Belson",
        title="CEO",
        email="gavin@hooli.example",
        profile_url="https://www.linkedin.com/in/gavin-belson-example",
    )
    monica = await contact(
        hooli, name="Monica Hall", title="Design Lead", email="monica@hooli.example"
    )
    await interview(
        hooli, "prescreen", _at(now, -30), 0.5, [monica], status="completed", panel_confirmed=True
    )
    await interview(
        hooli, "onsite", _at(now, -20), 4, [gavin, monica], status="completed", panel_confirmed=True
    )
    await records.update_application(
        session,
        owner,
        hooli,
        schemas.ApplicationUpdate(status="rejected", outcome_at=_at(now, -1)),
    )

    # Priya in London: an offer on the table, and a reply that moved the decision date.
    priya = await candidate("Priya Patel", "Europe/London", "GB", "priya@example.com")
    acme = await application(priya, "Acme", "Backend Engineer", status="offer")
    wile = await contact(acme, name="Wile E. Coyote", title="CTO", email="wile@acme.example")
    await interview(
        acme, "onsite", _at(now, -8), 2, [wile], status="completed", panel_confirmed=True
    )
    await records.create_reply(
        session,
        owner,
        acme,
        schemas.ReplyCreate(
            received_at=_at(now, -3),
            contact_id=wile,
            note="Final sign-off next week.",
            new_expected_date=(now + timedelta(days=5)).date(),
        ),
    )
    await _log_past_follow_ups(session, tenant_id, now)
    return counts


async def _log_past_follow_ups(session: AsyncSession, tenant_id: str, now: datetime) -> None:
    """Mark long-past thank-yous and closing questions done, as a diligent candidate would."""
    criteria = ActionFilter(
        as_of=now,
        statuses=[ActionStatus.OVERDUE],
        types=[ActionType.SEND_THANK_YOU, ActionType.ASK_CLOSING_QUESTIONS],
        due_before=now - timedelta(days=2),
    )
    owner = Owner(tenant_id)
    page = await feed(session, owner, criteria, cursor=None, limit=MAX_PAGE_SIZE)
    for action in page.items:
        await mark_action(
            session, owner, action.id, MarkKind.DONE, at=action.due_by - timedelta(hours=3)
        )
