"""The draft checker over HTTP on the adversarial corpus: answered, or refused by budget."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.adversarial_corpus import CHECKER_CORPUS, MAX_BODY, ORDINARY_DRAFT
from tests.api.builders import actions_of, assert_invalid, interview_round, one
from tests.conftest import Tenant, app_in_transaction, client_for

# The bodies found by probing (issue 12): each froze a server for seconds to minutes.
PROBED = CHECKER_CORPUS[:6]
SMALLEST_BUDGET = 10_000  # the lowest FOLLOWUP_WORK_BUDGET_UNITS allows


@pytest.fixture
async def small_budget_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose requests may each cause only the smallest work budget."""
    small = settings.model_copy(update={"work_budget_units": SMALLEST_BUDGET})
    async with client_for(app_in_transaction(small, engine, sessionmaker), tenant.key) as http:
        yield http


@pytest.mark.parametrize(("name", "body"), PROBED, ids=[name for name, _ in PROBED])
async def test_each_probed_body_is_checked_within_the_default_budget(
    client: httpx.AsyncClient, name: str, body: str
) -> None:
    response = await client.post(
        "/v1/drafts/check", json={"kind": "thank_you", "subject": "Thanks", "body": body}
    )
    assert response.status_code == 200, response.text[:500]
    report = response.json()
    assert report["character_count"] > MAX_BODY // 2
    # Thousands of "sentences", well past the four a thank-you may have.
    assert "too_many_sentences" in {finding["code"] for finding in report["findings"]}


async def test_a_body_past_the_budget_is_a_422_naming_the_body(
    small_budget_client: httpx.AsyncClient,
) -> None:
    body = CHECKER_CORPUS[0][1]
    response = await small_budget_client.post(
        "/v1/drafts/check", json={"kind": "thank_you", "body": body}
    )
    error = assert_invalid(response, "body.body")
    assert error["code"] == "too_costly"
    problem = response.json()
    assert problem["type"].endswith("work-budget-exceeded")
    # The same app still checks a small draft: the budget is per request.
    short = await small_budget_client.post(
        "/v1/drafts/check", json={"kind": "connection_note", "body": "Hi Grace, great to meet."}
    )
    assert short.status_code == 200, short.text


async def test_a_maximum_length_ordinary_body_fits_the_default_budget(
    client: httpx.AsyncClient,
) -> None:
    body = (ORDINARY_DRAFT + "\n") * (MAX_BODY // (len(ORDINARY_DRAFT) + 1))
    response = await client.post("/v1/drafts/check", json={"kind": "check_in", "body": body})
    assert response.status_code == 200, response.text[:500]


async def test_an_action_draft_past_the_budget_is_a_422_naming_the_template(
    client: httpx.AsyncClient, small_budget_client: httpx.AsyncClient
) -> None:
    # A long (but etiquette-abiding) template of the tenant's: its draft costs more work
    # than the smallest budget, which a short built-in draft does not.
    long_question = "Could you please confirm the names and titles " + "and roles " * 400
    template = {
        "subject": "Who I will be meeting",
        "body": f"Hello,\n\n{long_question.strip()}? I look forward to it.\n\nBest regards,\nAda",
    }
    saved = await client.put("/v1/templates/panel_request", json=template)
    assert saved.status_code == 200, saved.text
    application, _, _ = await interview_round(client)
    action = one(await actions_of(client, application["id"]), "confirm_interviewers")
    path = f"/v1/actions/{action['id']}/draft"
    assert (await client.get(path)).status_code == 200
    error = assert_invalid(await small_budget_client.get(path), "template.body")
    assert error["code"] == "too_costly"
