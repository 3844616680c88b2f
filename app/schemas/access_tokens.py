"""Bodies of candidate access tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.domain.credentials import (
    ALL_SCOPES,
    DEFAULT_LIFETIME_SECONDS,
    MAX_LIFETIME_SECONDS,
    MIN_LIFETIME_SECONDS,
    Scope,
)
from app.schemas.common import CreatedAt, ReadModel, WriteModel, example

SCOPES_DOC = (
    "What the token may do: `read` (list and fetch the candidate's records, drafts and "
    "feed), `write` (record applications, contacts, interviews and replies, mark actions)."
)


class AccessTokenCreate(WriteModel):
    """The scopes and lifetime of a new candidate token; both may be left out."""

    model_config = example(scopes=["read", "write"], lifetime_seconds=3600)

    scopes: list[Scope] = Field(
        default_factory=lambda: list(ALL_SCOPES),
        min_length=1,
        max_length=len(ALL_SCOPES),
        description=f"{SCOPES_DOC} No more than the issuing API key has; both by default.",
    )
    lifetime_seconds: int = Field(
        default=DEFAULT_LIFETIME_SECONDS,
        ge=MIN_LIFETIME_SECONDS,
        le=MAX_LIFETIME_SECONDS,
        description=f"How long the token works, in seconds: {MIN_LIFETIME_SECONDS} to "
        f"{MAX_LIFETIME_SECONDS} (a day); {DEFAULT_LIFETIME_SECONDS} (an hour) by default. "
        "Mint a new one when it runs out rather than asking for a long one.",
    )


class AccessTokenRead(ReadModel):
    """A candidate token, without its secret (shown only when it is minted)."""

    id: str = Field(description="The token's ID (`tok_…`), to revoke it by.")
    candidate_id: str = Field(description="The candidate whose records alone it reaches.")
    scopes: list[Scope] = Field(description=SCOPES_DOC)
    created_at: CreatedAt
    expires_at: datetime = Field(description="When it stops working (RFC 3339, UTC).")
    revoked_at: datetime | None = Field(
        description="When it was revoked; null unless it was. A token also stops working "
        "once the API key that minted it is revoked."
    )
    issued_by_key_id: str = Field(description="The API key that minted it.")


class AccessTokenCreated(AccessTokenRead):
    """A newly minted candidate token, with its secret shown this once."""

    token: str = Field(
        description="The bearer token (`fu_cand_…`), shown only now: hand it to the front "
        "end, which sends it as `Authorization: Bearer <token>`. Only a keyed hash of it is "
        "stored."
    )
