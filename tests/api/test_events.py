"""The event log: written with the change that causes it, listed in order, erased on request."""

from __future__ import annotations

from collections import Counter

import httpx

from app.settings import Settings
from tests.api.builders import all_pages, interview_round, one
from tests.conftest import client_for, make_tenant


async def _events(client: httpx.AsyncClient, **params: str) -> list[dict[str, object]]:
    return await all_pages(client, "/v1/events", params)


async def test_booking_an_interview_records_its_events(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    events = await _events(client, application_id=application["id"])
    types = Counter(e["type"] for e in events)
    assert types["interview.scheduled"] == 1
    created = [e for e in events if e["type"] == "action.created"]
    stored = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    assert {e["action_id"] for e in created} == {a["id"] for a in stored}
    thank_you = one(stored, "send_thank_you", interviewer["id"])
    event = next(e for e in created if e["action_id"] == thank_you["id"])
    assert event["data"]["action"]["due_by"] == "2027-01-14T10:00:00Z"  # type: ignore[index]
    assert event["candidate_id"] == application["candidate_id"]

    # Nothing changed: nothing recorded.
    same = await client.patch(f"/v1/interviews/{interview['id']}", json={"kind": "video"})
    assert same.status_code == 200
    assert len(await _events(client, application_id=application["id"])) == len(events)


async def test_marks_cancellations_and_outcomes_are_recorded(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    closing = one(actions, "ask_closing_questions")
    await client.post(f"/v1/actions/{thank_you['id']}/complete", json={})
    await client.post(f"/v1/actions/{closing['id']}/dismiss", json={"reason": "Forgot"})
    await client.patch(f"/v1/interviews/{interview['id']}", json={"status": "cancelled"})
    await client.patch(f"/v1/applications/{application['id']}", json={"status": "withdrawn"})

    events = await _events(client, application_id=application["id"])
    types = [e["type"] for e in events]
    assert types.count("action.completed") == 1
    assert types.count("action.dismissed") == 1
    assert types.count("interview.cancelled") == 1
    assert types.count("application.outcome") == 1
    obsolete = {e["action_id"] for e in events if e["type"] == "action.obsolete"}
    # Marked actions keep their mark; only the ones still open became obsolete.
    assert thank_you["id"] not in obsolete and closing["id"] not in obsolete
    assert obsolete
    only = await _events(client, type="application.outcome")
    assert [e["type"] for e in only] == ["application.outcome"]


async def test_events_page_in_order(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await interview_round(client)
    everything = await _events(client)
    paged = await all_pages(client, "/v1/events", limit=2)
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    times = [str(e["occurred_at"]) for e in everything]
    assert times == sorted(times)


async def test_erasing_a_candidate_scrubs_their_events(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    keep, _, _ = await interview_round(client)
    assert (await client.delete(f"/v1/candidates/{application['candidate_id']}")).status_code == 204
    events = await _events(client)
    erased = [e for e in events if e["candidate_id"] == application["candidate_id"]]
    assert erased
    assert all(e["data"] == {"erased": True} and e["erased_at"] for e in erased)
    kept = [e for e in events if e["candidate_id"] == keep["candidate_id"]]
    assert kept and all(e["data"] != {"erased": True} for e in kept)
    assert "Grace" not in str(erased)


async def test_another_tenant_sees_none_of_the_events(
    app: object, client: httpx.AsyncClient, sessionmaker: object, settings: Settings
) -> None:
    await interview_round(client)
    other = await make_tenant(sessionmaker, settings, name="Other")  # type: ignore[arg-type]
    async with client_for(app, other.key) as theirs:
        assert (await theirs.get("/v1/events")).json()["data"] == []
