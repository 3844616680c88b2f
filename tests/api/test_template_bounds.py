"""Templates over HTTP: a hostile template is refused on save with a 422 naming the field,
and a stored one that costs too much on an action's real data answers a 422 too, never a
500 or a stall."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.repositories import templates as template_repo
from tests.adversarial_templates import TEMPLATE_CORPUS
from tests.api.builders import Json, actions_of, assert_invalid, assert_problem, interview_round
from tests.conftest import Tenant

TOO_COSTLY = "https://followup.dev/problems/work-budget-exceeded"
CUBIC_IN_THE_NAME = dict(TEMPLATE_CORPUS)["cubic in the recipient's name"]
LONGEST_NAME = ("Wolfeschlegelsteinhausenbergerdorff " * 6)[:200].strip()


@pytest.mark.parametrize(("name", "source"), TEMPLATE_CORPUS, ids=[n for n, _ in TEMPLATE_CORPUS])
async def test_every_hostile_template_is_refused_on_save(
    client: httpx.AsyncClient, name: str, source: str
) -> None:
    response = await client.put(
        "/v1/templates/thank_you", json={"subject": "Thank you", "body": source}
    )
    assert_invalid(response, "body.body")
    assert (await client.get("/v1/templates/thank_you")).json()["source"] == "built_in"


async def test_a_template_cheap_on_the_samples_but_costly_on_long_names_is_too_costly(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(
        "/v1/templates/thank_you", json={"subject": "Thank you", "body": CUBIC_IN_THE_NAME}
    )
    problem = assert_problem(response, 422)
    assert problem["type"] == TOO_COSTLY
    error = assert_invalid(response, "body.body")
    assert error["code"] == "too_costly"
    assert error["message"].startswith(
        "the template on every value at its longest and the largest panel (line 1: past the "
        "budget of"
    )


async def _thank_you_action(client: httpx.AsyncClient, contact_name: str) -> Json:
    application, interviewer, _ = await interview_round(
        client, start="2026-01-13T10:00:00+01:00", end="2026-01-13T11:00:00+01:00"
    )
    renamed = await client.patch(f"/v1/contacts/{interviewer['id']}", json={"name": contact_name})
    assert renamed.status_code == 200, renamed.text
    actions = await actions_of(client, application["id"])
    thank_you = [action for action in actions if action["type"] == "send_thank_you"]
    assert thank_you, actions
    return thank_you[0]


async def test_a_stored_template_too_costly_for_an_actions_data_answers_422(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # A template stored before templates were bounded: cheap on a short name, cubic in it.
    async with sessionmaker() as session, session.begin():
        await template_repo.save_template(
            session, tenant.id, "thank_you", "en", "Thank you", CUBIC_IN_THE_NAME
        )
    short = await _thank_you_action(client, "Grace Hopper")
    cheap = await client.get(f"/v1/actions/{short['id']}/draft")
    assert cheap.status_code == 200, cheap.text
    assert cheap.json()["template_source"] == "tenant"
    assert cheap.json()["body"].startswith("Dear Grace,")

    long = await _thank_you_action(client, LONGEST_NAME)
    response = await client.get(f"/v1/actions/{long['id']}/draft")
    problem = assert_problem(response, 422)
    assert problem["type"] == TOO_COSTLY
    error = assert_invalid(response, "template.body")
    assert error["code"] == "too_costly"
    assert error["message"].startswith("the tenant's `thank_you` template (line 1: past the budget")
