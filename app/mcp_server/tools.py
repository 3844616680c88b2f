"""The tools: what an assistant may ask Follow-Up to do, each a thin call into the services
(or, for drafts, the route functions) the REST API answers with.

A tool's arguments are one flat object: the path, query and body fields of the REST route
it mirrors, declared by the very request models that route reads (a subclass adding the
path's ID). Its result is that route's response model. Each tool names the route whose
credential check admits its callers (:attr:`Tool.mirrors`), so a candidate token reaches
exactly what it reaches over REST, and a call costs what the route costs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, get_type_hints

import mcp_types as types
from fastapi import Response
from pydantic import BaseModel, Field

from app import domain
from app.api import actions as action_routes
from app.api import drafts as draft_routes
from app.api.deps import CredentialCheck, credential_check_of
from app.api.records import applications as application_routes
from app.api.records import record_endpoint
from app.clock import utcnow
from app.domain import ActionStatus, ActionType, ApplicationStatus
from app.mcp_server.calls import Call
from app.repositories.pagination import MAX_PAGE_SIZE
from app.schemas import actions as action_schemas
from app.schemas import drafts as draft_schemas
from app.schemas import resources as record_schemas
from app.schemas.common import (
    Page,
    ResourceId,
    SingleLineText,
    TextLanguageTag,
    Timestamp,
    WriteModel,
    example,
)
from app.services import actions as action_service
from app.services import records as record_service

ActionId = Annotated[ResourceId, Field(description="The action's ID, from `list_actions`.")]
ApplicationId = Annotated[
    ResourceId, Field(description="The application's ID, from `list_applications`.")
]
AsOf = Annotated[
    Timestamp | None,
    Field(
        description="Evaluate statuses at this moment (RFC 3339 with offset); defaults to now. "
        "Pass next Monday 09:00 to see what will be due then."
    ),
]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")]
ActionLanguage = Annotated[
    TextLanguageTag | None,
    Field(
        description="Language of the titles, explanations and guidance: `en`, `de`, `fr`, "
        "`es` or `ja` (a regional tag such as `de-CH` reads as its language); by default "
        "each action's candidate's."
    ),
]
Cursor = Annotated[
    SingleLineText | None,
    Field(max_length=512, description="`next_cursor` from the previous page, for the next one."),
]
OPEN_STATUSES = (ActionStatus.OVERDUE, ActionStatus.DUE, ActionStatus.UPCOMING)


# --- arguments --------------------------------------------------------------------------


class ListActionsArguments(WriteModel):
    """Which actions to list: by default what is due or overdue now, soonest due first."""

    model_config = example(status=["due", "overdue"], as_of="2027-01-18T09:00:00+01:00")

    status: list[ActionStatus] = Field(
        default_factory=lambda: [ActionStatus.DUE, ActionStatus.OVERDUE],
        max_length=len(ActionStatus),
        description="Only these statuses at `as_of`; by default `due` and `overdue`.",
    )
    type: list[ActionType] | None = Field(
        default=None, max_length=len(ActionType), description="Only these action types."
    )
    candidate_id: ResourceId | None = Field(default=None, description="Only this candidate's.")
    application_id: ResourceId | None = Field(default=None, description="Only this application's.")
    due_before: Timestamp | None = Field(default=None, description="Due strictly before.")
    due_after: Timestamp | None = Field(default=None, description="Due at or after.")
    as_of: AsOf = None
    language: ActionLanguage = None
    limit: Limit = 20
    cursor: Cursor = None


class GetActionArguments(WriteModel):
    """The action to show, and in which language."""

    model_config = example(action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d", language="de")

    action_id: ActionId
    as_of: AsOf = None
    language: ActionLanguage = None


class GetDraftArguments(WriteModel):
    """The action whose message to write, and in which language."""

    model_config = example(action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d", language="en")

    action_id: ActionId
    language: TextLanguageTag | None = Field(
        default=None,
        description="Language of the draft: `en`, `de`, `fr`, `es` or `ja` (a regional tag "
        "such as `de-CH` reads as its language); by default the candidate's.",
    )


class CompleteActionArguments(action_schemas.CompleteAction):
    """Mark an action done: now, or when it really happened."""

    model_config = example(action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d", at="2027-01-13T18:05:00+01:00")

    action_id: ActionId


class SnoozeActionArguments(action_schemas.SnoozeAction):
    """Hide an action until a later time."""

    model_config = example(
        action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d", until="2027-01-18T09:00:00+01:00"
    )

    action_id: ActionId


class DismissActionArguments(action_schemas.DismissAction):
    """Skip an action on purpose, saying why."""

    model_config = example(action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d", reason="Thanked in person.")

    action_id: ActionId


class UndoMarkArguments(WriteModel):
    """The action to reopen."""

    model_config = example(action_id="act_5f1c2b7e9a0d4c3b2a1f0e9d")

    action_id: ActionId


class RecordInterviewArguments(record_schemas.InterviewCreate):
    """An interview round of an application."""

    model_config = example(
        application_id="app_5f1c2b7e9a0d4c3b2a1f0e9d",
        kind="video",
        start="2027-01-13T10:00:00+01:00",
        end="2027-01-13T11:00:00+01:00",
        panel=["con_8a7b6c5d4e3f2a1b0c9d8e7f"],
        panel_confirmed=True,
    )

    application_id: ApplicationId


class RecordReplyArguments(record_schemas.ReplyCreate):
    """The employer got back to the candidate about an application."""

    model_config = example(
        application_id="app_5f1c2b7e9a0d4c3b2a1f0e9d",
        received_at="2027-01-20T15:00:00+01:00",
        note="Still interviewing; decision by Friday.",
        new_expected_date="2027-01-22",
    )

    application_id: ApplicationId


class RecordOutcomeArguments(WriteModel):
    """Where an application ended up (or stands: an offer)."""

    model_config = example(
        application_id="app_5f1c2b7e9a0d4c3b2a1f0e9d",
        status="rejected",
        outcome_at="2027-02-01T16:30:00+01:00",
    )

    application_id: ApplicationId
    status: ApplicationStatus = Field(
        description="`offer`, or final: `accepted`, `rejected`, `withdrawn` (a final status "
        "ends check-ins and opens `connect_on_network`); `active` reopens it."
    )
    outcome_at: Timestamp | None = Field(
        default=None, description="When a final status was reached; defaults to now."
    )


class ListApplicationsArguments(WriteModel):
    """Which applications to list, oldest first, each with its next open actions."""

    model_config = example(status="active", next_actions=3)

    candidate_id: ResourceId | None = Field(default=None, description="Only this candidate's.")
    status: ApplicationStatus | None = Field(default=None, description="Only in this status.")
    next_actions: int = Field(
        default=3,
        ge=0,
        le=10,
        description="How many of each application's open actions (overdue, due, upcoming; "
        "soonest due first) to include.",
    )
    limit: Annotated[int, Field(ge=1, le=20, description="Applications per page.")] = 10
    cursor: Cursor = None


# --- results ----------------------------------------------------------------------------


class ApplicationWithNextActions(BaseModel):
    """An application and what it calls for next."""

    application: record_schemas.ApplicationRead = Field(description="The application.")
    next_actions: list[action_schemas.ActionRead] = Field(
        description="Its open actions (overdue, due, upcoming), soonest due first."
    )


ActionPage = Page[action_schemas.ActionRead]
ApplicationPage = Page[ApplicationWithNextActions]


# --- the tools ----------------------------------------------------------------------------


ToolBody = TypeVar("ToolBody", bound=Callable[..., Awaitable[BaseModel]])


@dataclass(frozen=True)
class Tool:
    """One tool: its body, whose name is the tool's, whose docstring describes it to the
    assistant and whose annotations type its arguments and result; its title; the REST
    route it mirrors (whose credential check admits its callers)."""

    body: Callable[[Call, Any], Awaitable[BaseModel]]
    title: str
    mirrors: Callable[..., Any]
    # Whether it changes anything: a write transaction, committed when it returns.
    writes: bool = False
    name: str = field(init=False)
    arguments: type[BaseModel] = field(init=False)
    check: CredentialCheck = field(init=False)
    input_schema: dict[str, Any] = field(init=False)
    # The tool as `tools/list` shows it, built once.
    listing: types.Tool = field(init=False)

    def __post_init__(self) -> None:
        hints = get_type_hints(self.body)
        name, arguments = self.body.__name__, hints["arguments"]
        input_schema = arguments.model_json_schema()
        listing = types.Tool(
            name=name,
            title=self.title,
            # One paragraph: the docstring's line breaks are only the source's.
            description=" ".join((self.body.__doc__ or "").split()),
            input_schema=input_schema,
            output_schema=hints["return"].model_json_schema(mode="serialization"),
            annotations=types.ToolAnnotations(
                read_only_hint=not self.writes, destructive_hint=False, open_world_hint=False
            ),
        )
        derived = {
            "name": name,
            "arguments": arguments,
            "check": credential_check_of(self.mirrors),
            "input_schema": input_schema,
            "listing": listing,
        }
        for attribute, value in derived.items():
            object.__setattr__(self, attribute, value)


TOOLS: list[Tool] = []


def tool(
    title: str, *, mirrors: Callable[..., Any], writes: bool = False
) -> Callable[[ToolBody], ToolBody]:
    """Declare the function below as a tool (see :class:`Tool`), in the order listed."""

    def declare(body: ToolBody) -> ToolBody:
        TOOLS.append(Tool(body, title, mirrors, writes))
        return body

    return declare


# --- the tools, in the order they are listed -------------------------------------------


def _text_language(tag: str | None) -> str | None:
    """The language whose texts a validated tag asks for (`de-CH` → `de`); None: each
    action's candidate's."""
    return None if tag is None else domain.text_language(tag)


async def _actions_in_order(
    call: Call,
    criteria: action_service.ActionFilter,
    *,
    cursor: str | None,
    limit: int,
    language: str | None,
) -> tuple[list[action_schemas.ActionRead], str | None]:
    """A page of the feed (the same indexed query as `GET /v1/actions`), each action shown
    with its status at the filter's moment, its texts in ``language`` (None: the
    candidate's)."""
    result = await action_service.feed(
        call.session, call.owner, criteria, cursor=cursor, limit=limit
    )
    ids = [item[0] for item in result.items]
    rows = {
        row.id: row for row in await action_service.actions_by_ids(call.session, call.owner, ids)
    }
    shown = [action_routes.action_read(rows[i], criteria.as_of, language) for i in ids if i in rows]
    # A row changed between the two queries shows its status now: it leaves a page whose
    # status filter it no longer meets, as in the REST feed.
    return [action for action in shown if criteria.admits(action.status)], result.next_cursor


