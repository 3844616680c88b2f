"""The templates in effect: the built-in ones, read from each language's data folder,
and those a tenant saved in their place (validated first, see
:mod:`~app.services.drafting.validation`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models
from app.domain import DEFAULT_LANGUAGE, UnknownLanguage, require_text_language, texts
from app.domain.messages import MessageKind
from app.errors import InvalidInput, NotFound
from app.repositories import templates as template_repo

TemplateSource = Literal["built_in", "tenant"]


@dataclass(frozen=True)
class TemplatePair:
    """The subject and body templates of one message kind in one language."""

    kind: MessageKind
    language: str
    subject: str | None
    body: str
    source: TemplateSource
    updated_at: datetime | None = None


@lru_cache(maxsize=64)
def built_in_template(kind: MessageKind, language: str = DEFAULT_LANGUAGE) -> TemplatePair:
    folder = texts.LANGUAGE_FOLDERS / language
    subject_path = folder / f"{kind.value}.subject.j2"
    subject = subject_path.read_text(encoding="utf-8") if kind.has_subject else None
    body = (folder / f"{kind.value}.body.j2").read_text(encoding="utf-8")
    return TemplatePair(kind, language, subject, body, "built_in")


def check_language(tag: str, field: str) -> str:
    """The language a BCP 47 tag names, whose templates and checker words a request uses
    (``de-CH``: ``de``, as for a candidate), or 422 naming ``field``."""
    try:
        return require_text_language(tag)
    except UnknownLanguage as error:
        raise InvalidInput.on_field(field, str(error), "enum") from None


def _pair_of(template: models.DraftTemplate) -> TemplatePair:
    return TemplatePair(
        MessageKind(template.kind),
        template.language,
        template.subject,
        template.body,
        "tenant",
        template.updated_at,
    )


async def effective_template(
    session: AsyncSession, tenant_id: str, kind: MessageKind, language: str
) -> TemplatePair:
    """The tenant's template for the kind, else the built-in one."""
    template = await template_repo.get_template(session, tenant_id, kind.value, language)
    return _pair_of(template) if template else built_in_template(kind, language)


async def list_templates(
    session: AsyncSession, tenant_id: str, language: str
) -> list[TemplatePair]:
    stored = {
        template.kind: template
        for template in await template_repo.list_templates(session, tenant_id, language)
    }
    return [
        _pair_of(stored[kind.value]) if kind.value in stored else built_in_template(kind, language)
        for kind in MessageKind
    ]


async def save_template(
    session: AsyncSession,
    tenant_id: str,
    kind: MessageKind,
    language: str,
    subject: str | None,
    body: str,
) -> TemplatePair:
    """Store the tenant's template (replacing any); validate_template() has passed it."""
    template = await template_repo.save_template(
        session, tenant_id, kind.value, language, subject, body
    )
    return _pair_of(template)


async def delete_template(
    session: AsyncSession, tenant_id: str, kind: MessageKind, language: str
) -> None:
    template = await template_repo.get_template(session, tenant_id, kind.value, language)
    if template is None:
        raise NotFound(f"This tenant has no `{language}` template of its own for `{kind}`.")
    await template_repo.delete_template(session, template)
