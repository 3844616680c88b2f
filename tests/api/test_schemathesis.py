"""Property-based API tests: schemathesis generates requests from the app's OpenAPI document.

Every operation is called with valid and invalid data (positive and negative generation);
no answer may be a server error, and every answer must match the status codes, media type
and body schema the document declares. A stateful run then chains operations through the
links schemathesis infers from the document (a created candidate's `id` feeds
`/v1/candidates/{candidate_id}`, and so on).

Requests go through httpx to the ASGI app on the test's own event loop, not through
schemathesis's threaded test client: the app's session is bound to the per-test connection,
whose transaction is rolled back afterwards, so nothing a run creates outlives its test.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.main import create_app
from app.settings import Settings
from tests.api.test_isolation import VICTIM_WEBHOOK_HOST, build_victim
from tests.conftest import client_for, make_tenant
from tests.services.test_ssrf import PUBLIC_V4, fake_dns

# Per operation and generation mode; enough to find the classic 500s in well under a minute.
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 8
BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _document() -> dict[str, Any]:
    # The document does not depend on settings; these only keep create_app off the disk.
    settings = Settings(secret_key="openapi-only", database_url="sqlite+aiosqlite:///:memory:")
    return create_app(settings).openapi()


# Hypothesis keeps caches (the constants it mines from source files, Unicode tables) in its
# home directory, ./.hypothesis by default; keep them out of the working tree.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="followup-hypothesis-"))

SCHEMA = schemathesis.openapi.from_dict(_document())
SCHEMA.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    # The same examples on every run, so CI is not flaky; no example database on disk.
    deterministic=True,
    database="none",
)


@dataclass
class InProcessApi:
    """Sends schemathesis cases to the app on the loop that owns the test's connection."""

    loop: asyncio.AbstractEventLoop
    connection: AsyncConnection
    http: httpx.AsyncClient
    authorization: dict[str, str]
    # The tenant's own records, by the name of the parameter that addresses each.
    ids: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)
    # Operations that answered 2xx at least once: proof the run reached real records.
    succeeded: set[str] = field(default_factory=set)

    def aim_at_real_records(self, case: schemathesis.Case[Any]) -> None:
        """Point a valid case's IDs at records that exist, so it gets past the lookup.

        Generated IDs are random strings: without this, every operation on a record would
        only ever answer 404. Invalid (negative) cases keep their generated values.
        """
        if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
            return
        for name in list(case.path_parameters or {}):
            if name in self.ids:
                case.path_parameters[name] = self.ids[name]
        if isinstance(case.body, dict):
            for name, value in list(case.body.items()):
                if name in self.ids and isinstance(value, str):
                    case.body[name] = self.ids[name]

    @contextmanager
    def fresh_state(self) -> Iterator[None]:
        """Run a block inside a savepoint that is rolled back: every example (or stateful
        scenario) starts from the same seeded records, as Hypothesis needs to replay it."""
        savepoint = self.loop.run_until_complete(self.connection.begin_nested())
        try:
            yield
        finally:
            self.loop.run_until_complete(savepoint.rollback())

    def call(self, case: schemathesis.Case[Any]) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=self.authorization)
        assert not kwargs.get("cookies"), "this API reads no cookies"
        content: bytes | str | None = kwargs.get("data")
        if "json" in kwargs:
            content = json.dumps(kwargs["json"])
        # Negative cases put any text in a header; on the wire a header is bytes (RFC 9110
        # keeps them to visible ASCII, and servers see others as obs-text), so send what
        # httpx would refuse to encode as UTF-8 bytes, as a hostile client could.
        headers = {
            name: value if not isinstance(value, str) or value.isascii() else value.encode()
            for name, value in kwargs["headers"].items()
        }
        request = self.http.request(
            kwargs["method"],
            kwargs["url"],
            headers=headers,
            params=kwargs.get("params"),
            content=content,
        )
        # The test body is synchronous (Hypothesis drives it); the loop is idle between
        # fixtures, so the request runs to completion on it.
        response = self.loop.run_until_complete(request)
        self.statuses[response.status_code] += 1
        if response.is_success:
            self.succeeded.add(f"{case.method} {case.path}")
        return response


@pytest.fixture
async def api(
    app: FastAPI,
    connection: AsyncConnection,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[InProcessApi]:
    # Saving a webhook URL resolves its host: answer for the seeded one, refuse the rest, and
    # never let generated URLs reach a real resolver.
    fake_dns(monkeypatch, {VICTIM_WEBHOOK_HOST: [PUBLIC_V4]})
    tenant = await make_tenant(sessionmaker, settings, name="Schemathesis Tenant")
    async with client_for(app, tenant.key) as seeding:
        records = await build_victim(seeding)
    # A server error must come back as the 500 a client would see, for schemathesis to judge,
    # not as an exception raised into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield InProcessApi(
            loop=asyncio.get_running_loop(),
            connection=connection,
            http=http,
            authorization={"Authorization": f"Bearer {tenant.key}"},
            ids=records.ids,
        )


@SCHEMA.parametrize()
# The `api` fixture is shared by all examples of one operation on purpose: each example runs
# in its own savepoint against the same seeded records.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_every_operation_answers_within_its_contract(
    case: schemathesis.Case[Any], api: InProcessApi
) -> None:
    api.aim_at_real_records(case)
    with api.fresh_state():
        response = api.call(case)
    case.validate_response(response, checks=CHECKS)


def test_linked_operations_keep_their_contract(api: InProcessApi) -> None:
    base = SCHEMA.as_state_machine()
    # Links are inferred from the document (`id` of a CandidateRead feeds `{candidate_id}`).
    assert SCHEMA.statistic.transitions.total > 50, "links should be inferred between resources"

    class InProcessStateMachine(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            self._state = api.fresh_state()
            self._state.__enter__()

        def teardown(self) -> None:
            self._state.__exit__(None, None, None)

        def call(self, case: schemathesis.Case[Any], **kwargs: Any) -> Response:
            return Response.from_any(api.call(case))

        def validate_response(
            self, response: Response, case: schemathesis.Case[Any], *args: Any, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    InProcessStateMachine.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    # The seeded records are only reachable through links from the list operations, so a
    # success on an operation addressed by ID shows the links carried real IDs.
    reached_by_link = {label for label in api.succeeded if "{" in label}
    assert reached_by_link, (api.statuses, api.succeeded)