@tool("List due and overdue follow-ups", mirrors=action_routes.list_actions)
async def list_actions(call: Call, arguments: ListActionsArguments) -> ActionPage:
    """The follow-ups the candidate owes, soonest due first: by default those due or
    overdue now, across the tenant (with a candidate token: its candidate's). Narrow by
    candidate, application, type or due window; pass `as_of` to ask what will be due at
    another moment. Each action says what to do, for whom, by when, through which
    channel, and why (`explanation`, naming its etiquette rule E1-E5). Statuses:
    `upcoming` (window not open yet), `due`, `overdue`, `snoozed`, `done`, `dismissed`,
    `obsolete`."""
    criteria = action_service.ActionFilter(
        as_of=arguments.as_of or utcnow(),
        statuses=tuple(arguments.status),
        types=tuple(arguments.type or ()),
        candidate_id=arguments.candidate_id,
        application_id=arguments.application_id,
        due_before=arguments.due_before,
        due_after=arguments.due_after,
    )
    data, next_cursor = await _actions_in_order(
        call,
        criteria,
        cursor=arguments.cursor,
        limit=arguments.limit,
        language=_text_language(arguments.language),
    )
    return ActionPage(data=data, next_cursor=next_cursor)


@tool("Get one follow-up with its explanation and guidance", mirrors=action_routes.get_action)
async def get_action(call: Call, arguments: GetActionArguments) -> action_schemas.ActionRead:
    """One action with its status at `as_of` (default now), the etiquette rule behind it
    (`explanation`) and how to do it well (`guidance`)."""
    action = await action_service.get_action(call.session, call.owner, arguments.action_id)
    language = _text_language(arguments.language)
    return action_routes.action_read(action, arguments.as_of or utcnow(), language)


