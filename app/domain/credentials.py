"""The vocabulary of credentials: what a credential may do, its kinds, a token's lifetimes."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What a credential may do: read lets it list and fetch, write lets it change data."""

    READ = "read"
    WRITE = "write"


ALL_SCOPES = [Scope.READ, Scope.WRITE]


class CredentialType(StrEnum):
    """The kinds of bearer credential."""

    API_KEY = "api_key"
    CANDIDATE_TOKEN = "candidate_token"  # noqa: S105 (a name, not a secret)


# A candidate token's lifetime, in seconds: an hour unless asked otherwise, a day at most.
DEFAULT_LIFETIME_SECONDS = 3600
MIN_LIFETIME_SECONDS = 60
MAX_LIFETIME_SECONDS = 86_400
