"""Bench data: a fresh PostgreSQL database, two tenants with keys, and bulk-seeded records.

Rows are generated inside PostgreSQL with ``INSERT ... SELECT generate_series`` so a million
actions take seconds, not the hours an ORM would. Every "random" choice is derived from an
md5 of the row's number, so the same arguments give the same data on every machine.

Shape per tenant, for N actions: N/10 applications (two per candidate), three contacts
(the recruiter who reached out and two interviewers) and two interviews with a two-person
panel per application, and ten actions per application in the slots ``plan`` produces for
that shape (E1, E2, two E3 per interview; E4 or E5 at the end), with the domain's own
titles, explanations and guidance. The actions' windows and marks are spread so that, at
seeding time, about 7% are open and due now (the backlog of a busy recruiting firm, deep
enough that page 1,000 of the big tenant's due feed exists), 4% upcoming within a year,
1% snoozed, 4% overdue, and the rest are history over the past year: done, obsolete or
dismissed.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app import domain
from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker
from app.db.models import Action
from app.repositories.actions import status_condition
from app.repositories.pagination import encode_cursor
from app.services import api_keys
from app.settings import Settings, normalise_database_url

ACTIONS_PER_APPLICATION = 10
APPLICATIONS_PER_CANDIDATE = 2
# The seeding moment, typed: asyncpg would infer an untyped $2 as an interval.
NOW = "$2::timestamptz"
DUE_SHARE = 0.07  # of each tenant's actions, open and due at seeding time
LOCALES = (
    ("US", "America/New_York"),
    ("US", "America/Los_Angeles"),
    ("DE", "Europe/Berlin"),
    ("GB", "Europe/London"),
    ("FR", "Europe/Paris"),
    ("JP", "Asia/Tokyo"),
    ("IN", "Asia/Kolkata"),
    ("AU", "Australia/Sydney"),
    ("BR", "America/Sao_Paulo"),
    ("CA", "America/Toronto"),
)


@dataclass(frozen=True)
class BenchTenant:
    id: str
    key: str
    actions: int


@dataclass(frozen=True)
class BenchDatabase:
    name: str
    admin_url: str  # plain postgresql:// form, as asyncpg and the CLI take it
    url: str


def _plain(url: str) -> str:
    return normalise_database_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database(admin_url: str) -> BenchDatabase:
    """An empty database named ``followup_bench_<hex>`` on the admin URL's server."""
    admin = _plain(admin_url)
    name = f"followup_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    return BenchDatabase(name=name, admin_url=admin, url=url)