@tool("Get the ready message for a follow-up", mirrors=draft_routes.get_action_draft)
async def get_action_draft(call: Call, arguments: GetDraftArguments) -> draft_schemas.DraftRead:
    """The message Follow-Up writes for an action from the records: a thank-you email of
    three or four sentences, a short check-in email (or phone script), a connection note
    within 300 characters, a note asking who is on the panel, or the closing questions.
    `findings` is the draft checker's report on it; `blocked_reason` says when the
    action cannot be carried out as planned yet (e.g. no email address). Personalise it,
    then check it with `check_draft`."""
    # The route's own function: the draft is rendered in the CPU pool, within the budget.
    return await draft_routes.get_action_draft(
        arguments.action_id,
        call.principal,
        call.session,
        call.work,
        Response(),
        _text_language(arguments.language),
    )


@tool("Check a draft against the etiquette", mirrors=draft_routes.check_draft)
async def check_draft(call: Call, arguments: draft_schemas.DraftCheck) -> draft_schemas.CheckReport:
    """Hold any draft to the etiquette and say what breaks it, where, and how to fix it
    (too long, pressing for an answer, wrong name in the greeting, sent too late...).
    Say what it is with `kind`, `action_type`, or `action_id` (then the greeting and
    `recipient` are compared with the action's person, and `send_at` with its due time).
    `ok` is true when nothing is wrong. Stores nothing."""
    return await draft_routes.check_draft(arguments, call.principal, call.session, call.work)


