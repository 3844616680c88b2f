"""The `followup` command: serve, migrate, manage tenants and keys, export the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker
from app.domain.credentials import Scope
from app.repositories import tenants as tenant_repo
from app.services import api_keys
from app.settings import Settings, get_settings

BOOTSTRAP_TENANT_NAME = "Local workspace"
METRICS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535)")
    return port


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"followup: {message}", file=sys.stderr)
    raise SystemExit(code)


def load_settings() -> Settings:
    """Settings from the environment, or one clear line and exit status 2."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            variable = field if field.isupper() else f"FOLLOWUP_{field.upper()}"
            problems.append(f"{variable}: {error['msg']}")
        _fail("invalid setting " + "; ".join(problems), code=2)


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    engine = create_engine(settings)
    try:
        await migrations.ensure_at_head(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def _migrate(engine: AsyncEngine) -> None:
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    asyncio.run(_migrate(create_engine(settings)))
    print(f"database migrated to {migrations.head_revision()}")


def _print_new_key(settings: Settings, plaintext: str, headline: str) -> None:
    base = settings.resolved_public_base_url
    print(
        f"\n{headline}\n"
        f"  API key (shown once, keep it safe): {plaintext}\n"
        f"  Try it:\n"
        f"    curl -H 'Authorization: Bearer {plaintext}' {base}/v1/me\n",
        flush=True,
    )


async def _bootstrap_if_empty(session: AsyncSession, secret_key: bytes) -> str | None:
    if await tenant_repo.count_tenants(session) > 0:
        return None
    _tenant, issued = await api_keys.create_tenant_with_key(
        session, BOOTSTRAP_TENANT_NAME, secret_key
    )
    return issued.plaintext


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from app.observability import configure_logging

    configure_logging(settings)

    async def prepare() -> str | None:
        engine = create_engine(settings)
        try:
            if args.migrate:
                await migrations.upgrade(engine)
            await migrations.ensure_at_head(engine)
            async with create_sessionmaker(engine)() as session, session.begin():
                return await _bootstrap_if_empty(session, settings.resolved_secret_key())
        finally:
            await engine.dispose()

    try:
        first_key = asyncio.run(prepare())
    except migrations.SchemaBehindError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")
    if first_key:
        _print_new_key(settings, first_key, "Created your local workspace.")
    workers = args.workers or settings.workers
    if workers > 1:
        _share_metrics_between_workers(settings)
    # uvicorn answers SIGTERM by finishing the requests in flight, then raises the signal
    # again once its own handler is gone, to exit "killed by SIGTERM" (143). A stop asked
    # for and carried out in full is a success: exit 0, as the worker does.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _share_metrics_between_workers(settings: Settings) -> None:
    """Point prometheus_client's multiprocess mode at an empty directory.

    Each server process then writes its counters there and `/metrics`, whichever process
    answers, adds them all up. Set before the workers start, since the library reads it
    on import.
    """
    import os
    import shutil

    directory = Path(
        os.environ.get(METRICS_DIRECTORY_VARIABLE) or settings.data_dir / "prometheus"
    ).resolve()
    shutil.rmtree(directory, ignore_errors=True)  # counters start from zero with the server
    directory.mkdir(parents=True)
    os.environ[METRICS_DIRECTORY_VARIABLE] = str(directory)


def cmd_tenants_create(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: AsyncSession) -> tuple[str, str]:
        tenant, issued = await api_keys.create_tenant_with_key(
            session, args.name, settings.resolved_secret_key()
        )
        return tenant.id, issued.plaintext

    tenant_id, plaintext = asyncio.run(_with_session(settings, work))
    _print_new_key(settings, plaintext, f"Created tenant {tenant_id} ({args.name}).")


def cmd_tenants_list(settings: Settings, _args: argparse.Namespace) -> None:
    async def work(session: AsyncSession) -> None:
        for tenant in await tenant_repo.list_tenants(session):
            print(f"{tenant.id}\t{tenant.created_at.isoformat()}\t{tenant.name}")

    asyncio.run(_with_session(settings, work))


def cmd_keys_create(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: AsyncSession) -> str:
        if await tenant_repo.get_tenant(session, args.tenant) is None:
            _fail(f"no tenant {args.tenant}")
        issued = await api_keys.issue_key(
            session,
            args.tenant,
            settings.resolved_secret_key(),
            name=args.name,
            scopes=args.scope or None,
        )
        return issued.plaintext

    plaintext = asyncio.run(_with_session(settings, work))
    _print_new_key(settings, plaintext, f"Created a key for tenant {args.tenant}.")


def cmd_keys_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: AsyncSession) -> None:
        for key in await tenant_repo.list_api_keys(session, args.tenant):
            state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
            print(
                f"{key.id}\t{key.tenant_id}\tfu_live_{key.lookup}_…\t{key.scopes}\t{state}\t{key.name}"
            )

    asyncio.run(_with_session(settings, work))