async def drop_database(database: BenchDatabase) -> None:
    connection = await asyncpg.connect(database.admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrate_and_create_tenants(
    database: BenchDatabase, secret_key: str, names: list[str]
) -> list[tuple[str, str]]:
    """Schema at head, then one tenant and API key per name, as ``make_tenant`` does."""
    settings = Settings(database_url=database.url, secret_key=secret_key)
    engine = create_engine(settings)
    try:
        await migrations.upgrade(engine)
        created = []
        async with create_sessionmaker(engine)() as session, session.begin():
            for name in names:
                tenant, issued = await api_keys.create_tenant_with_key(
                    session, name, settings.resolved_secret_key()
                )
                created.append((tenant.id, issued.plaintext))
        return created
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class _Slot:
    rule: str
    type: str
    channel: str
    interview: int | None  # which of the application's two interviews (0, 1)
    contact: int | None  # which of its three contacts (1, 2 are the interviewers)
    title: str
    explanation: str
    guidance: str


def action_slots() -> list[_Slot]:
    """The ten actions ``plan`` gives the seeded shape, texts included, one per slot.

    The last two slots are E5 for an application with an outcome; an active one has an E4
    check-in in slot 8 instead (chosen per application while seeding).
    """
    candidate = domain.Candidate(id="cand_t", time_zone="America/New_York", country="US")
    contacts = tuple(
        domain.Contact(
            id=f"con_{number}",
            name=f"Person {number}",
            title="Engineering Manager",
            organization="Example Corp",
            email=f"person{number}@example.com",
            phone=None,
            profile_url=f"https://network.example/person{number}",
            is_recruiting_firm_rep=False,
            made_first_contact=number == 0,
        )
        for number in range(3)
    )
    first = datetime(2025, 3, 3, 15, tzinfo=UTC)
    interviews = tuple(
        domain.Interview(
            id=f"int_{number}",
            kind=domain.InterviewKind.VIDEO,
            start=first + timedelta(days=10 * number),
            end=first + timedelta(days=10 * number, hours=1),
            status=domain.InterviewStatus.COMPLETED,
            panel=("con_1", "con_2"),
            panel_confirmed=False,
            next_step=None,
            expected_reply_date=None,
            recorded_at=first - timedelta(days=7),
        )
        for number in range(2)
    )
    planned_by_status = {}
    for status, outcome_at in (
        (domain.ApplicationStatus.REJECTED, first + timedelta(days=20)),
        (domain.ApplicationStatus.ACTIVE, None),
    ):
        application = domain.Application(
            id="app_t",
            candidate=candidate,
            status=status,
            outcome_at=outcome_at,
            contacts=contacts,
            interviews=interviews,
            replies=(),
            marks=(),
        )
        planned_by_status[status] = [
            _slot(planned) for planned in domain.plan(application, domain.Policy())
        ]
    with_outcome = planned_by_status[domain.ApplicationStatus.REJECTED]
    check_ins = [s for s in planned_by_status[domain.ApplicationStatus.ACTIVE] if s.rule == "E4"]
    if (
        len(with_outcome) != ACTIONS_PER_APPLICATION
        or [s.rule for s in with_outcome[8:]] != ["E5", "E5"]
        or not check_ins
    ):
        raise RuntimeError("the domain no longer plans the seeded shape as ten actions")
    return [*with_outcome, check_ins[0]]


def _slot(planned: domain.PlannedAction) -> _Slot:
    parts = planned.key.split(":")[1:]
    return _Slot(
        rule=planned.rule.value,
        type=planned.type.value,
        channel=planned.channel.value,
        interview=next((int(p[4:]) for p in parts if p.startswith("int_")), None),
        contact=next((int(p[4:]) for p in parts if p.startswith("con_")), None),
        title=planned.title,
        explanation=planned.explanation,
        guidance=planned.guidance,
    )


def _uniform(number_sql: str, draw: int) -> str:
    """SQL for a uniform number in [0, 1), the same for the same row number and draw."""
    return f"((hashint8extended(({number_sql})::bigint, {draw}) & 2147483647) / 2147483648.0)"


def _id(prefix: str, kind: str, number_sql: str) -> str:
    return f"'{prefix}_' || substr(md5($1 || ':{kind}:' || ({number_sql})), 1, 24)"


async def seed_tenant(
    connection: asyncpg.Connection, tenant_id: str, actions: int, now: datetime
) -> None:
    """Candidates, applications, contacts, interviews, panels and ``actions`` actions."""
    applications = -(-actions // ACTIONS_PER_APPLICATION)
    candidates = -(-applications // APPLICATIONS_PER_CANDIDATE)
    countries = [c for c, _ in LOCALES]
    zones = [z for _, z in LOCALES]
    # Each application's first interview is somewhere in the year before now (a few in the
    # month ahead); the second comes ten days later. History and open work alike hang off it.
    app_draw = _uniform("a", 0)
    first_interview = f"({NOW} - interval '365 days' + {app_draw} * interval '395 days')"

    await connection.execute(
        f"""
        INSERT INTO candidates
            (id, tenant_id, external_id, name, email, time_zone, country,
             created_at, updated_at, version)
        SELECT {_id("cand", "cand", "n")}, $1, 'ats-cand-' || n, 'Candidate ' || n,
               'candidate' || n || '@example.com', ($4::text[])[1 + n % 10],
               ($3::text[])[1 + n % 10],
               {NOW} - interval '400 days', {NOW} - interval '400 days', 1
        FROM generate_series(0, {candidates - 1}) AS n
        """,
        tenant_id,
        now,
        countries,
        zones,
    )
    await connection.execute(
        f"""
        INSERT INTO applications
            (id, tenant_id, candidate_id, external_id, company, role, job_url, source,
             recruiting_firm, status, outcome_at, created_at, updated_at, version)
        SELECT {_id("app", "app", "a")}, $1,
               {_id("cand", "cand", f"a / {APPLICATIONS_PER_CANDIDATE}")},
               'ats-app-' || a, 'Company ' || (a % 5000), 'Software Engineer',
               'https://jobs.example/' || a, 'recruiting_firm', 'Bench Recruiting',
               CASE WHEN a % 10 < 4 THEN 'active' ELSE 'rejected' END,
               CASE WHEN a % 10 < 4 THEN NULL ELSE {first_interview} + interval '20 days' END,
               {first_interview} - interval '14 days', {first_interview} - interval '14 days', 1
        FROM generate_series(0, {applications - 1}) AS a
        """,
        tenant_id,
        now,
    )
    await connection.execute(
        f"""
        INSERT INTO contacts
            (id, tenant_id, application_id, external_id, role, made_first_contact, name,
             title, organization, email, phone, profile_url, created_at, updated_at, version)
        SELECT {_id("con", "con", "m")}, $1, {_id("app", "app", "m / 3")}, NULL,
               CASE WHEN m % 3 = 0 THEN 'recruiter' ELSE 'interviewer' END, m % 3 = 0,
               'Person ' || m, 'Engineering Manager', 'Company ' || ((m / 3) % 5000),
               'person' || m || '@example.com', NULL, 'https://network.example/p' || m,
               {NOW} - interval '400 days', {NOW} - interval '400 days', 1
        FROM generate_series(0, {3 * applications - 1}) AS m
        """,
        tenant_id,
        now,
    )
    await connection.execute(
        f"""
        INSERT INTO interviews
            (id, tenant_id, application_id, external_id, kind, start_at, end_at, status,
             panel_confirmed, next_step, expected_reply_date, created_at, updated_at, version)
        SELECT {_id("int", "int", "m")}, $1, {_id("app", "app", "a")}, NULL, 'video',
               t + (m % 2) * interval '10 days',
               t + (m % 2) * interval '10 days' + interval '1 hour',
               CASE WHEN t + (m % 2) * interval '10 days' < {NOW} THEN 'completed'
                    ELSE 'scheduled' END,
               false, NULL, NULL, t - interval '7 days', t - interval '7 days', 1
        FROM (SELECT m, m / 2 AS a FROM generate_series(0, {2 * applications - 1}) AS m) AS i,
             LATERAL (SELECT {first_interview} AS t) AS timing
        """,
        tenant_id,
        now,
    )
    await connection.execute(
        f"""
        INSERT INTO panelists (interview_id, contact_id, position)
        SELECT {_id("int", "int", "m")}, {_id("con", "con", "(m / 2) * 3 + p")}, p - 1
        FROM generate_series(0, {2 * applications - 1}) AS m, generate_series(1, 2) AS p
        """,
        tenant_id,
    )
    await _seed_actions(connection, tenant_id, actions, now)


async def _seed_actions(
    connection: asyncpg.Connection, tenant_id: str, actions: int, now: datetime
) -> None:
    slots = action_slots()
    u_category, u_when, u_length, u_outcome = (_uniform("n", draw) for draw in range(1, 5))
    per_app = ACTIONS_PER_APPLICATION
    # An application with an outcome (6 in 10) ends with two E5 actions, as ``plan`` gives
    # it; an active one has its first and second E4 check-in in those slots instead.
    await connection.execute(
        f"""
        WITH slot AS (
            SELECT * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[],
                                 $8::int[], $9::text[], $10::text[], $11::text[])
                AS slot (number, rule, type, channel, interview, contact, title,
                         explanation, guidance)
        ),
        drawn AS MATERIALIZED (
            SELECT n, a, n % {per_app} AS place,
                   CASE WHEN n % {per_app} >= 8 AND a % 10 < 4 THEN {per_app}
                        ELSE n % {per_app} END AS s,
                   {u_category} AS category, {u_when} AS w, {u_length} AS l, {u_outcome} AS o
            FROM (SELECT n, n / {per_app} AS a FROM generate_series(0, {actions - 1}) AS n)
                AS numbered
        ),
        windowed AS MATERIALIZED (
            SELECT drawn.*, category >= 0.16 AS closed,
                   CASE
                     -- due now: opened up to ten days ago
                     WHEN category < {DUE_SHARE}
                       THEN {NOW} - interval '1 hour' - w * interval '10 days'
                     -- upcoming: opens within the year, sooner more often
                     WHEN category < 0.11
                       THEN {NOW} + interval '1 hour' + w * w * interval '365 days'
                     -- snoozed: an open window, hidden for up to a week
                     WHEN category < 0.12 THEN {NOW} - w * interval '5 days'
                     -- overdue (open) and closed history: windows over the past year
                     ELSE {NOW} - interval '8 days' - w * interval '357 days'
                   END AS available_from,
                   CASE
                     -- due now: due within two weeks
                     WHEN category < {DUE_SHARE}
                       THEN {NOW} + interval '2 hours' + l * interval '14 days'
                     WHEN category < 0.11
                       THEN {NOW} + interval '1 day' + w * w * interval '365 days'
                            + l * interval '6 days'
                     WHEN category < 0.12
                       THEN {NOW} + interval '1 hour' + l * interval '5 days'
                     ELSE {NOW} - interval '7 days' - w * interval '357 days'
                          + l * interval '6 days'
                   END AS due_by
            FROM drawn
        )
        INSERT INTO actions
            (id, tenant_id, application_id, candidate_id, key, rule, type, interview_id,
             contact_id, available_from, due_by, channel, blocked_reason, title, explanation,
             guidance, satisfied, obsolete_at, mark, marked_at, snoozed_until, dismiss_reason,
             resolution, created_at, updated_at, version)
        SELECT {_id("act", "act", "n")}, $1, {_id("app", "app", "a")},
               {_id("cand", "cand", f"a / {APPLICATIONS_PER_CANDIDATE}")},
               CASE WHEN slot.rule = 'E4'
                    THEN 'E4:' || {_id("int", "int", "a * 2 + 1")} || ':' || (place - 7)
                    ELSE slot.rule
                         || COALESCE(':' || {_id("int", "int", "a * 2 + slot.interview")}, '')
                         || COALESCE(':' || {_id("con", "con", "a * 3 + slot.contact")}, '')
               END,
               slot.rule, slot.type,
               CASE WHEN slot.interview IS NOT NULL
                    THEN {_id("int", "int", "a * 2 + slot.interview")} END,
               CASE WHEN slot.contact IS NOT NULL
                    THEN {_id("con", "con", "a * 3 + slot.contact")} END,
               available_from, due_by, slot.channel, NULL,
               slot.title, slot.explanation, slot.guidance,
               -- closed history: 60% done (E1/E2 by themselves, the rest marked), 30%
               -- obsolete, 10% dismissed
               closed AND o < 0.6 AND slot.rule IN ('E1', 'E2'),
               CASE WHEN closed AND o >= 0.6 AND o < 0.9 THEN due_by END,
               CASE WHEN category >= 0.11 AND category < 0.12 THEN 'snoozed'
                    WHEN closed AND o < 0.6 AND slot.rule NOT IN ('E1', 'E2') THEN 'done'
                    WHEN closed AND o >= 0.9 THEN 'dismissed' END,
               CASE WHEN category >= 0.11 AND category < 0.12
                    THEN {NOW} - interval '1 hour'
                    WHEN closed AND (o >= 0.9 OR (o < 0.6 AND slot.rule NOT IN ('E1', 'E2')))
                    THEN available_from + (due_by - available_from) / 2 END,
               CASE WHEN category >= 0.11 AND category < 0.12
                    THEN {NOW} + interval '1 hour' + l * interval '7 days' END,
               CASE WHEN closed AND o >= 0.9 THEN 'no longer relevant' END,
               CASE WHEN NOT closed THEN NULL
                    WHEN o < 0.6 THEN 'done' WHEN o < 0.9 THEN 'obsolete' ELSE 'dismissed' END,
               available_from - interval '7 days', available_from - interval '7 days', 1
        FROM windowed JOIN slot ON slot.number = windowed.s
        """,
        tenant_id,
        now,
        list(range(len(slots))),
        [s.rule for s in slots],
        [s.type for s in slots],
        [s.channel for s in slots],
        [s.interview for s in slots],
        [s.contact for s in slots],
        [s.title for s in slots],
        [s.explanation for s in slots],
        [s.guidance for s in slots],
    )


async def seed(database: BenchDatabase, tenants: list[BenchTenant], now: datetime) -> float:
    """Seed every tenant, then ANALYZE; returns the seconds it took.

    Two bulk-load habits keep a million rows to a minute or so: the secondary indexes
    are built once at the end rather than row by row, and foreign keys are not checked per
    row (``session_replication_role = replica``, where the role may set it) since every
    reference is generated from the same numbering; ``_check_references`` then proves it
    with one join per reference.
    """
    started = time.perf_counter()
    connection = await asyncpg.connect(database.url)
    try:
        # Not a superuser: the foreign keys are checked row by row, only slower.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET session_replication_role = replica")
        deferred = await _drop_secondary_indexes(connection)
        for tenant in tenants:
            async with connection.transaction():
                await seed_tenant(connection, tenant.id, tenant.actions, now)
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for definition in deferred:
            await connection.execute(definition)
        await connection.execute("RESET session_replication_role")
        await _check_references(connection)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


_SEEDED_TABLES = ("candidates", "applications", "contacts", "interviews", "panelists", "actions")


async def _drop_secondary_indexes(connection: asyncpg.Connection) -> list[str]:
    """Drop the seeded tables' plain indexes (not constraints); their definitions to rebuild."""
    rows = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index AS i
        JOIN pg_class AS t ON t.oid = i.indrelid
        WHERE t.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        """,
        list(_SEEDED_TABLES),
    )
    for row in rows:
        await connection.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _check_references(connection: asyncpg.Connection) -> None:
    """Every foreign key of the seeded tables holds (one anti-join per constraint)."""
    constraints = await connection.fetch(
        """
        SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
               array_agg(a.attname ORDER BY k.ordinality) AS child_columns,
               array_agg(p.attname ORDER BY k.ordinality) AS parent_columns
        FROM pg_constraint AS c
        CROSS JOIN LATERAL unnest(c.conkey, c.confkey)
            WITH ORDINALITY AS k(child, parent, ordinality)
        JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.child
        JOIN pg_attribute AS p ON p.attrelid = c.confrelid AND p.attnum = k.parent
        WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1::text[])
        GROUP BY c.oid, c.conrelid, c.confrelid
        """,
        list(_SEEDED_TABLES),
    )
    for constraint in constraints:
        matches = " AND ".join(
            f"p.{parent} = c.{child}"
            for child, parent in zip(
                constraint["child_columns"], constraint["parent_columns"], strict=True
            )
        )
        present = " AND ".join(f"c.{child} IS NOT NULL" for child in constraint["child_columns"])
        dangling = await connection.fetchval(
            f"SELECT count(*) FROM {constraint['child']} AS c WHERE {present}"
            f" AND NOT EXISTS (SELECT 1 FROM {constraint['parent']} AS p WHERE {matches})"
        )
        if dangling:
            raise RuntimeError(
                f"seeding left {dangling} rows of {constraint['child']} without their "
                f"{constraint['parent']}"
            )


async def due_cursor_after(
    database: BenchDatabase, tenant_id: str, rows: int, as_of: datetime
) -> str:
    """The cursor the API hands out after ``rows`` due actions, from the API's own condition."""
    settings = Settings(database_url=database.url, secret_key="unused")
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            last = (
                await session.execute(
                    select(Action.due_by, Action.id)
                    .where(
                        Action.tenant_id == tenant_id,
                        status_condition(domain.ActionStatus.DUE, as_of),
                    )
                    .order_by(Action.due_by, Action.id)
                    .offset(rows - 1)
                    .limit(1)
                )
            ).one_or_none()
    finally:
        await engine.dispose()
    if last is None:
        raise RuntimeError(f"tenant {tenant_id} has fewer than {rows} due actions")
    return encode_cursor([last.due_by, last.id])


async def sample_application_ids(database: BenchDatabase, tenant_id: str, count: int) -> list[str]:
    connection = await asyncpg.connect(database.url)
    try:
        rows = await connection.fetch(
            "SELECT id FROM applications WHERE tenant_id = $1 ORDER BY id LIMIT $2",
            tenant_id,
            count,
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


async def table_counts(database: BenchDatabase, tenant_id: str, as_of: datetime) -> dict[str, int]:
    """Row counts of the tenant's actions by stored resolution, and how many are due now."""
    connection = await asyncpg.connect(database.url)
    try:
        counts = {
            (row["resolution"] or "open"): row["count"]
            for row in await connection.fetch(
                "SELECT resolution, count(*) FROM actions WHERE tenant_id = $1 GROUP BY 1",
                tenant_id,
            )
        }
        counts["due_now"] = await connection.fetchval(
            "SELECT count(*) FROM actions WHERE tenant_id = $1 AND resolution IS NULL"
            " AND (snoozed_until IS NULL OR snoozed_until <= $2)"
            " AND available_from <= $2 AND due_by > $2",
            tenant_id,
            as_of,
        )
    finally:
        await connection.close()
    return counts


async def backend_pids(database: BenchDatabase) -> list[int]:
    """PIDs of the PostgreSQL backends connected to the bench database (same machine)."""
    connection = await asyncpg.connect(database.admin_url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database.name
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


async def sessions_opened(database: BenchDatabase) -> int:
    """Connections ever opened to the bench database (PostgreSQL 14+; 0 before)."""
    connection = await asyncpg.connect(database.admin_url)
    try:
        value = await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", database.name
        )
    except asyncpg.UndefinedColumnError:
        value = 0
    finally:
        await connection.close()
    return int(value or 0)
