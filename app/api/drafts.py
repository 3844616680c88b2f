"""Drafts for actions, the draft checker, and tenants' own draft templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.deps import (
    CandidateExpensiveReaderDep,
    ExpensiveWriterDep,
    ReaderDep,
    SessionDep,
    WorkDep,
)
from app.api.errors import problem_responses
from app.api.languages import LANGUAGE_HEADERS, LanguageDep
from app.domain import DEFAULT_LANGUAGE, ActionType
from app.domain.messages import ACTION_TYPE_KINDS, MessageKind, character_limit, kind_for_action
from app.errors import InvalidInput
from app.schemas import drafts as schemas
from app.schemas.common import Page
from app.services.drafting import action_draft, checker, store, validation

router = APIRouter(prefix="/v1", tags=["drafts"])
# A tenant's own templates: every route of this router is documented under `templates`.
# Every template route answers these problems; the delete adds its 404.
templates_router = APIRouter(
    prefix="/v1/templates", tags=["templates"], responses=problem_responses(401, 403, 422)
)


def _template_language(
    language: Annotated[
        str,
        Query(
            min_length=2,
            max_length=16,
            description="Language of the texts, a BCP 47 tag: `en`, `de`, `fr`, `es` or `ja`; a "
            "regional tag such as `de-CH` reads as its language, `de`.",
        ),
    ] = DEFAULT_LANGUAGE,
) -> str:
    return store.check_language(language, "query.language")


# The language a template route works in (`de-CH` reads `de`): one with a data folder, else 422.
TemplateLanguage = Annotated[str, Depends(_template_language)]


@router.get(
    "/actions/{action_id}/draft",
    summary="Get the ready message for an action",
    response_model=schemas.DraftRead,
    responses={200: {"headers": LANGUAGE_HEADERS}, **problem_responses(401, 403, 404, 422)},
)
async def get_action_draft(
    action_id: str,
    principal: CandidateExpensiveReaderDep,
    session: SessionDep,
    work: WorkDep,
    response: Response,
    language: LanguageDep,
) -> schemas.DraftRead:
    """The ready message for an action, personalised from the records.

    - `send_thank_you`: an email (subject and body) of three or four sentences that thanks
      the interviewer, says why the candidate fits and that they look forward to hearing
      back, without pressing.
    - `check_in`: a short email saying the candidate is still interested, or a phone script
      when the action's channel is `phone`.
    - `connect_on_network`: a connection note within the 300 characters professional
      networks allow.
    - `confirm_interviewers`: a polite note asking the coordinator for the names and titles
      of the panel.
    - `ask_closing_questions`: the three closing questions (next step, timing, contact
      details) as a checklist.

    The tenant's own template is used when it has one (see `/v1/templates`). `findings` is
    the draft checker's report on the draft, empty for the built-in templates. A draft is
    returned even when the action is blocked (e.g. no email address): `blocked_reason`
    says so.

    The draft is written, and checked, in the language asked for (`language`, else
    `Accept-Language`), else the candidate's; `language` and `Content-Language` say which.

    Rendering is bounded: a tenant's template that loops, builds or prints more than one
    request may on this action's data answers 422 (`work-budget-exceeded`, naming
    `template.body` or `template.subject`)."""
    job = await action_draft.prepare_draft(session, principal.owner, action_id, language)
    response.headers["Content-Language"] = job.language
    budget = work.budget("template.body", "the draft's template")
    draft = await work.run(action_draft.render_draft, job, budget)
    action, contact, report = draft.action, draft.recipient, draft.report
    recipient = None if contact is None else schemas.DraftRecipient.model_validate(contact)
    return schemas.DraftRead(
        action_id=action.id,
        action_type=ActionType(action.type),
        kind=draft.kind,
        format=schemas.FORMAT_OF_KIND[draft.kind],
        channel=action.channel,
        blocked_reason=action.blocked_reason,
        language=draft.language,
        recipient=recipient,
        subject=draft.subject,
        body=draft.body,
        character_count=report.character_count,
        character_limit=character_limit(draft.kind),
        sentence_count=report.sentence_count,
        findings=[schemas.FindingRead.model_validate(f) for f in report.findings],
        template_source=draft.template_source,
        template_error=draft.template_error,
    )


@router.post(
    "/drafts/check",
    summary="Check a draft against the etiquette",
    response_model=schemas.CheckReport,
    responses=problem_responses(401, 403, 422),
)
async def check_draft(
    body: schemas.DraftCheck,
    principal: CandidateExpensiveReaderDep,
    session: SessionDep,
    work: WorkDep,
) -> schemas.CheckReport:
    """Hold any draft to the etiquette and say what breaks it, where, and how to fix it.

    Say what the draft is with `kind`, `action_type`, or `action_id` (the action's type
    then decides). With `action_id`, the greeting and `recipient` are compared with the
    action's person and `send_at` with its due time. An `action_id` this tenant does not
    have (with a candidate token: that its candidate does not have) is a 422 naming
    `body.action_id` (the request is understood, but its reference is not valid), as is
    a `kind` or `action_type` that does not fit the action.

    Sentences are counted with a segmenter that knows abbreviations, initials and
    decimals; the greeting line and the sign-off are not counted. Checking only reads:
    it needs the `read` scope and stores nothing.

    The check takes time linear in the draft's length and runs under the per-request work
    budget (`FOLLOWUP_WORK_BUDGET_UNITS` / `FOLLOWUP_WORK_BUDGET_SECONDS`); a draft that
    would need more answers 422 `work-budget-exceeded` naming `body.body`. A draft of any
    length the schema allows fits the default budget."""
    language = store.check_language(body.language, "body.language")
    expectations = checker.Expectations(recipient_name=None, due_by=None)
    kind = body.kind
    if body.action_type is not None:
        allowed = ACTION_TYPE_KINDS[body.action_type]
        if kind is None:
            kind = kind_for_action(body.action_type)
        elif kind not in allowed:
            raise InvalidInput.on_field(
                "body.kind",
                f"`{kind}` is not a message for `{body.action_type}`; use "
                + " or ".join(f"`{k}`" for k in sorted(allowed)),
                "mismatch",
            )
    if body.action_id is not None:
        found = await action_draft.expectations_for(session, principal.owner, body.action_id)
        if found is None:
            raise InvalidInput.on_field("body.action_id", "no such action", "not_found")
        action, expectations = found
        action_type = ActionType(action.type)
        if body.action_type is not None and body.action_type is not action_type:
            raise InvalidInput.on_field(
                "body.action_type", f"the action is a `{action_type}`", "mismatch"
            )
        if kind is None:
            kind = kind_for_action(action_type, action.channel)
        elif kind not in ACTION_TYPE_KINDS[action_type]:
            raise InvalidInput.on_field(
                "body.kind", f"`{kind}` is not a message for a `{action_type}` action", "mismatch"
            )
    assert kind is not None  # the schema requires kind, action_type or action_id
    # The database was read above, on the event loop; the check itself is CPU work.
    report = await work.run(
        checker.check,
        checker.MessageDraft(
            kind=kind,
            body=body.body,
            subject=body.subject,
            recipient=body.recipient,
            send_at=body.send_at,
        ),
        expectations,
        language,
        budget=work.budget("body.body", "The draft"),
    )
    return schemas.CheckReport.model_validate(report)


# --- templates --------------------------------------------------------------------------


def _template_read(pair: store.TemplatePair) -> schemas.TemplateRead:
    return schemas.TemplateRead.model_validate(pair, from_attributes=True)


@templates_router.get(
    "",
    summary="List the message templates in effect",
    response_model=Page[schemas.TemplateRead],
)
async def list_templates(
    principal: ReaderDep, session: SessionDep, language: TemplateLanguage
) -> Page[schemas.TemplateRead]:
    """The template in effect for every kind of message: the tenant's own, else built-in.

    One page holds them all, so `next_cursor` is always null."""
    pairs = await store.list_templates(session, principal.tenant_id, language)
    return Page(data=[_template_read(pair) for pair in pairs], next_cursor=None)


@templates_router.get(
    "/{kind}",
    summary="Get the template for one kind of message",
    response_model=schemas.TemplateRead,
)
async def get_template(
    kind: MessageKind,
    principal: ReaderDep,
    session: SessionDep,
    language: TemplateLanguage,
) -> schemas.TemplateRead:
    """The template in effect for one kind of message: the tenant's own, else built-in."""
    pair = await store.effective_template(session, principal.tenant_id, kind, language)
    return _template_read(pair)