def cmd_keys_revoke(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: AsyncSession) -> bool:
        return await api_keys.revoke(session, args.key_id) is not None

    if not asyncio.run(_with_session(settings, work)):
        _fail(f"no key {args.key_id}")
    print(f"revoked {args.key_id}")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from app.clock import utcnow
    from app.services.demo import load_demo

    async def work(session: AsyncSession) -> tuple[str, str, dict[str, int]]:
        tenant, issued = await api_keys.create_tenant_with_key(
            session, args.name, settings.resolved_secret_key()
        )
        counts = await load_demo(session, tenant.id, utcnow())
        return tenant.id, issued.plaintext, counts

    tenant_id, plaintext, counts = asyncio.run(_with_session(settings, work))
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    _print_new_key(settings, plaintext, f"Loaded the demo workspace {tenant_id}: {summary}.")
    feed = f"{settings.resolved_public_base_url}/v1/actions?status=due&status=overdue"
    print(f"  What is due right now:\n    curl -H 'Authorization: Bearer {plaintext}' '{feed}'\n")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    import os

    # The worker is one process serving its own metrics: the servers' shared directory
    # (if the environment names one) is not for it. Dropped before prometheus_client loads.
    os.environ.pop(METRICS_DIRECTORY_VARIABLE, None)
    from app.observability import configure_logging
    from app.services.worker import run_worker

    if args.metrics_port is not None:
        settings = settings.model_copy(update={"worker_metrics_port": args.metrics_port})
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings))
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")


def cmd_mcp(settings: Settings, args: argparse.Namespace) -> None:
    """Serve MCP over stdio with the credential in FOLLOWUP_MCP_TOKEN, over the database the
    settings name: the app's own state (pools, caches, limits), without its HTTP server."""
    import os

    from app.errors import Unauthorized
    from app.main import API_VERSION, connections, create_app
    from app.mcp_server import stdio
    from app.mcp_server.calls import principal_of
    from app.observability import configure_logging

    credential = os.environ.get(stdio.CREDENTIAL_VARIABLE, "").strip()
    if not credential:
        _fail(
            f"set {stdio.CREDENTIAL_VARIABLE} to an API key (fu_live_…) or a candidate token "
            "(fu_cand_…)",
            code=2,
        )
    # Logs go to stderr: stdout carries the protocol.
    configure_logging(settings)
    app = create_app(settings)

    async def run() -> str | None:
        """Serve until stdin closes; or why the credential is refused."""
        # Not the app's lifespan, which also runs the session manager of `/mcp` over HTTP.
        async with connections(app):
            try:
                # Checked once at start, so a wrong credential fails at once (and again at
                # every call).
                await principal_of(app.state, credential)
            except Unauthorized as exc:
                return exc.detail
            await stdio.serve(app.state, credential, version=API_VERSION)
        return None

    try:
        if args.migrate:
            asyncio.run(_migrate(create_engine(settings)))
        refused = asyncio.run(run())
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")
    if refused is not None:
        _fail(f"{stdio.CREDENTIAL_VARIABLE}: {refused}", code=2)


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> None:
    from app.main import contract_document

    text = json.dumps(contract_document(settings), indent=2, sort_keys=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="followup", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--migrate", action="store_true", help="migrate the database first")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database schema to head").set_defaults(
        handler=cmd_migrate
    )

    tenants = commands.add_parser("tenants", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenants.add_parser("create", help="create a tenant and its first key")
    create.add_argument("name")
    create.set_defaults(handler=cmd_tenants_create)
    tenants.add_parser("list", help="list tenants").set_defaults(handler=cmd_tenants_list)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    key_create = keys.add_parser("create", help="issue a new key (shown once)")
    key_create.add_argument("--tenant", required=True)
    key_create.add_argument("--name", default="default")
    key_create.add_argument("--scope", action="append", choices=[s.value for s in Scope])
    key_create.set_defaults(handler=cmd_keys_create)
    key_list = keys.add_parser("list", help="list keys (never their secrets)")
    key_list.add_argument("--tenant")
    key_list.set_defaults(handler=cmd_keys_list)
    key_revoke = keys.add_parser("revoke", help="revoke a key")
    key_revoke.add_argument("key_id")
    key_revoke.set_defaults(handler=cmd_keys_revoke)

    demo = commands.add_parser("demo", help="load a sample workspace with due actions")
    demo.add_argument("--name", default="Demo workspace")
    demo.set_defaults(handler=cmd_demo)

    worker = commands.add_parser(
        "worker", help="emit due/overdue events and deliver webhooks until SIGTERM"
    )
    worker.add_argument(
        "--metrics-port",
        type=_port,
        help="serve the worker's /metrics on this port (default: FOLLOWUP_WORKER_METRICS_PORT; "
        "0 serves none), on FOLLOWUP_WORKER_METRICS_HOST (127.0.0.1)",
    )
    worker.set_defaults(handler=cmd_worker)

    mcp = commands.add_parser(
        "mcp",
        help="serve the Model Context Protocol over stdio for an AI assistant, acting with "
        "the API key or candidate token in FOLLOWUP_MCP_TOKEN",
    )
    mcp.add_argument("--migrate", action="store_true", help="migrate the database first")
    mcp.set_defaults(handler=cmd_mcp)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="-")
    openapi.set_defaults(handler=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        args.handler(settings, args)
    except migrations.SchemaBehindError as exc:
        _fail(str(exc))
