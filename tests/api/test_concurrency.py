"""One costly request never stalls the others: CPU-heavy work runs off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from app.services.work import CpuPool, Work
from app.settings import Settings
from tests.adversarial_corpus import CHECKER_CORPUS
from tests.api.builders import interview_round
from tests.conftest import Tenant, client_for, make_tenant

# Built from template text the sandbox lets through, this template loops over every
# character of the interviewer's name four times over: 12 characters cost 20,736 passes,
# which the budget allows, while the worst-case names of validation would cost billions.
NESTED_LOOPS = (
    "{% for a in recipient.name %}{% for b in recipient.name %}{% for c in recipient.name %}"
    "{% for d in recipient.name %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
)


async def tenants(committed_app: Any, settings: Settings, *names: str) -> list[Tenant]:
    """New tenants of a committing app, removed with it afterwards."""
    made = [
        await make_tenant(committed_app.state.write_sessionmaker, settings, name=name)
        for name in names
    ]
    committed_app.state.created_tenants.extend(tenant.id for tenant in made)
    return made


@dataclass
class WhileCostly:
    """What was answered while a costly request ran."""

    health_checks: int  # /healthz answers (all 200) received before it ended
    other_answered: bool  # the other tenant's request, sent while it ran, answered 200


async def answered_while(
    costly: asyncio.Task[httpx.Response],
    anonymous: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    other_path: str,
) -> WhileCostly:
    """Ask `/healthz` again and again until ``costly`` ends, with the other tenant's path
    sent meanwhile: had the costly request held the event loop, no health check could have
    been answered before it ended."""
    other = asyncio.create_task(other_client.get(other_path))
    health_checks = 0
    while not costly.done():
        response = await anonymous.get("/healthz")
        assert response.status_code == 200, response.text
        if not costly.done():
            health_checks += 1
        # A monitor polls, it does not spin: in-process requests never wait on a socket,
        # so without a pause this loop alone would keep the interpreter busy.
        await asyncio.sleep(0.005)
    answer = await other
    return WhileCostly(health_checks, answer.status_code == 200)


async def test_health_and_another_tenants_feed_answer_while_a_costly_check_runs(
    committed_app: Any, settings: Settings
) -> None:
    checker, other = await tenants(committed_app, settings, "Costly checker", "Someone else")
    # The default units, but a clock that a loaded test machine cannot run out.
    committed_app.state.work = Work(CpuPool(2), units=settings.work_budget_units, seconds=600)
    # The corpus body that costs the checker the most work.
    body = max((body for _, body in CHECKER_CORPUS), key=len)
    async with (
        client_for(committed_app, checker.key) as costly_client,
        client_for(committed_app, other.key) as other_client,
        client_for(committed_app) as anonymous,
    ):
        await interview_round(other_client)  # the other tenant's feed holds something
        costly = asyncio.create_task(
            costly_client.post("/v1/drafts/check", json={"kind": "thank_you", "body": body})
        )
        answered = await answered_while(
            costly, anonymous, other_client, "/v1/actions?status=upcoming"
        )
        response = await costly
    assert response.status_code == 200, response.text[:300]
    assert answered.other_answered
    # The check works for a few hundred milliseconds: polled every 5 ms, /healthz answers
    # about twenty times; held by the check, only in the few awaits around it (3 seen).
    assert answered.health_checks >= 8, answered


async def test_a_template_stopped_by_the_time_budget_does_not_stall_the_others(
    committed_app: Any, settings: Settings
) -> None:
    writer, other = await tenants(committed_app, settings, "Template writer", "Bystander")
    # Units without end, so only the clock of the budget stops the render: two seconds.
    committed_app.state.work = Work(CpuPool(2), units=2**62, seconds=2.0)
    template = {"subject": "Thank you", "body": NESTED_LOOPS + "Dear {{ recipient.name }},"}
    async with (
        client_for(committed_app, writer.key) as writer_client,
        client_for(committed_app, other.key) as other_client,
        client_for(committed_app) as anonymous,
    ):
        costly = asyncio.create_task(writer_client.put("/v1/templates/thank_you", json=template))
        answered = await answered_while(costly, anonymous, other_client, "/v1/me")
        response = await costly
    assert response.status_code == 422, response.text[:300]
    problem = response.json()
    assert problem["type"].endswith("/work-budget-exceeded")
    assert answered.other_answered
    # Two seconds of rendering: about a hundred health checks when the loop is free (3 when
    # the render holds it).
    assert answered.health_checks >= 30, answered