async def _marked(
    call: Call, action_id: str, kind: domain.MarkKind | None, **details: Any
) -> action_schemas.ActionRead:
    action = await action_service.mark_action(call.session, call.owner, action_id, kind, **details)
    return action_routes.action_read(action, utcnow())


@tool("Mark a follow-up done", mirrors=action_routes.complete_action, writes=True)
async def complete_action(
    call: Call, arguments: CompleteActionArguments
) -> action_schemas.ActionRead:
    """Mark an action done, now or at the time it really happened (`at`): log the
    thank-you sent yesterday. A check-in marked done schedules the next one."""
    return await _marked(call, arguments.action_id, domain.MarkKind.DONE, at=arguments.at)


@tool("Snooze a follow-up", mirrors=action_routes.snooze_action, writes=True)
async def snooze_action(call: Call, arguments: SnoozeActionArguments) -> action_schemas.ActionRead:
    """Hide an action until `until`; it comes back with the status its window gives."""
    return await _marked(
        call,
        arguments.action_id,
        domain.MarkKind.SNOOZED,
        at=arguments.at,
        snoozed_until=arguments.until,
    )


@tool("Dismiss a follow-up on purpose", mirrors=action_routes.dismiss_action, writes=True)
async def dismiss_action(
    call: Call, arguments: DismissActionArguments
) -> action_schemas.ActionRead:
    """Skip an action on purpose, saying why (e.g. thanked in person)."""
    return await _marked(
        call,
        arguments.action_id,
        domain.MarkKind.DISMISSED,
        at=arguments.at,
        reason=arguments.reason,
    )


