"""Runtime configuration, read once from the environment (prefix ``FOLLOWUP_``)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class LogFormat(StrEnum):
    """How log lines are written: JSON for machines, text for people, auto picks by TTY."""

    AUTO = "auto"
    JSON = "json"
    TEXT = "text"


class Settings(BaseSettings):
    """Every knob the service has; each maps to an environment variable."""

    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("FOLLOWUP_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; empty means the embedded SQLite file under data_dir.",
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where embedded state lives.")
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to listen on.")
    workers: int = Field(default=1, ge=1, le=64, description="Server processes.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    log_format: LogFormat = Field(
        default=LogFormat.AUTO, description="json, text, or auto (text on a terminal)."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, le=64 * 1_048_576, description="Larger bodies get 413."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Browser origins allowed to call, comma-separated."
    )
    secret_key: str = Field(
        default="",
        description="Key for hashing API keys; empty means a generated one kept in data_dir.",
    )
    db_pool_size: int = Field(
        default=20, ge=1, le=200, description="PostgreSQL connections per process."
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a request waits for a free database connection before a 503.",
    )
    db_statement_timeout_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="PostgreSQL stops any statement of the API or the worker that runs longer "
        "(statement_timeout), and the request gets a 503; 0 turns it off. Migrations run "
        "without it.",
    )
    db_idle_in_transaction_timeout_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="PostgreSQL closes a connection left idle inside a transaction for longer "
        "(idle_in_transaction_session_timeout), rolling it back; 0 turns it off.",
    )
    request_deadline_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="A request still unanswered after this long is stopped, its transaction "
        "rolled back, and answered 504; 0 turns it off.",
    )
    auth_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="How long a verified API key is trusted without a query (revocation delay).",
    )
    action_document_cache_size: int = Field(
        default=20_000,
        ge=0,
        le=10_000_000,
        description="Actions whose feed JSON each process keeps rendered (about 1.3 KiB each).",
    )
    feed_page_cache_size: int = Field(
        default=256,
        ge=0,
        le=100_000,
        description="Feed pages each process keeps ready to serve (about 60 KiB each; "
        "PostgreSQL only, 0 turns it off).",
    )
    feed_page_cache_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="The longest a cached feed page is served before it is read again, and how "
        "often the connection that announces changes is checked.",
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long an Idempotency-Key is remembered."
    )
    idempotency_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=60,
        description="How long a retry waits for the first request under its key before a 409.",
    )
    webhook_allow_http: bool = Field(
        default=False,
        description="Accept plain http:// webhook URLs (for development); otherwise https only.",
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private and link-local addresses (for "
        "development and tests); the cloud metadata address stays refused.",
    )
    worker_poll_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How long the worker sleeps when a pass found nothing to do.",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="The most one webhook attempt may take, connecting included.",
    )
    webhook_disable_after_failures: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Consecutive failed attempts after which the worker disables an endpoint.",
    )

    work_budget_units: int = Field(
        default=2_000_000,
        ge=10_000,
        le=1_000_000_000,
        description="Units of CPU work (characters scanned, loop passes, characters rendered) "
        "one request may cause in a draft check, a template render or a sync plan; past "
        "it the request gets a 422 naming what was too large.",
    )
    work_budget_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="The longest one request's CPU-heavy work may run before it is stopped "
        "with the same 422.",
    )
    cpu_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="CPU-heavy calls (draft checks, template renders, sync plans) run at once "
        "per process, each in a worker thread off the event loop; more wait their turn.",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Environment variables carry lists as comma-separated text.
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value) if value else value

    @property
    def resolved_database_url(self) -> str:
        """The URL to connect to, with the embedded SQLite default filled in."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'followup.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> bytes:
        """The API-key hashing secret; generated once and kept on disk when not configured."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, sqlite://, ...) and pick the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError("must be a postgresql:// or sqlite:// URL")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
