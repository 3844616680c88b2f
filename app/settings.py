"""Runtime configuration, read once from the environment (prefix ``FOLLOWUP_``)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from pydantic import AfterValidator, AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class LogFormat(StrEnum):
    """How log lines are written: JSON for machines, text for people, auto picks by TTY."""

    AUTO = "auto"
    JSON = "json"
    TEXT = "text"


def _one_rate_limit(value: str) -> str:
    parse_rate_limit(value)
    return value


# A limit in `limits` notation (``600/minute``), checked when the settings are read.
RateLimit = Annotated[str, Field(max_length=40), AfterValidator(_one_rate_limit)]


class Settings(BaseSettings):
    """Every knob the service has; each maps to an environment variable.

    Each setting is bounded in its ``Field`` and described by the docstring under it (which
    becomes its ``description``)."""

    model_config = SettingsConfigDict(
        env_prefix="FOLLOWUP_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    database_url: str = Field(
        "", validation_alias=AliasChoices("FOLLOWUP_DATABASE_URL", "DATABASE_URL")
    )
    """SQLAlchemy URL; empty means the embedded SQLite file under data_dir."""
    data_dir: Path = DEFAULT_DATA_DIR
    """Where embedded state lives."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = Field(8000, ge=1, le=65535)
    """Port to listen on."""
    workers: int = Field(1, ge=1, le=64)
    """Server processes."""
    log_level: str = "INFO"
    """DEBUG, INFO, WARNING, ERROR, CRITICAL."""
    log_format: LogFormat = LogFormat.AUTO
    """json, text, or auto (text on a terminal)."""
    max_body_bytes: int = Field(1_048_576, ge=1024, le=64 * 1_048_576)
    """Larger bodies get 413."""
    gzip_minimum_bytes: int = Field(1024, ge=0, le=1_048_576)
    """Responses of at least this many bytes are gzipped for clients that accept it; smaller
    ones are not worth the work."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Browser origins allowed to call, comma-separated, each written as browsers send it:
    `https://app.example.com` (scheme, host and any port; no path)."""
    cors_max_age_seconds: int = Field(7200, ge=0, le=86_400)
    """How long a browser may reuse a preflight's answer before asking again
    (Access-Control-Max-Age); browsers cap it (Chromium at 7200, Firefox at 86400), and 0
    makes them ask before every request that needs one."""
    secret_key: str = ""
    """Key for hashing API keys; empty means a generated one kept in data_dir."""
    db_pool_size: int = Field(20, ge=1, le=200)
    """PostgreSQL connections per process."""
    db_pool_timeout_seconds: float = Field(10.0, gt=0, le=300)
    """How long a request waits for a free database connection before a 503."""
    db_statement_timeout_seconds: float = Field(10.0, ge=0, le=3600)
    """PostgreSQL stops any statement of the API or the worker that runs longer
    (statement_timeout), and the request gets a 503; 0 turns it off. Migrations run without
    it."""
    db_idle_in_transaction_timeout_seconds: float = Field(60.0, ge=0, le=3600)
    """PostgreSQL closes a connection left idle inside a transaction for longer
    (idle_in_transaction_session_timeout), rolling it back; 0 turns it off."""
    request_deadline_seconds: float = Field(30.0, ge=0, le=3600)
    """A request still unanswered after this long is stopped, its transaction rolled back,
    and answered 504; 0 turns it off."""
    auth_cache_seconds: float = Field(10.0, ge=0, le=300)
    """How long a verified API key is trusted without a query (revocation delay)."""
    action_document_cache_size: int = Field(20_000, ge=0, le=10_000_000)
    """Actions whose feed JSON each process keeps rendered (about 1.3 KiB each)."""
    feed_page_cache_size: int = Field(256, ge=0, le=100_000)
    """Feed pages each process keeps ready to serve (about 60 KiB each; PostgreSQL only, 0
    turns it off)."""
    feed_page_cache_seconds: float = Field(5.0, gt=0, le=300)
    """The longest a cached feed page is served before it is read again, and how often the
    connection that announces changes is checked."""
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)
    """How long an Idempotency-Key is remembered."""
    idempotency_wait_seconds: float = Field(10.0, ge=0, le=60)
    """How long a retry waits for the first request under its key before a 409."""
    webhook_allow_http: bool = False
    """Accept plain http:// webhook URLs (for development); otherwise https only."""
    webhook_allow_private_networks: bool = False
    """Let webhooks reach loopback, private and link-local addresses (for development and
    tests); the cloud metadata address stays refused."""
    public_base_url: str = Field("", max_length=2000)
    """The absolute http(s) URL clients reach this API at (scheme, host, optional port and
    path prefix; no query or fragment), e.g. `https://followup.example.com`. Every absolute
    URL the API hands out (calendar feed URLs) starts with it; the request's Host header is
    never used. Empty means `http://<host>:<port>` from the listening address, for local
    use."""
    worker_poll_interval_seconds: float = Field(5.0, gt=0, le=300)
    """How long the worker sleeps when a pass found nothing to do."""
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60)
    """The most one webhook attempt may take, connecting included."""
    webhook_disable_after_failures: int = Field(50, ge=1, le=100_000)
    """Consecutive failed attempts after which the worker disables an endpoint."""
    webhook_max_concurrent_per_endpoint: int = Field(4, ge=1, le=100)
    """The most deliveries in flight to one endpoint at a time, over every worker: a burst
    of events reaches a receiver a few at a time."""
    worker_metrics_port: int = Field(0, ge=0, le=65535)
    """Port on which `followup worker` serves its own `/metrics`; 0 serves none."""
    worker_metrics_host: str = Field("127.0.0.1", min_length=1, max_length=255)
    """Address the worker's `/metrics` listens on (loopback unless opened up)."""
    metrics_token: SecretStr | None = Field(None, min_length=16, max_length=512)
    """When set, the server's `/metrics` answers only requests sending `Authorization:
    Bearer <token>` (401 otherwise)."""

    work_budget_units: int = Field(2_000_000, ge=10_000, le=1_000_000_000)
    """Units of CPU work (characters scanned, loop passes, characters rendered) one request
    may cause in a draft check, a template render or a sync plan; past it the request gets
    a 422 naming what was too large."""
    work_budget_seconds: float = Field(2.0, gt=0, le=60)
    """The longest one request's CPU-heavy work may run before it is stopped with the same
    422."""
    cpu_threads: int = Field(2, ge=1, le=64)
    """CPU-heavy calls (draft checks, template renders, sync plans) run at once per process,
    each in a worker thread off the event loop; more wait their turn."""

    rate_limit_enabled: bool = True
    """Count authenticated requests per API key and per tenant and answer 429 past the
    limits below; off, no request is counted and no RateLimit header is sent."""
    rate_limit_per_key: RateLimit = "600/minute"
    """Requests one API key may make, in `limits` notation (`600/minute`, `20 per second`),
    over a sliding window."""
    rate_limit_per_tenant: RateLimit = "3000/minute"
    """Requests all of one tenant's keys together may make."""
    rate_limit_expensive_per_key: RateLimit = "60/minute"
    """Expensive requests (draft checks and renders, sync batches, template writes) one API
    key may make, on top of counting towards rate_limit_per_key."""
    rate_limit_expensive_per_tenant: RateLimit = "300/minute"
    """Expensive requests all of one tenant's keys together may make."""
    redis_url: str = Field("", max_length=2000)
    """Redis that keeps the rate-limit counts shared by every process and host
    (`redis://host:6379/0`, `rediss://…`, `redis+unix:///path?db=0`); empty keeps them in
    each process's memory."""
    redis_key_prefix: str = Field("followup", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    """Prefix of every key written to Redis, so deployments can share one."""
    redis_timeout_seconds: float = Field(0.5, gt=0, le=10)
    """The longest a Redis command may take; past it (or on any Redis error) the request is
    counted in this process's memory instead, for a few seconds."""

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

    @field_validator("cors_origins")
    @classmethod
    def _browser_origins(cls, value: list[str]) -> list[str]:
        return [check_origin(origin) for origin in value]

    @field_validator("public_base_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        return check_public_base_url(value) if value else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(REDIS_SCHEMES):
            raise ValueError("must be a redis://, rediss:// or redis+unix:// URL")
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
    def resolved_public_base_url(self) -> str:
        """The base of every absolute URL the API hands out, without a trailing slash."""
        if self.public_base_url:
            return self.public_base_url
        # Listening on every interface says nothing about the name clients use: this
        # machine's own loopback is the one address sure to reach it.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

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


def check_public_base_url(url: str) -> str:
    """``url`` without its trailing slash, if it is an absolute http(s) URL with a host and
    no user, query or fragment; else ValueError."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise ValueError("must be an absolute http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if "?" in url or "#" in url:
        raise ValueError("must not have a query or a fragment")
    try:
        parts.port  # noqa: B018 (parsing it is the check)
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    return url.rstrip("/")


def check_origin(origin: str) -> str:
    """``origin`` as a browser sends it in ``Origin`` (lower-case scheme and host, no default
    port, no trailing slash), if it names an http(s) scheme, a host and at most a port, or
    is ``*``; else ValueError. The CORS layer compares origins as exact strings, so one
    written any other way would match no request and fail without a word."""
    if origin == "*":
        return origin
    try:
        url = check_public_base_url(origin)
    except ValueError as exc:
        raise ValueError(f"{origin!r} {exc}") from None
    parts = urlsplit(url.lower())
    if parts.path:
        raise ValueError(f"{origin!r} must be only a scheme, a host and a port, with no path")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    if parts.port == default_port:
        return f"{parts.scheme}://{parts.netloc.rsplit(':', 1)[0]}"
    return f"{parts.scheme}://{parts.netloc}"


REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
# The longest window a limit may count over, and the most requests it may allow: a day
# keeps a window meaningful for the RateLimit header's `w`, a billion keeps counts exact.
MAX_RATE_LIMIT_WINDOW_SECONDS = 86_400
MAX_RATE_LIMIT_AMOUNT = 1_000_000_000


def parse_rate_limit(value: str) -> RateLimitItem:
    """One limit in `limits` notation (``600/minute``, ``10 per 2 seconds``), within bounds."""
    try:
        items = list(parse_many(value))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a rate limit such as '600/minute' or '10 per 2 seconds'"
        ) from None
    if len(items) != 1:
        raise ValueError(f"{value!r} must be exactly one limit, such as '600/minute'")
    item = items[0]
    if not 1 <= item.amount <= MAX_RATE_LIMIT_AMOUNT:
        raise ValueError(f"{value!r} must allow between 1 and {MAX_RATE_LIMIT_AMOUNT} requests")
    if not 1 <= item.get_expiry() <= MAX_RATE_LIMIT_WINDOW_SECONDS:
        raise ValueError(f"{value!r} must count over a window of one second to one day")
    return item


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
