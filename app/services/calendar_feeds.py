"""Calendar feeds: a candidate's open follow-ups as an iCalendar (RFC 5545) subscription.

Calendar apps cannot send an Authorization header, so the feed URL carries a secret token
instead; only its SHA-256 hash is stored, and creating the feed again replaces the token
(the old URL stops working). The feed is rendered on every fetch, so it follows the actions
as they change; each action keeps its UID, and its SEQUENCE and LAST-MODIFIED follow its
version, so calendar apps update events in place instead of duplicating them.

Every text reaches the document as an icalendar ``vText``, which escapes what RFC 5545
wants escaped; before that, one-line properties (the calendar's name, each summary) get
their stored text as one line and descriptions get plain line feeds, so rows stored before
names were checked for line breaks still make a valid feed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event, vText
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import models
from app.db.base import new_id
from app.domain import plain_text
from app.errors import NotFound
from app.repositories import calendar_feeds as repo
from app.repositories.owners import Owner
from app.services import records
from app.services.preconditions import check_if_match
from app.services.work import Work

TOKEN_PREFIX = "cal_"  # noqa: S105 (a prefix, not a secret)
MINIMUM_LENGTH = timedelta(minutes=1)
EVENT_LENGTH = timedelta(minutes=30)
REMINDER_BEFORE = timedelta(hours=1)
UID_DOMAIN = "followup"
PRODUCT_ID = "-//Follow-Up//Follow-Up API//EN"


def hash_token(token: str) -> str:
    # The token is 256 random bits: a plain hash is as good as a keyed one and survives a
    # change of the service's secret key.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedFeed:
    feed: models.CalendarFeed
    token: str


async def issue(session: AsyncSession, owner: Owner, candidate_id: str) -> IssuedFeed:
    """Create the candidate's feed, or give it a new token (the old URL stops working)."""
    await records.get_candidate(session, owner, candidate_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = await repo.feed_of_candidate(session, candidate_id)
    if feed is None:
        feed = models.CalendarFeed(
            id=new_id("cal"), tenant_id=owner.tenant_id, candidate_id=candidate_id
        )
        session.add(feed)
    feed.token_hash = hash_token(token)
    feed.created_at = utcnow()
    await session.flush()
    return IssuedFeed(feed, token)


# The soonest-due open actions a feed holds: far more than a calendar shows at once, and a
# bound on what one fetch reads and renders however many applications a candidate has.
MAX_FEED_EVENTS = 500


def feed_etag(feed: models.CalendarFeed) -> str:
    """The feed's metadata changes only when its URL is issued again (a new created_at)."""
    return f'"{feed.id}.{feed.created_at.timestamp():.6f}"'


async def revoke(
    session: AsyncSession, owner: Owner, candidate_id: str, if_match: str | None = None
) -> None:
    feed = await get_feed(session, owner, candidate_id)
    check_if_match(if_match, feed_etag(feed))
    await session.delete(feed)
    await session.flush()


async def get_feed(session: AsyncSession, owner: Owner, candidate_id: str) -> models.CalendarFeed:
    """The candidate's feed (its metadata; the token is never stored in clear)."""
    await records.get_candidate(session, owner, candidate_id)
    feed = await repo.feed_of_candidate(session, candidate_id)
    if feed is None:
        raise NotFound(f"Candidate {candidate_id} has no calendar feed.")
    return feed


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str  # a hash of the body
    # The latest change to anything the feed is made of: the candidate, the URL's issue,
    # any of the candidate's actions (open or not, so that one leaving the feed counts).
    last_modified: datetime


async def render_feed(session: AsyncSession, token: str, work: Work | None = None) -> RenderedFeed:
    """The feed behind ``token`` as iCalendar text; NotFound for an unknown or revoked one.

    The records are read here; writing up to MAX_FEED_EVENTS events (about 200 ms for 500)
    is CPU work, run in ``work``'s pool when given so it never holds the event loop."""
    found = await repo.feed_by_token_hash(session, hash_token(token))
    if found is None:
        raise NotFound("No such calendar feed; it may have been revoked or replaced.")
    feed, candidate = found
    actions = await repo.open_actions(session, candidate.id, limit=MAX_FEED_EVENTS)
    latest_action = await repo.latest_action_change(session, candidate.id)
    changes = [candidate.updated_at, feed.created_at]
    if latest_action is not None:
        changes.append(latest_action)
    if work is None:
        body, etag = _document(candidate, actions)
    else:
        body, etag = await work.run(_document, candidate, actions)
    return RenderedFeed(body, etag, max(changes))


def _document(candidate: models.Candidate, actions: list[models.Action]) -> tuple[bytes, str]:
    body = build_calendar(candidate, actions)
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def build_calendar(candidate: models.Candidate, actions: list[models.Action]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # X-WR-* properties are unknown to icalendar, which would write them unescaped.
    calendar.add("x-wr-calname", _one_line(f"Follow-ups: {candidate.name}"))
    calendar.add("x-wr-timezone", _one_line(candidate.time_zone))
    # Hints for how often to refetch (RFC 7986 and the older Microsoft/Apple name).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    zone = _zone(candidate.time_zone)
    for action in actions:
        calendar.add_component(_event(action, zone))
    ical: bytes = calendar.to_ical()
    return ical


def _event(action: models.Action, zone: ZoneInfo) -> Event:
    """One action as an event: half an hour ending at its due time, with a reminder.

    Times are UTC; calendar apps show them in the viewer's zone, and the description
    states them in the candidate's. The event is marked transparent so a follow-up never
    shows the candidate as busy.
    """
    # Never empty: RFC 5545 wants DTEND after DTSTART, even when the window has no length.
    start = min(
        max(action.available_from, action.due_by - EVENT_LENGTH), action.due_by - MINIMUM_LENGTH
    )
    event = Event()
    event.add("uid", f"{action.id}@{UID_DOMAIN}")
    event.add("dtstamp", action.updated_at)
    event.add("created", action.created_at)
    event.add("last-modified", action.updated_at)
    event.add("sequence", max(action.version - 1, 0))
    event.add("summary", _one_line(action.title))
    event.add("description", vText(plain_text.lines(_description(action, zone))))
    event.add("dtstart", start)
    event.add("dtend", action.due_by)
    event.add("transp", "TRANSPARENT")
    event.add("categories", [action.type])
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _one_line(action.title))
    alarm.add("trigger", -REMINDER_BEFORE)
    event.add_component(alarm)
    return event


def _one_line(text: str) -> vText:
    return vText(plain_text.one_line(text))


def _description(action: models.Action, zone: ZoneInfo) -> str:
    lines = [
        f"Due {_when(action.due_by, zone)} ({zone.key}).",
        f"Open from {_when(action.available_from, zone)}.",
        "",
        action.explanation,
        "",
        action.guidance,
    ]
    if action.blocked_reason:
        lines += ["", f"Blocked: {action.blocked_reason.replace('_', ' ')}."]
    return "\n".join(lines)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Zones are checked on input; one the system no longer knows reads as UTC.
        return ZoneInfo("UTC")


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(moment: datetime, zone: ZoneInfo) -> str:
    """E.g. "Tue 12 Jan 2027, 10:00 CET": named here, not by strftime, whose names follow
    the process's locale."""
    local = moment.astimezone(zone)
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M} {local.tzname()}"
    )