@tool("Reopen a follow-up", mirrors=action_routes.undo_action_mark, writes=True)
async def undo_action_mark(call: Call, arguments: UndoMarkArguments) -> action_schemas.ActionRead:
    """Undo a done, dismissed or snoozed mark: the action is open again."""
    return await _marked(call, arguments.action_id, None)


def _without(arguments: BaseModel, *names: str) -> dict[str, Any]:
    """The fields the caller gave, less the path's IDs: the REST request body."""
    return arguments.model_dump(exclude=set(names), exclude_unset=True)


@tool("Record an interview round", mirrors=record_endpoint("create_interview"), writes=True)
async def record_interview(
    call: Call, arguments: RecordInterviewArguments
) -> record_schemas.InterviewRead:
    """Record an interview round of an application: its kind, start and end (RFC 3339
    with offset), and its panel (contact IDs of the application's interviewers, lead
    first). Follow-Up plans what it calls for: learning who is on the panel, closing
    questions, a thank-you per interviewer, a check-in later."""
    body = record_schemas.InterviewCreate.model_validate(_without(arguments, "application_id"))
    interview = await record_service.create_interview(
        call.session, call.owner, arguments.application_id, body
    )
    return record_service.interview_read(interview, list(body.panel))


@tool("Record that the employer got back", mirrors=record_endpoint("create_reply"), writes=True)
async def record_reply(call: Call, arguments: RecordReplyArguments) -> record_schemas.ReplyRead:
    """Record a reply from the employer: a pending check-in becomes obsolete, or waits
    for the new date they promised (`new_expected_date`)."""
    body = record_schemas.ReplyCreate.model_validate(_without(arguments, "application_id"))
    reply = await record_service.create_reply(
        call.session, call.owner, arguments.application_id, body
    )
    return record_schemas.ReplyRead.model_validate(reply)


@tool("Record an application's outcome", mirrors=record_endpoint("update_application"), writes=True)
async def record_outcome(
    call: Call, arguments: RecordOutcomeArguments
) -> record_schemas.ApplicationRead:
    """Set where an application stands: an `offer`, or a final `accepted`, `rejected` or
    `withdrawn`, which ends check-ins and opens the actions to connect with the
    interviewers, even when the job went elsewhere."""
    body = record_schemas.ApplicationUpdate.model_validate(_without(arguments, "application_id"))
    application = await record_service.update_application(
        call.session, call.owner, arguments.application_id, body
    )
    return record_schemas.ApplicationRead.model_validate(application)


@tool("List applications and their next follow-ups", mirrors=application_routes.list_applications)
async def list_applications(call: Call, arguments: ListApplicationsArguments) -> ApplicationPage:
    """The applications (with a candidate token: its candidate's), oldest first, each
    with its next open actions (overdue, due, upcoming; soonest due first)."""
    result = await record_service.list_applications(
        call.session,
        call.owner,
        candidate_id=arguments.candidate_id,
        status=arguments.status.value if arguments.status else None,
        cursor=arguments.cursor,
        limit=arguments.limit,
    )
    as_of = utcnow()
    # Every listed application's next actions in one query, not one feed query each.
    next_by_application = await action_service.first_per_application(
        call.session,
        call.owner,
        [application.id for application in result.items],
        statuses=OPEN_STATUSES,
        as_of=as_of,
        per_application=arguments.next_actions,
    )
    data = [
        ApplicationWithNextActions(
            application=record_schemas.ApplicationRead.model_validate(application),
            next_actions=[
                action_routes.action_read(row, as_of)
                for row in next_by_application.get(application.id, [])
            ],
        )
        for application in result.items
    ]
    return ApplicationPage(data=data, next_cursor=result.next_cursor)


TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}
