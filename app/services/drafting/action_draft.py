"""The draft for an action: its records read, the template in effect rendered on them
(the tenant's, else the built-in one), and the result checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db import models
from app.domain import plain_text
from app.domain.messages import MessageKind, kind_for_action
from app.errors import NotFound
from app.repositories import drafts as draft_repo
from app.repositories.owners import Owner
from app.services import actions as action_service
from app.services.drafting.checker import Expectations, MessageDraft, Report, check
from app.services.drafting.context import template_context
from app.services.drafting.rendering import TemplateRejected, render_template
from app.services.drafting.store import (
    TemplatePair,
    TemplateSource,
    built_in_template,
    effective_template,
)
from app.services.work import WorkBudget


@dataclass(frozen=True)
class ActionDraft:
    """The message for one action, with the checker's report on it."""

    action: models.Action
    kind: MessageKind
    language: str
    subject: str | None
    body: str
    recipient: models.Contact | None
    report: Report
    template_source: TemplateSource
    template_error: str | None


@dataclass(frozen=True)
class DraftJob:
    """Everything rendering an action's draft needs, read from the database beforehand so
    the render itself (pure CPU) can run in a worker thread."""

    action: models.Action
    kind: MessageKind
    language: str
    context: dict[str, Any]
    template: TemplatePair
    recipient: models.Contact | None
    recipient_name: str | None


async def prepare_draft(
    session: AsyncSession, owner: Owner, action_id: str, language: str | None = None
) -> DraftJob:
    """Read the action's records and the template in effect for its kind of message, in
    ``language`` (None: the candidate's, in which the action's texts are stored)."""
    action = await action_service.get_action(session, owner, action_id)
    language = language or action.language
    inputs = await draft_repo.draft_inputs(session, action)
    kind = kind_for_action(domain.ActionType(action.type), action.channel)
    return DraftJob(
        action=action,
        kind=kind,
        language=language,
        context=template_context(inputs, language),
        template=await effective_template(session, owner.tenant_id, kind, language),
        recipient=inputs.contact,
        recipient_name=inputs.contact.name if inputs.contact else None,
    )


def render_draft(job: DraftJob, budget: WorkBudget) -> ActionDraft:
    """Render the action's message (the tenant's template, else the built-in one) and check it.

    A tenant template that fails on this action's data is set aside for the built-in one,
    and the reason is returned, so the candidate still gets a draft. One that costs more
    than ``budget`` raises WorkTooLarge instead: its owner has to make it simpler.
    """
    template = job.template
    template_error = None
    try:
        subject, body = _render_pair(template, job.context, budget)
    except TemplateRejected as exc:
        if template.source == "built_in":
            raise
        template_error = f"the tenant's template failed on this action: {exc}"
        template = built_in_template(job.kind, job.language)
        subject, body = _render_pair(template, job.context, budget)
    report = check(
        MessageDraft(kind=job.kind, body=body, subject=subject),
        Expectations(recipient_name=job.recipient_name),
        job.language,
        budget=budget,
    )
    return ActionDraft(
        action=job.action,
        kind=job.kind,
        language=job.language,
        subject=subject,
        body=body,
        recipient=job.recipient,
        report=report,
        template_source=template.source,
        template_error=template_error,
    )


def _render_pair(
    template: TemplatePair, context: Mapping[str, Any], budget: WorkBudget
) -> tuple[str | None, str]:
    owner = "the built-in" if template.source == "built_in" else "the tenant's"
    what = f"{owner} `{template.kind}` template"
    # The subject goes into an email header, where a line break would start a new header:
    # a name stored with one (before names were checked) or a template that writes one
    # gives a one-line subject all the same.
    subject = None
    if template.subject is not None:
        subject = plain_text.one_line(
            render_template(
                template.subject,
                context,
                budget,
                language=template.language,
                field="template.subject",
                what=what,
            )
        )
    body = render_template(
        template.body, context, budget, language=template.language, field="template.body", what=what
    )
    return subject, plain_text.lines(body)


async def expectations_for(
    session: AsyncSession, owner: Owner, action_id: str
) -> tuple[models.Action, Expectations] | None:
    """The action's type, person and due time, or None when the owner has no such action."""
    try:
        action = await action_service.get_action(session, owner, action_id)
    except NotFound:
        return None
    contact = await draft_repo.action_contact(session, action)
    return action, Expectations(
        recipient_name=contact.name if contact else None, due_by=action.due_by
    )
