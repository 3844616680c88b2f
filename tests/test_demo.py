"""`followup demo` gives a newcomer a workspace with something to do right now."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Tenant
from app.domain import ActionStatus
from app.repositories.actions import ActionFilter, by_ids, feed
from app.repositories.owners import Owner
from app.services.actions import action_status
from app.services.demo import load_demo


async def test_demo_has_due_actions_of_every_kind(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # The demo is relative to the real clock (interviews are recorded "now"), as it is
    # when a newcomer runs it.
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        session.add(Tenant(id="ten_demo", name="Demo"))
        await session.flush()
        counts = await load_demo(session, "ten_demo", now)
        now = datetime.now(UTC)  # the moment a newcomer looks, right after loading
        owner = Owner("ten_demo")
        page = await feed(session, owner, ActionFilter(as_of=now), cursor=None, limit=200)
        actions = await by_ids(session, owner, [item.id for item in page.items])

    assert counts == {"candidates": 4, "applications": 5, "interviews": 6}
    assert len(actions) == len(page.items)
    # The status the feed's SQL computed is the one the domain gives for the same row.
    status_in_feed = {item.id: item.status for item in page.items}
    assert all(status_in_feed[a.id] == action_status(a, now) for a in actions)
    statuses = Counter(action_status(a, now) for a in actions)
    open_types = {
        a.type for a in actions if action_status(a, now) in {ActionStatus.DUE, ActionStatus.OVERDUE}
    }
    assert open_types == {
        "confirm_interviewers",
        "ask_closing_questions",
        "send_thank_you",
        "check_in",
        "connect_on_network",
    }
    assert statuses[ActionStatus.UPCOMING] > 0
    assert statuses[ActionStatus.DONE] > 0
    assert statuses[ActionStatus.OBSOLETE] > 0
    assert any(a.blocked_reason == "missing_contact" for a in actions)
