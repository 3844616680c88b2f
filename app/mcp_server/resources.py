"""The resources (the etiquette with the tenant's policy filled in, a candidate's timeline)
and the prompt ("write my thank-you notes for an interview"), each read through the
services the REST API uses and admitted by the check of the route it mirrors."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from app import domain
from app.api import actions as action_routes
from app.api import events as event_routes
from app.api.deps import CredentialCheck, credential_check_of
from app.api.records import record_endpoint
from app.clock import utcnow
from app.domain import rules
from app.domain.texts import render
from app.errors import NotFound
from app.mcp_server.calls import Call
from app.repositories.events import EventFilter
from app.repositories.owners import Owner
from app.repositories.pagination import MAX_PAGE_SIZE
from app.schemas.actions import ActionRead
from app.schemas.events import EventRead
from app.schemas.resources import ApplicationRead, CandidateRead
from app.services import actions as action_service
from app.services import events as event_service
from app.services import records as record_service

ETIQUETTE_URI = "followup://etiquette"
TIMELINE_TEMPLATE = "followup://candidates/{candidate_id}/timeline"
_TIMELINE_URI = re.compile(r"^followup://candidates/(?P<candidate_id>[^/]{1,40})/timeline$")


def etiquette_text(policy: domain.Policy, language: str = domain.DEFAULT_LANGUAGE) -> str:
    """The etiquette as a reader takes it in: each rule, what it asks and how to do it
    well, then the timing the tenant chose, value by value."""
    lines = [
        "# The etiquette of following up after a job interview",
        "",
        "Follow-Up plans these actions from the records; `list_actions` shows what is owed.",
        "",
    ]
    for each in rules.outline(policy):
        guidance = render(each.guidance, language)
        heading = f"## {each.rule.value}: `{each.action_type.value}`"
        lines += [heading, "", each.summary, "", guidance, ""]
    lines += ["## This workspace's timing", ""]
    for spec in domain.policy_fields():
        value = getattr(policy, spec.name)
        unit = spec.unit.replace("_", " ")
        lines.append(
            f"- `{spec.name}`: **{value} {unit}** (default {spec.default}). {spec.description}"
        )
    lines += [
        "",
        "Business days skip weekends and the public holidays of the candidate's country, in "
        "the candidate's time zone.",
    ]
    return "\n".join(lines) + "\n"


async def etiquette(call: Call, _uri: str) -> str:
    policy = await action_service.get_policy(call.session, call.principal.tenant_id)
    return etiquette_text(policy)


async def timeline(call: Call, uri: str) -> str:
    """The candidate, and what happened in their search, oldest first (the event log's
    first page for them)."""
    match = _TIMELINE_URI.match(uri)
    if match is None:
        raise NotFound(f"No resource {uri}.")
    candidate = await record_service.get_candidate(call.session, call.owner, match["candidate_id"])
    events = await event_service.list_events(
        call.session,
        Owner(call.principal.tenant_id, candidate.id),
        EventFilter(),
        cursor=None,
        limit=MAX_PAGE_SIZE,
    )
    document = {
        "candidate": CandidateRead.model_validate(candidate).model_dump(mode="json"),
        "events": [EventRead.model_validate(e).model_dump(mode="json") for e in events.items],
        "next_cursor": events.next_cursor,
    }
    return json.dumps(document, indent=1)


def timeline_uri(candidate_id: str) -> str:
    return TIMELINE_TEMPLATE.format(candidate_id=candidate_id)


@dataclass(frozen=True)
class Resource:
    """A resource (or a template of them) and how it is read."""

    uri: str
    name: str
    title: str
    description: str
    mime_type: str
    mirrors: Callable[..., Any]
    read: Callable[[Call, str], Awaitable[str]]
    check: CredentialCheck = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", credential_check_of(self.mirrors))

    def listed(self, uri: str | None = None) -> types.Resource:
        """The resource as `resources/list` shows it (at ``uri``, for one of a template's)."""
        return types.Resource(
            uri=uri or self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )

    def as_template(self) -> types.ResourceTemplate:
        """The template as `resources/templates/list` shows it: what :meth:`listed` shows,
        at a URI template."""
        shown = self.listed().model_dump(exclude={"uri"}, exclude_none=True)
        return types.ResourceTemplate(uri_template=self.uri, **shown)


ETIQUETTE = Resource(
    uri=ETIQUETTE_URI,
    name="etiquette",
    title="The follow-up etiquette, with this workspace's timing",
    description="The rules E1-E5 Follow-Up applies (what each asks, how to do it well) and "
    "the tenant's policy values: how long to wait, how long each follow-up stays open. "
    "Tenant-wide, so an API key's to read (as `GET /v1/policy`).",
    mime_type="text/markdown",
    mirrors=action_routes.get_policy,
    read=etiquette,
)
TIMELINE = Resource(
    uri=TIMELINE_TEMPLATE,
    name="candidate-timeline",
    title="A candidate's timeline",
    description="The candidate and everything that happened in their search, oldest first: "
    "interviews booked or cancelled, actions planned, due, done, dismissed, outcomes (the "
    "event log's first 200 events for them; `next_cursor` is set when there are more).",
    mime_type="application/json",
    mirrors=event_routes.list_events,
    read=timeline,
)


def resource_for(uri: str) -> Resource:
    if uri == ETIQUETTE_URI:
        return ETIQUETTE
    if _TIMELINE_URI.match(uri):
        return TIMELINE
    raise NotFound(f"No resource {uri}; read {ETIQUETTE_URI} or {TIMELINE_TEMPLATE}.")


# --- the prompt ---------------------------------------------------------------------------

THANK_YOU_PROMPT = "thank_you_notes"
THANK_YOU_CHECK = credential_check_of(record_endpoint("get_interview"))
# At most this many of an interview's thank-you notes listed: one per person on its panel
# (at most 20), and those of people since taken off it (obsolete), kept as history.
THANK_YOU_NOTES_LISTED = 100


def _note_line(note: ActionRead) -> str:
    blocked = f" Blocked: {note.blocked_reason}." if note.blocked_reason else ""
    return (
        f"- `{note.id}`: {note.title} (status {note.status}, due by "
        f"{note.due_by.isoformat()}).{blocked}"
    )


async def thank_you_notes(call: Call, interview_id: str) -> tuple[str, str]:
    """The description and text of the prompt for one interview: who to thank, by when,
    and how to go about it with the tools."""
    interview = await record_service.get_interview(call.session, call.owner, interview_id)
    application = ApplicationRead.model_validate(
        await record_service.get_application(call.session, call.owner, interview.application_id)
    )
    now = utcnow()
    rows = await action_service.for_interview(
        call.session,
        call.owner,
        application.id,
        interview.id,
        types=(domain.ActionType.SEND_THANK_YOU,),
        limit=THANK_YOU_NOTES_LISTED,
    )
    notes = [action_routes.action_read(row, now) for row in rows]
    owed = [note for note in notes if note.status not in domain.CLOSED_STATUSES]
    closed = [note for note in notes if note.status in domain.CLOSED_STATUSES]
    when = interview.start_at.isoformat()
    lines = [
        f"I had my {interview.kind} interview for {application.role} at {application.company} "
        f"({when}). Please write my thank-you notes with Follow-Up.",
        "",
    ]
    if owed:
        lines.append("Follow-Up says I owe these thank-you notes:")
        lines += [_note_line(note) for note in owed]
        lines += [
            "",
            # The guidance of a note still owed: a closed one's may be about someone who
            # has left the panel.
            f"How to write them: {owed[0].guidance}",
            "",
            "For each one: call `get_action_draft` with its ID, ask me for one specific thing "
            "from the conversation with that person and weave it in, keep it to three or four "
            "sentences, then call `check_draft` with the action's ID and fix whatever it "
            "reports. Show me each final note. Once I say I sent one, call `complete_action` "
            "with its ID (and `at`, if I sent it earlier).",
        ]
    elif closed:
        lines.append("Follow-Up says I owe no thank-you note for this interview any more.")
    else:
        lines.append(
            "Follow-Up lists no thank-you note for this interview: check with `get_action` or "
            "`list_actions` whether its interviewers are recorded on the panel "
            "(`record_interview` takes their contact IDs), then come back to this."
        )
    if closed:
        lines += ["", "Already done, dismissed, or no longer called for (leave these be):"]
        lines += [_note_line(note) for note in closed]
    description = f"Thank-you notes for the {interview.kind} interview at {application.company}"
    return description, "\n".join(lines)
