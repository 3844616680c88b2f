"""The feed is serialised from rows without model objects (it is the hottest path), so
these tests hold what it writes to the `ActionRead` schema the OpenAPI document declares."""

from __future__ import annotations

import httpx

from app.schemas.actions import ActionRead
from tests.api.builders import all_pages, interview_round


async def test_feed_items_match_the_schema_and_the_single_resource(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    thank_you = next(a for a in actions if a["type"] == "send_thank_you")
    await client.post(
        f"/v1/actions/{thank_you['id']}/snooze",
        json={"until": "2027-01-13T20:00:00+01:00", "at": "2027-01-13T12:00:00+01:00"},
    )
    as_of = "2027-01-13T12:30:00+01:00"
    feed = await all_pages(client, "/v1/actions", {"as_of": as_of})
    assert len(feed) == len(actions) >= 3
    for item in feed:
        validated = ActionRead.model_validate(item).model_dump(mode="json")
        assert validated == item
        single = await client.get(f"/v1/actions/{item['id']}", params={"as_of": as_of})
        assert single.json() == item
    snoozed = next(a for a in feed if a["id"] == thank_you["id"])
    assert snoozed["status"] == "snoozed"
    assert snoozed["mark"]["kind"] == "snoozed"
