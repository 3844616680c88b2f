"""Shared fixtures: a fresh, migrated database per run; a rolled-back transaction per test.

`FOLLOWUP_TEST_DATABASE_URL` selects the server: unset means a temporary SQLite file; a
PostgreSQL URL names the server and an admin database, and a fresh database is created
there for this run and dropped at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db import migrations
from app.db.engine import create_engine
from app.main import create_app
from app.services import api_keys
from app.settings import Settings, normalise_database_url

TEST_DATABASE_URL_VARIABLE = "FOLLOWUP_TEST_DATABASE_URL"


@dataclass(frozen=True)
class TestDatabase:
    url: str

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


async def _create_postgres_database(admin_url: str, name: str) -> None:
    engine = create_engine(Settings(database_url=admin_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def _drop_postgres_database(admin_url: str, name: str) -> None:
    engine = create_engine(Settings(database_url=admin_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


@pytest.fixture(scope="session")
async def test_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestDatabase]:
    """An empty database for this test run (not yet migrated)."""
    configured = os.environ.get(TEST_DATABASE_URL_VARIABLE, "")
    if not configured or configured.startswith("sqlite"):
        path = tmp_path_factory.mktemp("db") / "followup-test.db"
        yield TestDatabase(url=f"sqlite+aiosqlite:///{path}")
        return
    admin_url = normalise_database_url(configured)
    name = f"followup_test_{secrets.token_hex(4)}"
    await _create_postgres_database(admin_url, name)
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield TestDatabase(url=url)
    finally:
        await _drop_postgres_database(admin_url, name)


@pytest.fixture(scope="session")
def settings(test_database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=test_database.url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret",
        max_body_bytes=256 * 1024,
        # Tests revoke keys and expect the next request to see it at once.
        auth_cache_seconds=0,
        # Not the test client's "testserver": URLs the API hands out must come from here.
        public_base_url="https://followup.example.com",
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The run's engine, on a database migrated to head."""
    engine = create_engine(settings)
    await migrations.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Each "commit" inside the test only releases a savepoint of the outer transaction.
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def app_in_transaction(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> Any:
    """An app whose every request joins the test's rolled-back transaction."""
    application = create_app(settings)
    application.state.engine = engine
    application.state.sessionmaker = sessionmaker
    application.state.read_sessionmaker = sessionmaker
    application.state.write_sessionmaker = sessionmaker
    return application


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]):  # type: ignore[no-untyped-def]
    return app_in_transaction(settings, engine, sessionmaker)


@dataclass(frozen=True)
class Tenant:
    id: str
    key: str
    key_id: str


async def make_tenant(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    name: str = "Acme Careers",
    scopes: list[str] | None = None,
) -> Tenant:
    async with sessionmaker() as session, session.begin():
        tenant, issued = await api_keys.create_tenant_with_key(
            session, name, settings.resolved_secret_key()
        )
        if scopes is not None:
            issued = await api_keys.issue_key(
                session, tenant.id, settings.resolved_secret_key(), scopes=scopes
            )
        return Tenant(id=tenant.id, key=issued.plaintext, key_id=issued.record.id)


@pytest.fixture
async def tenant(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Tenant:
    return await make_tenant(sessionmaker, settings)


def client_for(app: object, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        headers=headers,
    )


@pytest.fixture
async def client(app: object, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as `tenant`."""
    async with client_for(app, tenant.key) as http:
        yield http


@pytest.fixture
async def anonymous(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture(scope="session")
def project_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parents[1]


@pytest.fixture
async def scratch_database_url(test_database: TestDatabase, tmp_path: Path) -> AsyncIterator[str]:
    """A second, empty database on the same server, for tests that need a blank schema."""
    if not test_database.is_postgres:
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    admin_url = normalise_database_url(os.environ[TEST_DATABASE_URL_VARIABLE])
    name = f"followup_scratch_{secrets.token_hex(4)}"
    await _create_postgres_database(admin_url, name)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await _drop_postgres_database(admin_url, name)


@asynccontextmanager
async def committing_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    """An app whose requests really commit; the tenants listed in its
    `state.created_tenants` are deleted afterwards, with everything they own."""
    from sqlalchemy import delete, select

    from app.db.models import Candidate
    from app.db.models import Tenant as TenantRow
    from app.main import attach_database
    from app.repositories.records import remove_with_dependents

    application = create_app(settings)
    attach_database(application, engine)
    created: list[str] = []
    application.state.created_tenants = created
    yield application
    async with application.state.write_sessionmaker() as session, session.begin():
        for tenant_id in created:
            for candidate in await session.scalars(
                select(Candidate).where(Candidate.tenant_id == tenant_id)
            ):
                await remove_with_dependents(session, candidate)
        if created:
            await session.execute(delete(TenantRow).where(TenantRow.id.in_(created)))


@pytest.fixture
async def committed_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    """An app whose requests really commit (for concurrency tests)."""
    async with committing_app(settings, engine) as application:
        yield application