@templates_router.put(
    "/{kind}",
    summary="Replace a message template with your own",
    response_model=schemas.TemplateRead,
)
async def put_template(
    kind: MessageKind,
    body: schemas.TemplateWrite,
    principal: ExpensiveWriterDep,
    session: SessionDep,
    work: WorkDep,
) -> schemas.TemplateRead:
    """Replace the template for one kind of message with the tenant's own.

    It is kept under its language: one saved with `de-CH` is the tenant's `de` template.

    It is validated before it is saved: it must parse, use only the documented variables
    (no attributes outside them, no calls, no imports), render on each sample (a named
    interviewer; nothing known beyond the essentials; a recruiting-firm representative),
    and every sample must pass the draft checker without errors or warnings. Otherwise
    the answer is a 422 whose `errors` name `body.body` or `body.subject` and say which
    line or etiquette rule failed.

    It is also rendered on the most demanding data a draft can have (every name, title
    and text at its longest, the largest panel): a template whose loops, text or output
    would cost more than one request may there answers 422 `work-budget-exceeded` (code
    `too_costly`), saying what was too large."""
    language = store.check_language(body.language, "body.language")
    budget = work.budget("body.body", "the template")
    await work.run(validation.validate_template, kind, language, body.subject, body.body, budget)
    pair = await store.save_template(
        session, principal.tenant_id, kind, language, body.subject, body.body
    )
    return _template_read(pair)


@templates_router.delete(
    "/{kind}",
    summary="Return to the built-in template",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def delete_template(
    kind: MessageKind,
    principal: ExpensiveWriterDep,
    session: SessionDep,
    language: TemplateLanguage,
) -> None:
    """Drop the tenant's own template; the built-in one is used again.

    404 when the tenant has no template of its own for that kind and language."""
    await store.delete_template(session, principal.tenant_id, kind, language)
